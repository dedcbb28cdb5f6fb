"""The bundled CJK font (a Noto Sans CJK SC subset, SIL OFL 1.1): the chart draws with it, the dashboard serves it."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

FONT_FILE = "NotoSansSC-lianfang-subset.otf"


@cache
def font_data() -> bytes:
    """Return the bundled CJK font's file (the dashboard serves it to browsers that have no Chinese font)."""
    return (files("lianfang.handlers.report_files") / "fonts" / FONT_FILE).read_bytes()
