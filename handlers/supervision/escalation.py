"""The colours' chases on the scheduler, each step once through the send ledger, and the morning digest.

蓝 reminds the lead group; 黄 reminds it and tells the creator; 红 goes at once to the lead group's leads, the
creator, the 执纪督查组 chat and the leadership chats (masked there), and again each day at the digest time until
the item closes, up to ``max_repeats`` times. An approved extension changes the due time, which every chase's key
holds, so the chases start over; a closed item is no longer found, so every chase stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.jobs import Job, JobRuntime
from lianfang.bot.org import Org
from lianfang.bot.types import OutgoingMessage, Text
from lianfang.handlers.shared.audiences import broadcast, group_chat, leadership_chats, send_privately
from lianfang.handlers.supervision.cards import card, content_for, group_name, handler_buttons
from lianfang.handlers.supervision.due import shown_due
from lianfang.handlers.supervision.items import handlers_of
from lianfang.handlers.supervision.settings import SUPERVISION, oversight_group
from lianfang.models.members import ROLE_GROUP_LEAD, get_member, list_members
from lianfang.models.send_ledger import KIND_LOOP, KIND_SKIPPED, claim, claimed_keys, is_claimed, ledger_key
from lianfang.models.supervision import (
    COLOUR_BLUE,
    COLOUR_RED,
    COLOUR_YELLOW,
    COLOURS,
    FLAG_ACCOUNTABILITY,
    STATE_PENDING,
    WORKING,
    ColourRules,
    SupervisionItem,
    closed_between,
    colour_counts,
    get_item,
    open_items,
    overdue_rectifications,
    record_escalation,
)

logger = logging.getLogger(__name__)

KIND_SUPERVISION = "supervision"
"""The send ledger's kind for the chases of 督办 items."""
STEP_DIGEST = "supervision_digest"
RED_REPEAT = "red-repeat"
BATCH = 500
"""Items of one colour read per page; a tick pages on until it has looked at every one."""
DIGEST_LINES = 20


@dataclass(frozen=True)
class Chase:
    """One chase due: the item, its ledger key and day, and whether it is a daily red repeat."""

    item_id: int
    colour: str
    key: str
    day: date
    repeat: bool = False


def supervision_times(org: Org) -> list[time]:
    """Return the digest time: the digest goes, and red items are chased again."""
    return [SUPERVISION.of(org).digest_time]


def tick_supervision(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Send the morning digest once a day, then each colour's chases that are due, one transaction each."""
    sent = _in_transaction(runtime, now, send_digest)
    with session_scope(runtime.engine) as session:
        chases = due_chases(runtime.context(session, now))
    for chase in chases:
        sent += _in_transaction(runtime, now, partial(send_chase, chase=chase))
    return sent


def _in_transaction(runtime: JobRuntime, now: datetime, work: Callable[[Context], object]) -> list[OutgoingMessage]:
    """Do one step in a transaction of its own, so its failure leaves the other steps done."""
    try:
        with session_scope(runtime.engine) as session:
            ctx = runtime.context(session, now)
            work(ctx)
            return ctx.sent
    except Exception:
        logger.exception("a supervision step failed at %s; the others go on", now)
        return []


def due_chases(ctx: Context) -> list[Chase]:
    """Return every chase due now and not yet claimed, most urgent colour first, reading the items page by page."""
    chases: list[Chase] = []
    for colour in (COLOUR_RED, COLOUR_YELLOW, COLOUR_BLUE):
        after: tuple[datetime, int] | None = None
        while True:
            page = open_items(
                session=ctx.session, now=ctx.now, rules=_rules(ctx), colour=colour, limit=BATCH, after=after
            )
            chases += _unclaimed(ctx, [c for item, _shade in page for c in _colour_chases(ctx, item, colour)])
            if len(page) < BATCH:
                break
            last = page[-1][0]
            after = (last.due_at, last.id or 0)
    late = ctx.now - timedelta(days=SUPERVISION.of(ctx.org).accountability_days)
    after = None
    while True:
        overdue = overdue_rectifications(session=ctx.session, before=late, limit=BATCH, after=after)
        chases += _unclaimed(ctx, [_accountability_chase(ctx, item) for item in overdue])
        if len(overdue) < BATCH:
            break
        after = (overdue[-1].due_at, overdue[-1].id or 0)
    return chases


def _rules(ctx: Context) -> ColourRules:
    """Return the org's colour rules."""
    return SUPERVISION.of(ctx.org).colour_rules()


def _colour_chases(ctx: Context, item: SupervisionItem, colour: str) -> list[Chase]:
    """Return the chases one item of a colour may be due: its colour's step, and a red item's daily repeat."""
    if item.state not in WORKING or item.id is None:
        return []
    settings = SUPERVISION.of(ctx.org)
    rules = settings.colour_rules()
    due = item.due_at.astimezone(ctx.tz)
    stamp = item.due_at.isoformat()
    if colour == COLOUR_YELLOW:
        anchor = item.created_at if item.state == STATE_PENDING else item.last_activity_at
        day = anchor.astimezone(ctx.tz).date()
        return [Chase(item.id, colour, ledger_key(day, KIND_SUPERVISION, colour, item.id, anchor.isoformat()), day)]
    if colour == COLOUR_BLUE and item.created_at > item.due_at - rules.near:
        return []  # it was near its due time when sent: the delivery said so, no reminder on top
    wanted = [Chase(item.id, colour, ledger_key(due.date(), KIND_SUPERVISION, colour, item.id, stamp), due.date())]
    today = ctx.today
    digest_passed = ctx.now >= datetime.combine(today, settings.digest_time, ctx.tz)
    if colour == COLOUR_RED and digest_passed and today > due.date() and item.red_repeats < settings.max_repeats:
        key = ledger_key(today, KIND_SUPERVISION, RED_REPEAT, item.id, stamp)
        wanted.append(Chase(item.id, colour, key, today, repeat=True))
    return wanted


def _accountability_chase(ctx: Context, item: SupervisionItem) -> Chase:
    """Return the 问责提示 step of a rectification overdue too long."""
    due_day = item.due_at.astimezone(ctx.tz).date()
    key = ledger_key(due_day, KIND_SUPERVISION, FLAG_ACCOUNTABILITY, item.id, item.due_at.isoformat())
    return Chase(item.id or 0, FLAG_ACCOUNTABILITY, key, due_day)


def _unclaimed(ctx: Context, wanted: list[Chase]) -> list[Chase]:
    """Keep the chases nobody claimed yet; a red item chased for the first time now is not repeated in this tick."""
    done = claimed_keys(session=ctx.session, keys=[chase.key for chase in wanted])
    firsts = {
        chase.item_id for chase in wanted if chase.colour == COLOUR_RED and not chase.repeat and chase.key not in done
    }
    return [c for c in wanted if c.key not in done and not (c.repeat and c.item_id in firsts)]


def send_chase(ctx: Context, *, chase: Chase) -> None:
    """Claim one chase and send it; a chase someone else claimed, or an item closed meanwhile, sends nothing."""
    item = get_item(session=ctx.session, item_id=chase.item_id)
    if item is None or item.state not in WORKING:
        return
    if not claim(
        session=ctx.session, day=chase.day, kind=KIND_SUPERVISION, key=chase.key, now=ctx.now, group_key=item.lead_group
    ):
        return
    record_escalation(session=ctx.session, item=item, colour=chase.colour, now=ctx.now, repeat=chase.repeat)
    if chase.colour == FLAG_ACCOUNTABILITY:
        _accountability(ctx, item)
        return
    if chase.colour == COLOUR_RED:
        _red(ctx, item, repeat=chase.repeat)
        return
    params = {"number": item.id, "due": shown_due(ctx, item.due_at), "content": content_for(item, in_group=False)}
    key = "supervision.chase_blue" if chase.colour == COLOUR_BLUE else "supervision.chase_yellow"
    send_privately(ctx, handlers_of(ctx, item), [Text(key, params)], buttons=handler_buttons(item))
    if chase.colour == COLOUR_YELLOW:
        creator = get_member(session=ctx.session, member_id=item.creator_id)
        if creator is not None:
            told = {**params, "group": group_name(ctx, item.lead_group)}
            send_privately(ctx, [creator], [Text("supervision.chase_yellow_creator", told)])


def _red(ctx: Context, item: SupervisionItem, *, repeat: bool) -> None:
    """Send a red item to the lead group's leads and the creator privately, and masked to the oversight chats."""
    params = {"number": item.id, "days": overdue_days(ctx, item), "due": shown_due(ctx, item.due_at)}
    head = Text("supervision.chase_red_repeat" if repeat else "supervision.chase_red", params)
    leads = list_members(session=ctx.session, group_key=item.lead_group, roles=(ROLE_GROUP_LEAD,))
    send_privately(ctx, leads, [head, *card(ctx, item, COLOUR_RED)], buttons=handler_buttons(item))
    creator = get_member(session=ctx.session, member_id=item.creator_id)
    if creator is not None and creator.id not in {lead.id for lead in leads}:
        send_privately(ctx, [creator], [head, *card(ctx, item, COLOUR_RED)])
    chats = leadership_chats(ctx)
    group = oversight_group(ctx.org)
    oversight = group_chat(ctx, group) if group is not None else None
    if oversight is not None and oversight not in chats:
        chats.append(oversight)
    broadcast(ctx, chats, [head, *card(ctx, item, COLOUR_RED, in_group=True)])


def _accountability(ctx: Context, item: SupervisionItem) -> None:
    """Flag a rectification overdue too long (问责提示) to the 执纪督查组's leads, and masked to the leadership chat."""
    settings = SUPERVISION.of(ctx.org)
    params = {"number": item.id, "group": group_name(ctx, item.lead_group), "days": overdue_days(ctx, item)}
    head = Text("supervision.accountability", {**params, "limit": settings.accountability_days})
    group = oversight_group(ctx.org)
    leads = list_members(session=ctx.session, group_key=group, roles=(ROLE_GROUP_LEAD,)) if group else []
    send_privately(ctx, leads, [head, *card(ctx, item, COLOUR_RED)])
    broadcast(ctx, leadership_chats(ctx), [head, *card(ctx, item, COLOUR_RED, in_group=True)])


def overdue_days(ctx: Context, item: SupervisionItem) -> int:
    """Return by how many calendar days an item is overdue, at least one once it is."""
    return max(1, (ctx.today - item.due_at.astimezone(ctx.tz).date()).days)


def send_digest(ctx: Context) -> None:
    """Send the day's digest to the leadership and 综合组 chats once, at the digest time (skipped if hours late)."""
    settings = SUPERVISION.of(ctx.org)
    due = datetime.combine(ctx.today, settings.digest_time, ctx.tz)
    if ctx.now < due:
        return
    key = ledger_key(ctx.today, KIND_LOOP, STEP_DIGEST)
    if is_claimed(session=ctx.session, key=key):
        return
    late = ctx.now - due > timedelta(minutes=ctx.settings.catch_up_grace_minutes)
    if not claim(session=ctx.session, day=ctx.today, kind=KIND_SKIPPED if late else KIND_LOOP, key=key, now=ctx.now):
        return
    if late:
        logger.warning("supervision digest of %s was due at %s; skipped (now %s)", ctx.today, due, ctx.now)
        return
    lines = digest_lines(ctx)
    if lines:
        broadcast(ctx, leadership_chats(ctx), lines)


def digest_lines(ctx: Context) -> list[Text]:
    """Return the digest: open items by colour, the overdue ones with group and days, and yesterday's closings;
    nothing on a day without any."""
    rules = SUPERVISION.of(ctx.org).colour_rules()
    counts = colour_counts(session=ctx.session, now=ctx.now, rules=rules)
    title = {"date": ctx.today.isoformat(), "total": sum(counts.values()), **{c: counts[c] for c in COLOURS}}
    lines = [Text("supervision.digest_title", title)]
    overdue = open_items(session=ctx.session, now=ctx.now, rules=rules, colour=COLOUR_RED, limit=DIGEST_LINES)
    for item, _colour in overdue:
        lines.append(
            Text(
                "supervision.digest_overdue",
                {
                    "number": item.id,
                    "group": group_name(ctx, item.lead_group),
                    "days": overdue_days(ctx, item),
                    "content": content_for(item, in_group=True, short=True),
                },
            )
        )
    start = datetime.combine(ctx.today - timedelta(days=1), time(0), ctx.tz)
    closed = closed_between(session=ctx.session, start=start, end=start + timedelta(days=1), limit=DIGEST_LINES)
    lines.append(Text("supervision.digest_closed", {"count": len(closed)}))
    for item in closed:
        params = {"number": item.id, "group": group_name(ctx, item.lead_group)}
        lines.append(
            Text("supervision.digest_closed_line", {**params, "content": content_for(item, in_group=True, short=True)})
        )
    if not closed and not sum(counts.values()):
        return []  # nothing open and nothing closed: no digest
    return lines


SUPERVISION_JOB = Job("supervision", tick_supervision, times=supervision_times)
"""The chases of 督办 items by colour, and the morning digest; in the quiet hours they wait."""
