"""Who may do what with a supply request, and how a request is shown: its card, its buttons, its status words."""

from __future__ import annotations

from lianfang.bot.context import Context
from lianfang.bot.types import Button, Text
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.shared.labels import community_name
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.models.members import ROLE_GROUP_LEAD, Member, list_members
from lianfang.models.supplies import (
    SOURCE_PURCHASE,
    STATUS_ALLOCATED,
    STATUS_APPROVED,
    STATUS_ISSUED,
    STATUS_OPEN,
    STATUS_RECEIVED,
    STATUS_REJECTED,
    URGENCY_HIGH,
    SupplyNeed,
)

SUPPLY_COMMAND = "supply"
STEP_APPROVE = "approve"
STEP_REJECT = "reject"
STEP_STOCK = "stock"
STEP_BUY = "buy"
STEP_ISSUE = "issue"
STEP_RECEIVE = "receive"
STEP_WORDS: dict[str, str] = {
    STEP_APPROVE: STEP_APPROVE,
    "批准": STEP_APPROVE,
    "同意": STEP_APPROVE,
    STEP_REJECT: STEP_REJECT,
    "不批准": STEP_REJECT,
    "不予批准": STEP_REJECT,
    "驳回": STEP_REJECT,
    STEP_STOCK: STEP_STOCK,
    "调拨": STEP_STOCK,
    STEP_BUY: STEP_BUY,
    "采购": STEP_BUY,
    STEP_ISSUE: STEP_ISSUE,
    "发放": STEP_ISSUE,
    STEP_RECEIVE: STEP_RECEIVE,
    "签收": STEP_RECEIVE,
}
"""What may follow ``/supply N``: the step's key (the buttons send these) or its Chinese word."""
STATUS_TEXT = {
    STATUS_OPEN: "supply.status_open",
    STATUS_APPROVED: "supply.status_approved",
    STATUS_REJECTED: "supply.status_rejected",
    STATUS_ALLOCATED: "supply.status_allocated",
    STATUS_ISSUED: "supply.status_issued",
    STATUS_RECEIVED: "supply.status_received",
}
STEP_BUTTON = {
    STEP_APPROVE: "supply.button_approve",
    STEP_REJECT: "supply.button_reject",
    STEP_STOCK: "supply.button_stock",
    STEP_BUY: "supply.button_buy",
    STEP_ISSUE: "supply.button_issue",
    STEP_RECEIVE: "supply.button_receive",
}
STEPS_AT: dict[str, tuple[str, ...]] = {
    STATUS_OPEN: (STEP_APPROVE, STEP_REJECT),
    STATUS_APPROVED: (STEP_STOCK, STEP_BUY),
    STATUS_ALLOCATED: (STEP_ISSUE,),
    STATUS_ISSUED: (STEP_RECEIVE,),
}
"""The steps a request's status allows; who may take each is ``may_take``'s rule."""


def in_supplies_group(ctx: Context, member: Member) -> bool:
    """Tell whether a member works in the 保障组, whatever their role."""
    return member.group_key == SUPPLIES.of(ctx.org).group


def is_supplies_lead(ctx: Context, member: Member) -> bool:
    """Tell whether a member leads the 保障组 (approves requests)."""
    return member.role == ROLE_GROUP_LEAD and in_supplies_group(ctx, member)


def supplies_leads(ctx: Context) -> list[Member]:
    """Return the 保障组 leads, who are told of new requests."""
    return list_members(session=ctx.session, group_key=SUPPLIES.of(ctx.org).group, roles=(ROLE_GROUP_LEAD,))


def sees_all_requests(ctx: Context, member: Member) -> bool:
    """Tell whether a member sees every community's requests: the 保障组 and the overseers."""
    return in_supplies_group(ctx, member) or is_overseer(ctx, member)


def may_see(ctx: Context, member: Member, need: SupplyNeed) -> bool:
    """Tell whether a member may see a request: its requester, its community's staff, the 保障组 and overseers."""
    return (
        need.member_id == member.id
        or sees_all_requests(ctx, member)
        or (member.community is not None and member.community == need.community)
    )


def may_take(ctx: Context, member: Member, need: SupplyNeed, step: str) -> bool:
    """Tell whether a member may take a step: leads decide, the 保障组 supplies, the requester signs."""
    if step in (STEP_APPROVE, STEP_REJECT):
        return is_supplies_lead(ctx, member)
    if step == STEP_RECEIVE:
        return need.member_id == member.id
    return in_supplies_group(ctx, member)


def status_text(status: str) -> Text:
    """Return a request status in the reader's language."""
    return Text(STATUS_TEXT[status])


def granted(need: SupplyNeed) -> int:
    """Return the quantity approved (the whole request until someone decided)."""
    return need.quantity if need.approved_quantity is None else need.approved_quantity


def card(ctx: Context, need: SupplyNeed) -> list[Text]:
    """Return a request's card: what, how many, for whom, where it stands."""
    lines = [
        Text(
            "supply.card_title",
            {
                "number": need.id,
                "status": status_text(need.status),
                "urgent": Text("supply.card_urgent" if need.urgency == URGENCY_HIGH else "supply.card_normal"),
            },
        ),
        Text(
            "supply.card_item",
            {
                "item": need.item,
                "quantity": need.quantity,
                "unit": need.unit,
                "community": community_name(ctx.org, need.community),
            },
        ),
    ]
    if need.reason:
        lines.append(Text("supply.card_reason", {"reason": need.reason}))
    if need.approved_quantity is not None:
        lines.append(Text("supply.card_approved", {"quantity": need.approved_quantity, "unit": need.unit}))
    if need.status == STATUS_REJECTED:
        lines.append(Text("supply.card_rejected", {"reason": need.decision_note}))
    if need.source:
        source = (
            Text("supply.card_from_purchase")
            if need.source == SOURCE_PURCHASE
            else Text("supply.card_from_stock", {"place": SUPPLIES.of(ctx.org).place_named(need.place)})
        )
        lines.append(source)
    if need.issued_to:
        lines.append(Text("supply.card_issued_to", {"to": need.issued_to}))
    if need.received_quantity is not None:
        key = "supply.card_received_short" if need.shortfall else "supply.card_received"
        lines.append(Text(key, {"quantity": need.received_quantity, "unit": need.unit, "shortfall": need.shortfall}))
    return lines


def step_buttons(ctx: Context, member: Member, need: SupplyNeed) -> list[Button]:
    """Return the buttons of the steps this member may take on this request now."""
    own = need.member_id == member.id
    return [
        Button(Text(STEP_BUTTON[step]), f"{value_of(need)} {step}")
        for step in STEPS_AT.get(need.status, ())
        if may_take(ctx, member, need, step) and not (own and step in (STEP_APPROVE, STEP_REJECT))
    ]


def value_of(need: SupplyNeed) -> str:
    """Return the command that shows a request."""
    return f"/{SUPPLY_COMMAND} {need.id}"
