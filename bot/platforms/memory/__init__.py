"""In memory: an adapter that keeps what it sends, for tests and the demo."""

from lianfang.bot.platform import Platform
from lianfang.bot.platforms.memory.adapter import MemoryAdapter
from lianfang.bot.types import PLATFORM_MEMORY

PLATFORM: Platform[MemoryAdapter] = Platform(
    name=PLATFORM_MEMORY,
    settings=None,
    enabled=lambda _settings: False,  # tests and the demo add it to the runtime themselves
    build=lambda _app: None,
)

__all__ = ["PLATFORM", "MemoryAdapter"]
