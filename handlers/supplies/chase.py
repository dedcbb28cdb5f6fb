"""Chasing supply requests that stayed at one step too long: once per step, through the send ledger."""

from __future__ import annotations

from datetime import timedelta

from lianfang.bot.context import Context
from lianfang.bot.types import Text
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.supplies.cards import card, status_text, step_buttons, supplies_leads
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.models.base import to_db_time
from lianfang.models.members import get_member
from lianfang.models.send_ledger import claim, ledger_key
from lianfang.models.supplies import STATUS_ISSUED, STATUS_OPEN, URGENCY_HIGH, URGENCY_NORMAL, SupplyNeed, stale_needs

LEDGER_KIND = "supply-chase"
STALE_LIMIT = 500


def chase_needs(ctx: Context) -> int:
    """Chase whoever must take a request's next step, once per step: leads to decide, the 保障组 to supply and
    issue, the requester to sign; return how many requests were chased."""
    rules = SUPPLIES.of(ctx.org)
    waits = {
        URGENCY_HIGH: timedelta(minutes=rules.urgent_chase_minutes),
        URGENCY_NORMAL: timedelta(hours=rules.chase_hours),
    }
    chased = 0
    for urgency, wait in waits.items():
        for need in stale_needs(session=ctx.session, before=ctx.now - wait, urgency=urgency, limit=STALE_LIMIT):
            if _claim(ctx, need):
                _chase(ctx, need, wait)
                chased += 1
    return chased


def _claim(ctx: Context, need: SupplyNeed) -> bool:
    """Claim the chase of the request's current step; the step is named by its status and when it was taken."""
    assert need.updated_at is not None
    stamp = to_db_time(need.updated_at)
    day = stamp.astimezone(ctx.tz).date()
    key = ledger_key(day, LEDGER_KIND, need.id, need.status, int(stamp.timestamp()))
    return claim(session=ctx.session, day=day, kind=LEDGER_KIND, key=key, now=ctx.now, recipient=str(need.id))


def _chase(ctx: Context, need: SupplyNeed, wait: timedelta) -> None:
    minutes = int(wait.total_seconds()) // 60
    head = Text("supply.chase", {"number": need.id, "status": status_text(need.status), "minutes": minutes})
    lines = [head, *card(ctx, need)[1:]]
    if need.status == STATUS_ISSUED:
        requester = get_member(session=ctx.session, member_id=need.member_id)
        if requester is not None:
            send_privately(ctx, [requester], lines, buttons=step_buttons(ctx, requester, need))
        return
    for lead in supplies_leads(ctx):
        send_privately(ctx, [lead], lines, buttons=step_buttons(ctx, lead, need))
    chat = group_chat(ctx, SUPPLIES.of(ctx.org).group)
    if chat is not None and need.status != STATUS_OPEN:
        ctx.send(chat, [head], ctx.settings.default_language)
