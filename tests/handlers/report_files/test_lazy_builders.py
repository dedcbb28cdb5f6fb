"""An idle instance does not carry the report files' heavy libraries: they load when a file is first made."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "docx")


def test_serving_loads_neither_matplotlib_nor_python_docx_until_a_file_is_made() -> None:
    probe = (
        "import sys, lianfang.app.serve, lianfang.app.cli\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
        "from lianfang.handlers.report_files import FILE_KINDS\n"
        "from lianfang.handlers.report_files.delivery import FORMAT_PNG\n"
        "try:\n"
        "    FILE_KINDS[FORMAT_PNG].build(None)\n"
        "except Exception:\n"
        "    pass\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    idle, after = done.stdout.splitlines()
    assert idle == "[]"
    assert after == "['matplotlib']"
