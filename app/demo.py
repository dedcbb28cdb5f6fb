"""``lianfang demo``: play the bundled demo drill, one day of the plan on a simulated clock, every message printed."""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from lianfang.app.drill.command import run_drill
from lianfang.app.drill.player import Options
from lianfang.bot.org.loader import EXAMPLES_PACKAGE

DEMO_DRILL = "drills/demo.drill"
"""The bundled demo day, beside the bundled org file."""
DEMO_TITLE = "lianfang demo"


def demo_drill_path() -> Path:
    """Return the path of the bundled demo drill."""
    return Path(str(files(EXAMPLES_PACKAGE) / DEMO_DRILL))


def run_demo(*, day: date | None, out: TextIO) -> int:
    """Play the demo drill (on ``day`` instead of its own, if given) on a fresh temporary SQLite database."""
    return run_drill(demo_drill_path(), out, Options(title=DEMO_TITLE, summary=False, day=day))
