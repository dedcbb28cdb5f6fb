"""Run ``lianfang`` with the Telegram adapter's send pacing off: the scale-out benchmark measures the code.

Each ``lianfang run`` paces its sends at Telegram's overall 30 messages/s (PTB's ``AIORateLimiter``), so each
process would top out at 30 replies a second whatever its speed. ``benchmarks/telegram.py`` switches the limiter
off for the same reason; here a process is started as ``python benchmarks/unpaced.py run`` instead.
"""

from __future__ import annotations

import sys

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.app.cli import main
from lianfang.bot.platforms.telegram import adapter


def no_limiter(**_options: object) -> None:
    """Stand in for ``AIORateLimiter``: the adapter then builds its bot without one."""
    return None


if __name__ == "__main__":
    adapter.AIORateLimiter = no_limiter
    raise SystemExit(main(sys.argv[1:]))
