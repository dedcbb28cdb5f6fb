"""Forget processed deliveries once their platform can no longer deliver them again, as a pure step."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from lianfang.bot.config import Settings
from lianfang.bot.db import session_scope
from lianfang.bot.jobs import JobRuntime
from lianfang.bot.types import PLATFORM_TELEGRAM
from lianfang.models.events import purge_events

logger = logging.getLogger(__name__)

PURGE_MARGIN = timedelta(minutes=10)
"""Kept past the last moment a redelivery could be accepted, for clocks that disagree a little."""
TELEGRAM_REDELIVERY = timedelta(hours=24)
"""Telegram keeps an update it could not deliver for 24 hours; its update_id carries no timestamp to refuse it by."""


def callback_retention(settings: Settings) -> timedelta:
    """Return how long a timestamped delivery (a WeCom callback) is remembered.

    A callback is accepted while its signed timestamp is within the window of the server's clock, so one first seen
    with a timestamp a whole window ahead can be replayed for up to two windows after it was recorded.
    """
    return 2 * timedelta(seconds=settings.wecom_callback_window_seconds) + PURGE_MARGIN


def purge_processed_events(runtime: JobRuntime, now: datetime) -> int:
    """Delete processed-event rows that no redelivery can match any more; return how many (idempotent)."""
    keep = callback_retention(runtime.settings)
    telegram_keep = max(keep, TELEGRAM_REDELIVERY + PURGE_MARGIN)
    with session_scope(runtime.engine) as session:
        cutoffs = {PLATFORM_TELEGRAM: now - telegram_keep}
        removed = purge_events(session=session, before=now - keep, before_by_platform=cutoffs)
    if removed:
        logger.info("forgot %s processed deliveries", removed)
    return removed
