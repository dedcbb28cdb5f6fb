"""The console: a chat in the terminal, for trying the bot without a platform."""

from lianfang.bot.platform import Platform
from lianfang.bot.platforms.console.adapter import ConsoleAdapter
from lianfang.bot.types import PLATFORM_CONSOLE

PLATFORM: Platform[ConsoleAdapter] = Platform(
    name=PLATFORM_CONSOLE,
    settings=None,
    enabled=lambda _settings: False,  # its run loop is ``lianfang console`` (or ``run`` with no platform set)
    build=lambda _app: None,
)

__all__ = ["PLATFORM", "ConsoleAdapter"]
