"""The chart: Chinese with no missing glyph, phone-sized and small (benchmarks/report_files.py times it)."""

from __future__ import annotations

import io
import tomllib
import warnings
from importlib.resources import files

from fontTools.ttLib import TTFont
from lianfang.handlers.report_files.chart import FONT_FILE, build_png
from lianfang.handlers.report_files.content import ReportContent
from PIL import Image

from tests.handlers.report_files.conftest import sample_content

MAX_BYTES = 300 * 1024
WIDTH = 1080


def render_checked(content: ReportContent) -> bytes:
    """Render a chart, failing on any warning (matplotlib warns of each glyph a font lacks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return build_png(content)


def test_chart_draws_every_glyph_and_fits_a_phone(content: ReportContent) -> None:
    png = render_checked(content)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == WIDTH
    assert image.height > image.width  # portrait, for a phone
    assert len(png) < MAX_BYTES


def test_an_english_chart_draws_too() -> None:
    png = render_checked(sample_content(lang="en"))
    assert Image.open(io.BytesIO(png)).width == WIDTH


def test_a_missing_glyph_is_caught() -> None:
    """The check above would notice: a character outside the bundled font warns."""
    content = sample_content()
    odd = ReportContent(**{**content.__dict__, "org_name": "\U0002a6a5"})  # a rare CJK Extension B character
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_png(odd)
    assert any("missing" in str(warning.message).lower() for warning in caught)


def test_the_bundled_font_covers_the_chinese_wording() -> None:
    """Chart wording with a character the font subset lacks fails here: make the subset again (fonts/README.md)."""
    font = TTFont(str(files("lianfang.handlers.report_files") / "fonts" / FONT_FILE))
    covered = set(font.getBestCmap())
    catalog = tomllib.loads((files("lianfang.locales") / "zh_CN.toml").read_text(encoding="utf-8"))
    wording = "".join(catalog["report_files"].values())
    missing = sorted({ch for ch in wording if ord(ch) not in covered and ch.isprintable() and ord(ch) > 0x2000})
    assert missing in ([], ["📎"])  # the caption's emoji is for chat, never drawn
