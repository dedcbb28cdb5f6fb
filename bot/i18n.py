"""Message catalogs in ``locales/`` and rendering of locale keys in one language."""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from lianfang.bot.types import BILINGUAL_KEY, Text

logger = logging.getLogger(__name__)

LANG_ZH = "zh_CN"
LANG_EN = "en"
LANGUAGES = (LANG_ZH, LANG_EN)
DEFAULT_LANGUAGE = LANG_ZH

Escape = Callable[[str], str]


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


@cache
def catalog(lang: str) -> dict[str, str]:
    """Return the flat key → template mapping of one language."""
    data = tomllib.loads(resources.files("lianfang.locales").joinpath(f"{lang}.toml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}
    _flatten("", data, flat)
    return flat


def placeholders(template: str) -> set[str]:
    """Return the placeholder names used in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def normalize_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a platform language code (``en-US``, ``zh-hans``) to a catalog language."""
    if not code:
        return default
    code = code.lower().replace("-", "_")
    if code.startswith("en"):
        return LANG_EN
    if code.startswith("zh"):
        return LANG_ZH
    return default


def has_key(key: str) -> bool:
    """Tell whether the default catalog defines a key."""
    return key in catalog(DEFAULT_LANGUAGE)


class _Escaped(dict):
    """Format mapping that escapes every interpolated value and tolerates missing ones."""

    def __init__(self, params: Mapping[str, Any], lang: str, escape: Escape | None) -> None:
        super().__init__(params)
        self.lang = lang
        self.escape = escape

    def __getitem__(self, name: str) -> str:
        value = super().__getitem__(name)
        if isinstance(value, Text):
            return render(value, self.lang, self.escape)
        text = str(value)
        return self.escape(text) if self.escape else text

    def __missing__(self, name: str) -> str:
        logger.warning("missing placeholder %s", name)
        return "{" + name + "}"


def render(text: Text, lang: str, escape: Escape | None = None) -> str:
    """Render one line in a language; ``escape`` is applied to interpolated values only."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    if text.key == BILINGUAL_KEY:
        value = str(text.params.get(lang) or text.params.get(DEFAULT_LANGUAGE, ""))
        return escape(value) if escape else value
    templates = catalog(lang)
    template = templates.get(text.key)
    if template is None:
        template = catalog(DEFAULT_LANGUAGE).get(text.key)
    if template is None:
        logger.error("unknown locale key %s", text.key)
        return text.key
    return template.format_map(_Escaped(text.params, lang, escape))


def render_lines(lines: Iterable[Text], lang: str, escape: Escape | None = None) -> str:
    """Render several lines joined by newlines."""
    return "\n".join(render(line, lang, escape) for line in lines)


def t(key: str, lang: str, **params: Any) -> str:
    """Render a key directly (CLI and tests)."""
    return render(Text(key, params), lang)
