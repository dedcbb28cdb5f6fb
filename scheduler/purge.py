"""Forget processed deliveries once their platform can no longer deliver them again, as a pure step."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from lianfang.bot.db import session_scope
from lianfang.bot.jobs import JobRuntime
from lianfang.models.events import purge_events

logger = logging.getLogger(__name__)

PURGE_MARGIN = timedelta(minutes=10)
"""Kept past the last moment a redelivery could be accepted, for clocks that disagree a little."""


def purge_processed_events(runtime: JobRuntime, now: datetime) -> int:
    """Delete processed-event rows that no redelivery can match any more; return how many (idempotent).

    Each platform's deliveries are kept as long as it declares it may redeliver them; those of a platform that
    declares nothing (the console, the in-memory one) as long as the shortest declared window.
    """
    windows = runtime.redelivery
    cutoffs = {platform: now - (window + PURGE_MARGIN) for platform, window in windows.items()}
    shortest = min(windows.values(), default=timedelta(0))
    with session_scope(runtime.engine) as session:
        removed = purge_events(session=session, before=now - (shortest + PURGE_MARGIN), before_by_platform=cutoffs)
    if removed:
        logger.info("forgot %s processed deliveries", removed)
    return removed
