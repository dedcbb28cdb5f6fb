"""The org file's [retention] section: how long each kind of personal record is kept once closed, and when to purge."""

from __future__ import annotations

from datetime import time

from lianfang.bot.org import ClockTime, OrgModel, OrgSection
from pydantic import Field

SECTION_NAME = "retention"
DEFAULT_DAYS = 30
"""Kept 30 days after the record closed and after the emergency's end date."""
MAX_DAYS = 3660
DEFAULT_PURGE_TIME = time(3, 30)
DEFAULT_REPORT_WEEKDAY = 1
"""Monday (ISO weekday)."""
DEFAULT_REPORT_TIME = time(9, 0)
DEFAULT_BATCH = 200
MAX_BATCH = 10_000


class RetentionRules(OrgModel):
    """Describe how long personal records are kept after they close, and when the purge and access report run."""

    auto: bool = Field(default=False, strict=True)
    """Purge once a day on the scheduler; off, only ``lianfang purge`` does."""
    observations_days: int = Field(default=DEFAULT_DAYS, ge=0, le=MAX_DAYS, strict=True)
    """Days a released (or lost) observation is kept after it closed."""
    referrals_days: int = Field(default=DEFAULT_DAYS, ge=0, le=MAX_DAYS, strict=True)
    """Days a closed referral is kept."""
    ledger_days: int = Field(default=DEFAULT_DAYS, ge=0, le=MAX_DAYS, strict=True)
    """Days a verified ledger row (with its visits) is kept after its last change."""
    checks_days: int = Field(default=DEFAULT_DAYS, ge=0, le=MAX_DAYS, strict=True)
    """Days a check result is kept after its day."""
    incidents_days: int = Field(default=DEFAULT_DAYS, ge=0, le=MAX_DAYS, strict=True)
    """Days an incident no longer being handled (handled, or passed to the police) is kept after its last change."""
    messages_days: int = Field(default=DEFAULT_DAYS, ge=0, le=MAX_DAYS, strict=True)
    """Days a delivered message is kept in the outbox (a private one holds the full record it showed)."""
    purge_time: ClockTime = DEFAULT_PURGE_TIME
    """When the daily purge runs, if ``auto``."""
    batch: int = Field(default=DEFAULT_BATCH, ge=1, le=MAX_BATCH, strict=True)
    """Records erased per transaction."""
    access_report_weekday: int = Field(default=DEFAULT_REPORT_WEEKDAY, ge=1, le=7, strict=True)
    """The day of the week (1 Monday … 7 Sunday) the admins get the access report of the past seven days."""
    access_report_time: ClockTime = DEFAULT_REPORT_TIME


RETENTION = OrgSection(SECTION_NAME, RetentionRules)
