"""The scheduled steps of retention: the daily purge (when ``auto``) and the weekly access report to the admins."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.jobs import Job, JobRuntime, in_one_transaction
from lianfang.bot.org import Org
from lianfang.bot.types import OutgoingMessage, Text
from lianfang.handlers.retention.erasure import run_purge
from lianfang.handlers.retention.settings import RETENTION
from lianfang.handlers.shared.audiences import send_privately
from lianfang.models.audit import CHANNEL_SCHEDULER, access_counts
from lianfang.models.members import ROLE_ADMIN, list_members
from lianfang.models.send_ledger import KIND_LOOP, KIND_REPORT, claim, claimed_keys, ledger_key

logger = logging.getLogger(__name__)

STEP_PURGE = "purge"
STEP_ACCESS = "access"
SCHEDULER_ACTOR = "scheduler"
"""The audit log's actor for the daily purge."""
REPORT_DAYS = 7
DATE_FORMAT = "%Y-%m-%d"


def purge_times(org: Org) -> list[time]:
    """Return the time of the daily purge, if the org file turns it on."""
    rules = RETENTION.of(org)
    return [rules.purge_time] if rules.auto else []


def access_report_times(org: Org) -> list[time]:
    """Return the time of the weekly access report (on other days the step finds nothing due)."""
    return [RETENTION.of(org).access_report_time]


def tick_purge(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Purge what is past retention once a day from the purge time on, if ``[retention] auto``; sends nothing."""
    rules = RETENTION.of(runtime.org)
    local = now.astimezone(runtime.tz)
    if not rules.auto or local.time() < rules.purge_time:
        return []
    day = local.date()
    with session_scope(runtime.engine) as session:
        claimed = claim(session=session, day=day, kind=KIND_LOOP, key=ledger_key(day, KIND_LOOP, STEP_PURGE), now=now)
    if claimed:
        purge = run_purge(
            engine=runtime.engine,
            org=runtime.org,
            clock=lambda: now,
            tz=runtime.tz,
            actor=SCHEDULER_ACTOR,
            channel=CHANNEL_SCHEDULER,
        )
        logger.info("daily purge of %s erased %d row(s)", day, purge.total)
    return []


def report_week(today: date) -> tuple[date, date]:
    """Return the first and last day of the week an access report sent on ``today`` covers (the seven days before)."""
    return today - timedelta(days=REPORT_DAYS), today - timedelta(days=1)


def access_report_lines(ctx: Context, today: date) -> list[Text]:
    """Return the access report of the seven days before ``today``: who viewed or exported personal data, how much."""
    first, last = report_week(today)
    start = datetime.combine(first, time.min, tzinfo=ctx.tz)
    end = datetime.combine(today, time.min, tzinfo=ctx.tz)
    counts = access_counts(session=ctx.session, start=start, end=end)
    lines = [Text("retention.access_title", {"first": first.strftime(DATE_FORMAT), "last": last.strftime(DATE_FORMAT)})]
    for count in counts:
        lines.append(
            Text("retention.access_line", {"name": count.actor, "views": count.views, "exports": count.exports})
        )
    if not counts:
        lines.append(Text("retention.access_none"))
    return lines


def send_access_report(ctx: Context) -> None:
    """On the report's weekday from its time on, send each admin the week's access report once."""
    rules = RETENTION.of(ctx.org)
    local = ctx.now.astimezone(ctx.tz)
    if local.isoweekday() != rules.access_report_weekday or local.time() < rules.access_report_time:
        return
    day = local.date()
    admins = list_members(session=ctx.session, roles=(ROLE_ADMIN,))
    keys = {admin.id: ledger_key(day, KIND_REPORT, STEP_ACCESS, admin.id) for admin in admins}
    done = claimed_keys(session=ctx.session, keys=list(keys.values()))
    waiting = [admin for admin in admins if keys[admin.id] not in done]
    if not waiting:
        return
    lines = access_report_lines(ctx, day)
    for admin in waiting:
        key = keys[admin.id]
        if claim(session=ctx.session, day=day, kind=KIND_REPORT, key=key, now=ctx.now, recipient=str(admin.id)):
            send_privately(ctx, [admin], lines)


PURGE_JOB = Job("retention_purge", tick_purge, times=purge_times, in_quiet_hours=True)
ACCESS_REPORT_JOB = Job("retention_access_report", in_one_transaction(send_access_report), times=access_report_times)
RETENTION_JOBS = (PURGE_JOB, ACCESS_REPORT_JOB)
