"""A supply request's steps after it is raised: decided by a 保障组 lead, supplied, issued, signed for; and the list."""

from __future__ import annotations

import logging

from lianfang.bot.context import MemberContext
from lianfang.bot.forms import FieldError
from lianfang.bot.types import Button, Text, TextError
from lianfang.handlers.shared.parsers import read_int
from lianfang.handlers.supplies.cards import (
    STEP_APPROVE,
    STEP_BUTTON,
    STEP_BUY,
    STEP_ISSUE,
    STEP_RECEIVE,
    STEP_REJECT,
    STEP_STOCK,
    card,
    granted,
    may_see,
    may_take,
    sees_all_requests,
    status_text,
    step_buttons,
    value_of,
)
from lianfang.handlers.supplies.funds import buy_for_request
from lianfang.handlers.supplies.notices import tell_received, tell_requester, tell_supplies_group
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.handlers.supplies.stock import alert_if_low, issue_from_stock
from lianfang.models.members import get_member
from lianfang.models.supplies import (
    NEXT_STEPS,
    SOURCE_STOCK,
    STATUS_ALLOCATED,
    STATUS_APPROVED,
    STATUS_ISSUED,
    STATUS_OPEN,
    STATUS_RECEIVED,
    STATUS_REJECTED,
    SupplyNeed,
    advance_need,
    open_needs,
    withdraw_waiting_purchases,
)

logger = logging.getLogger(__name__)

LIST_LIMIT = 30
MAX_NOTE = 200
MAX_RECEIVER = 64
STEP_STATUS = {
    STEP_APPROVE: STATUS_APPROVED,
    STEP_REJECT: STATUS_REJECTED,
    STEP_STOCK: STATUS_ALLOCATED,
    STEP_BUY: STATUS_ALLOCATED,
    STEP_ISSUE: STATUS_ISSUED,
    STEP_RECEIVE: STATUS_RECEIVED,
}
"""The status each step leads to."""


def list_needs(ctx: MemberContext) -> None:
    """Show the open requests by status: all for the 保障组 and overseers, else one's own and one's community's."""
    member = ctx.member
    if sees_all_requests(ctx, member):
        shown = open_needs(session=ctx.session, limit=LIST_LIMIT)
    else:
        shown = open_needs(session=ctx.session, community=member.community, member_id=member.id, limit=LIST_LIMIT)
    if not shown:
        ctx.reply("supply.none")
        return
    lines = [Text("supply.list_title", {"count": len(shown)})]
    buttons = []
    for status in (STATUS_OPEN, STATUS_APPROVED, STATUS_ALLOCATED, STATUS_ISSUED):
        these = [need for need in shown if need.status == status]
        if not these:
            continue
        lines.append(Text("supply.list_status", {"status": status_text(status), "count": len(these)}))
        for need in these:
            params = {"number": need.id, "item": need.item, "quantity": need.quantity, "unit": need.unit}
            lines.append(Text("supply.list_line", params))
            buttons.append(Button(Text("supply.list_button", params), value_of(need)))
    ctx.reply(*lines, buttons=buttons)


def show_need(ctx: MemberContext, need: SupplyNeed) -> None:
    """Show a request's card with the steps the speaker may take."""
    ctx.reply(*card(ctx, need), buttons=step_buttons(ctx, ctx.member, need))


def take_step(ctx: MemberContext, need: SupplyNeed, step: str, args: str) -> None:
    """Take one step on a request, or say why not; nothing is written when it is refused."""
    member = ctx.member
    if not may_see(ctx, member, need):
        ctx.reply("supply.unknown", number=need.id)
        return
    if step in (STEP_APPROVE, STEP_REJECT) and need.member_id == member.id:
        ctx.refuse(Text("supply.own_request", {"number": need.id}))
        return
    if not may_take(ctx, member, need, step):
        ctx.refuse(Text("supply.not_yours", {"number": need.id, "step": Text(STEP_BUTTON[step])}))
        return
    ctx.session.refresh(need, with_for_update=True)  # a concurrent tap waits here, then sees the step done
    if STEP_STATUS[step] not in NEXT_STEPS[need.status] or (step == STEP_RECEIVE and need.status == STATUS_RECEIVED):
        key = "supply.already_received" if need.status == STATUS_RECEIVED else "supply.not_now"
        params = {"number": need.id, "status": status_text(need.status)}
        ctx.refuse(Text(key, params), buttons=step_buttons(ctx, member, need))
        return
    try:
        done = _STEPS[step](ctx, need, args.strip())
    except TextError as error:
        ctx.refuse(error.text(), buttons=step_buttons(ctx, member, need))
        return
    if done:
        logger.info("supply need %s: %s by member %s", need.id, step, ctx.member_id)


def _advance(ctx: MemberContext, need: SupplyNeed, status: str, **values: object) -> bool:
    """Record the step; on a double tap or a race say where the request stands now."""
    quantity = values.pop("step_quantity", None)
    note = str(values.pop("note", ""))
    was = need.status
    if not advance_need(
        session=ctx.session,
        need=need,
        status=status,
        member_id=ctx.member_id,
        now=ctx.now,
        quantity=quantity if isinstance(quantity, int) else None,
        note=note,
        **values,
    ):
        ctx.session.refresh(need)
        ctx.refuse(Text("supply.not_now", {"number": need.id, "status": status_text(need.status)}))
        return False
    logger.info("supply need %s: %s -> %s", need.id, was, status)
    head = Text("supply.recorded", {"number": need.id, "status": status_text(status)})
    ctx.reply(head, *card(ctx, need)[1:], buttons=step_buttons(ctx, ctx.member, need))
    tell_requester(ctx, need)
    return True


def _quantity(text: str, high: int) -> int:
    try:
        value = read_int(text, 1, high)
    except FieldError as error:
        raise TextError(error.key, **error.params) from None
    return int(value)


def _approve(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    quantity = _quantity(args, need.quantity) if args else need.quantity
    if not _advance(ctx, need, STATUS_APPROVED, approved_quantity=quantity, step_quantity=quantity):
        return False
    tell_supplies_group(ctx, need)
    return True


def _reject(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    if not args:
        raise TextError("supply.ask_reject_reason", number=need.id)
    if len(args) > MAX_NOTE:
        raise TextError("form.error_too_long", limit=MAX_NOTE, length=len(args))
    return _advance(ctx, need, STATUS_REJECTED, decision_note=args, note=args)


def _stock(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    rules = SUPPLIES.of(ctx.org)
    item = rules.item(need.item)
    if item is None:
        raise TextError("supply.not_stocked", item=need.item)
    if not args:
        buttons = [Button(Text.raw(place.name), f"{value_of(need)} {STEP_STOCK} {place.key}") for place in rules.places]
        ctx.reply("supply.ask_place", number=need.id, buttons=buttons)
        return False
    place = rules.place(args)
    if place is None:
        raise TextError("stock.unknown_place", place=args[:32], known="、".join(p.name for p in rules.places))
    quantity = granted(need)
    moved = issue_from_stock(ctx, item=item.name, place=place.key, quantity=quantity, need_id=need.id)
    if not moved.done:
        raise TextError("stock.not_enough", item=item.name, place=place.name, on_hand=moved.on_hand, unit=item.unit)
    if not _advance(ctx, need, STATUS_ALLOCATED, source=SOURCE_STOCK, place=place.key, step_quantity=quantity):
        return False
    withdraw_waiting_purchases(session=ctx.session, need_id=need.id or 0)  # a leader's later tap then changes nothing
    tell_supplies_group(ctx, need)
    alert_if_low(ctx, item=item, place=place.key, on_hand=moved.on_hand)
    return True


def _buy(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    if buy_for_request(ctx, need, args):
        tell_requester(ctx, need)
        tell_supplies_group(ctx, need)
        return True
    return False


def _issue(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    receiver = args
    if not receiver:
        requester = get_member(session=ctx.session, member_id=need.member_id)
        receiver = requester.name if requester else ""
    if not receiver:
        raise TextError("supply.ask_receiver", number=need.id)
    if len(receiver) > MAX_RECEIVER:
        raise TextError("form.error_too_long", limit=MAX_RECEIVER, length=len(receiver))
    return _advance(ctx, need, STATUS_ISSUED, issued_to=receiver, note=receiver)


def _receive(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    expected = granted(need)
    if not args:
        button = Button(
            Text("supply.button_receive_all", {"quantity": expected, "unit": need.unit}),
            f"{value_of(need)} {STEP_RECEIVE} {expected}",
        )
        ctx.reply("supply.ask_received", number=need.id, quantity=expected, unit=need.unit, buttons=[button])
        return False
    try:
        received = read_int(args, 0, expected)
    except FieldError as error:
        raise TextError(error.key, **error.params) from None
    shortfall = expected - int(received)
    if not _advance(
        ctx, need, STATUS_RECEIVED, received_quantity=int(received), shortfall=shortfall, step_quantity=int(received)
    ):
        return False
    tell_received(ctx, need)
    return True


_STEPS = {
    STEP_APPROVE: _approve,
    STEP_REJECT: _reject,
    STEP_STOCK: _stock,
    STEP_BUY: _buy,
    STEP_ISSUE: _issue,
    STEP_RECEIVE: _receive,
}
