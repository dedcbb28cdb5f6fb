"""Run ``lianfang`` with the Telegram adapter's send pacing off: the scale-out benchmark measures the code.

Every ``lianfang run`` of one bot shares Telegram's overall 30 messages/s through the database (``SendPace``), so the
processes together would top out at 30 replies a second whatever their speed. ``benchmarks/telegram.py`` switches the
pacing off for the same reason; here a process is started as ``python benchmarks/unpaced.py run`` instead.
"""

from __future__ import annotations

import sys
from functools import partial

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.app.cli import main
from lianfang.bot.platforms.telegram import run
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter

if __name__ == "__main__":
    run.TelegramAdapter = partial(TelegramAdapter, rate_limit=False)  # type: ignore[misc]
    raise SystemExit(main(sys.argv[1:]))
