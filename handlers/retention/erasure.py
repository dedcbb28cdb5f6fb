"""Erasure of personal records: past retention (a purge, in batches, resumable) or of one resident on request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from lianfang.bot.db import session_scope
from lianfang.bot.org import Org
from lianfang.bot.personal_text import split_address
from lianfang.handlers.retention.settings import RETENTION, RetentionRules
from lianfang.models.audit import ACTION_ERASE, ACTION_PURGE, CHANNEL_CLI, record_access
from lianfang.models.outbox import OutboxMessage
from lianfang.models.resident_records import records_of_person, targets_of_person
from lianfang.models.retention import (
    KIND_CHECKS,
    KIND_INCIDENTS,
    KIND_LEDGER,
    KIND_OBSERVATIONS,
    KIND_REFERRALS,
    KINDS,
    REASON_PERSON,
    REASON_RETENTION,
    Cutoff,
    count_with_dependents,
    delete_messages,
    due_for_erasure,
    emergency_end,
    erase_records,
    old_sent_messages,
    table_name,
)
from sqlalchemy import Engine
from sqlmodel import Session

logger = logging.getLogger(__name__)

Counts = dict[str, int]
"""Rows per table."""


def without_house_number(address: str) -> str:
    """Return what a group may see of an address (compound and building): the unit, floor and room go."""
    kept, _hidden = split_address(address)
    return kept


def retention_days(rules: RetentionRules) -> dict[str, int]:
    """Return the days each kind of record is kept after it closes."""
    return {
        KIND_CHECKS: rules.checks_days,
        KIND_LEDGER: rules.ledger_days,
        KIND_OBSERVATIONS: rules.observations_days,
        KIND_REFERRALS: rules.referrals_days,
        KIND_INCIDENTS: rules.incidents_days,
    }


def cutoffs_for(rules: RetentionRules, *, end_on: date | None, today: date, tz: tzinfo) -> dict[str, Cutoff | None]:
    """Return per kind the last day whose closed records may go; None while the emergency has not ended long enough.

    A record is kept its kind's days after it closed and after the emergency's end date, whichever is later.
    """
    cutoffs: dict[str, Cutoff | None] = {}
    for kind, days in retention_days(rules).items():
        through = today - timedelta(days=days)
        if end_on is None or end_on > through:
            cutoffs[kind] = None
            continue
        before = datetime.combine(through + timedelta(days=1), time.min, tzinfo=tz)
        cutoffs[kind] = Cutoff(through=through, before=before)
    return cutoffs


def messages_cutoff(rules: RetentionRules, *, end_on: date | None, today: date, tz: tzinfo) -> datetime | None:
    """Return the moment before which delivered messages may go; None while the emergency has not ended long enough."""
    through = today - timedelta(days=rules.messages_days)
    if end_on is None or end_on > through:
        return None
    return datetime.combine(through + timedelta(days=1), time.min, tzinfo=tz)


def add(total: Counts, more: Counts) -> None:
    """Add rows per table to a running total."""
    for table, count in more.items():
        total[table] = total.get(table, 0) + count


@dataclass
class Purge:
    """What a purge found or did: rows per table, and the end date it counted from (None: nothing may go)."""

    end_on: date | None
    counts: Counts = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Return how many rows it touched in all."""
        return sum(self.counts.values())


def plan_purge(*, session: Session, org: Org, today: date, tz: tzinfo) -> Purge:
    """Count, per table, what a purge would erase today (a dry run: nothing changes)."""
    rules = RETENTION.of(org)
    end_on = emergency_end(session=session)
    cutoffs = cutoffs_for(rules, end_on=end_on, today=today, tz=tz)
    purge = Purge(end_on)
    for kind in KINDS:
        after = 0
        while ids := due_for_erasure(session=session, kind=kind, cutoffs=cutoffs, limit=rules.batch, after=after):
            add(purge.counts, count_with_dependents(session=session, kind=kind, ids=ids))
            after = ids[-1]
    before = messages_cutoff(rules, end_on=end_on, today=today, tz=tz)
    if before is not None and (messages := len(old_sent_messages(session=session, before=before))):
        add(purge.counts, {table_name(OutboxMessage): messages})
    return purge


def run_purge(
    *,
    engine: Engine,
    org: Org,
    clock: Callable[[], datetime],
    tz: tzinfo,
    actor: str,
    channel: str = CHANNEL_CLI,
) -> Purge:
    """Erase every record past retention, one batch per transaction, then write an audit entry of the whole run.

    A run that stops half-way keeps the batches it committed; the next run erases the rest.
    """
    rules = RETENTION.of(org)
    today = clock().astimezone(tz).date()
    with session_scope(engine) as session:
        end_on = emergency_end(session=session)
    purge = Purge(end_on)
    cutoffs = cutoffs_for(rules, end_on=end_on, today=today, tz=tz)
    for kind in KINDS:
        while True:
            with session_scope(engine) as session:
                ids = due_for_erasure(session=session, kind=kind, cutoffs=cutoffs, limit=rules.batch)
                if not ids:
                    break
                done = erase_records(
                    session=session,
                    kind=kind,
                    ids=ids,
                    now=clock(),
                    reason=REASON_RETENTION,
                    strip_house=without_house_number,
                )
            add(purge.counts, done)
            logger.info("purged %d %s record(s)", len(ids), kind)
    before = messages_cutoff(rules, end_on=end_on, today=today, tz=tz)
    while before is not None:
        with session_scope(engine) as session:
            ids = old_sent_messages(session=session, before=before, limit=rules.batch)
            if not ids:
                break
            add(purge.counts, {table_name(OutboxMessage): delete_messages(session=session, ids=ids)})
    if purge.counts:
        with session_scope(engine) as session:
            record_access(
                session=session,
                now=clock(),
                actor=actor,
                action=ACTION_PURGE,
                channel=channel,
                detail=describe(purge.counts),
            )
    return purge


def describe(counts: Counts) -> str:
    """Describe rows per table in one line, for the audit log: ``checkresult=12 alert=1``."""
    return " ".join(f"{table}={count}" for table, count in counts.items())


def erase_person(*, session: Session, id_number: str, now: datetime, actor: str) -> Counts | None:
    """Erase every record about the resident with this ID number, audited; None if nobody has it."""
    targets = targets_of_person(session=session, id_number=id_number)
    if not targets:
        return None
    target_ids = tuple(t.id for t in targets if t.id is not None)
    records = records_of_person(session=session, targets=targets)
    counts: Counts = {}
    for kind in KINDS:
        add(
            counts,
            erase_records(
                session=session,
                kind=kind,
                ids=records[kind],
                now=now,
                reason=REASON_PERSON,
                strip_house=without_house_number,
            ),
        )
    record_access(
        session=session,
        now=now,
        actor=actor,
        action=ACTION_ERASE,
        channel=CHANNEL_CLI,
        target_ids=target_ids,
        detail=describe(counts),
    )
    return counts
