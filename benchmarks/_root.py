"""Put the repository first on sys.path for a benchmark run as a script, and take this folder off it.

Run as ``python benchmarks/x.py``, this folder comes first on sys.path, and ``benchmarks/telegram.py`` would
shadow the ``telegram`` package. A benchmark imports this module before anything of the project.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
