"""The platforms an instance can serve, and the one Settings object: the kernel's plus every platform's."""

from __future__ import annotations

from typing import Any

from lianfang.bot import config
from lianfang.bot.platform import Platform
from lianfang.bot.platforms import console, memory, telegram, wecom

PLATFORMS: tuple[Platform[Any], ...] = (telegram.PLATFORM, wecom.PLATFORM, console.PLATFORM, memory.PLATFORM)
"""Adding a platform: its package under bot/platforms/, one entry here and its settings among the bases below."""


class Settings(config.Settings, telegram.TelegramSettings, wecom.WeComSettings):
    """Configure one instance (``LIANFANG_*``): built once in the CLI and passed down to every part."""


def configured(settings: config.Settings) -> list[Platform[Any]]:
    """Return the platforms the settings turn on, in the order of PLATFORMS."""
    return [platform for platform in PLATFORMS if platform.enabled(settings)]


def platform_named(name: str) -> Platform[Any]:
    """Return the declaration of a platform by its name; KeyError if no package declares it."""
    for platform in PLATFORMS:
        if platform.name == name:
            return platform
    raise KeyError(name)
