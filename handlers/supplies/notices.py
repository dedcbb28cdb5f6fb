"""Who hears of a supply request's step: the requester at every step, the 保障组 chat when it has work to do."""

from __future__ import annotations

from lianfang.bot.context import Context
from lianfang.bot.types import Text
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.supplies.cards import card, granted, status_text, step_buttons
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.models.members import get_member
from lianfang.models.supplies import SupplyNeed


def tell_requester(ctx: Context, need: SupplyNeed) -> None:
    """Tell the requester where their request stands now (unless they took the step themselves)."""
    if need.member_id == ctx.member_id:
        return
    requester = get_member(session=ctx.session, member_id=need.member_id)
    if requester is None:
        return
    head = Text("supply.requester_update", {"number": need.id, "status": status_text(need.status)})
    send_privately(ctx, [requester], [head, *card(ctx, need)[1:]], buttons=step_buttons(ctx, requester, need))


def tell_supplies_group(ctx: Context, need: SupplyNeed) -> None:
    """Tell the 保障组 chat that a request waits for them (approved: supply it; supplied: issue it)."""
    chat = group_chat(ctx, SUPPLIES.of(ctx.org).group)
    if chat is None:
        return
    params = {"number": need.id, "item": need.item, "quantity": granted(need), "unit": need.unit}
    ctx.send(
        chat, [Text("supply.group_todo", {**params, "status": status_text(need.status)})], ctx.settings.default_language
    )


def tell_received(ctx: Context, need: SupplyNeed) -> None:
    """Tell the 保障组 chat that a request was signed for, with the shortfall if any."""
    chat = group_chat(ctx, SUPPLIES.of(ctx.org).group)
    if chat is None:
        return
    params = {"number": need.id, "item": need.item, "quantity": need.received_quantity, "unit": need.unit}
    key = "supply.group_received_short" if need.shortfall else "supply.group_received"
    ctx.send(chat, [Text(key, {**params, "shortfall": need.shortfall})], ctx.settings.default_language)
