"""What happens when a message cannot be delivered: reroute, follow, or tell who must know."""

from lianfang.bot.feature import Feature
from lianfang.handlers.undeliverable.reroute import reroute_undeliverable

FEATURE = Feature(name="undeliverable")
"""It adds no command: ``reroute_undeliverable`` is the outbox's hook for a refused message."""

__all__ = ["FEATURE", "reroute_undeliverable"]
