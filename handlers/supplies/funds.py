"""Funds (资金保障): purchases against budget lines, a leader's approval over budget, and /funds."""

from __future__ import annotations

import logging
import re

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import Button, Text, TextError
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, parse_record_number, shown_number
from lianfang.handlers.supplies.cards import card, granted, is_supplies_lead, status_text, step_buttons
from lianfang.handlers.supplies.notices import tell_requester, tell_supplies_group
from lianfang.handlers.supplies.settings import SUPPLIES, BudgetLine
from lianfang.models.members import ROLE_ADMIN, ROLE_LEADER, Member, get_member, list_members
from lianfang.models.supplies import (
    PURCHASE_RECORDED,
    PURCHASE_REFUSED,
    PURCHASE_WAITING,
    SOURCE_PURCHASE,
    STATUS_ALLOCATED,
    STATUS_APPROVED,
    Purchase,
    SupplyNeed,
    add_purchase,
    advance_need,
    decide_purchase,
    get_need,
    get_purchase,
    spent_by_line,
    waiting_purchase,
)

logger = logging.getLogger(__name__)

FUNDS_COMMAND = "funds"
FEN_PER_YUAN = 100
PRICE = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")
MAX_UNIT_PRICE_FEN = 100_000_000
MAX_TOTAL_FEN = 2_000_000_000
"""A purchase's total must fit the integer column on every database (2³¹ fen is about 21 million yuan)."""
MAX_SUPPLIER = 64
DECIDE_APPROVE = "approve"
DECIDE_REFUSE = "refuse"
DECISIONS: dict[str, str] = {
    DECIDE_APPROVE: DECIDE_APPROVE,
    "批准": DECIDE_APPROVE,
    "同意": DECIDE_APPROVE,
    DECIDE_REFUSE: DECIDE_REFUSE,
    "不批准": DECIDE_REFUSE,
    "驳回": DECIDE_REFUSE,
}


def yuan(fen: int) -> str:
    """Format an amount in fen as yuan with two decimals."""
    return f"{fen // FEN_PER_YUAN}.{fen % FEN_PER_YUAN:02d}"


def parse_price(text: str) -> int:
    """Read a unit price in yuan (``2.5``, ``12``, ``０.８``) as fen; refuse zero, negatives and junk."""
    match = PRICE.match(text.translate(FULLWIDTH_DIGITS).removeprefix("¥").removesuffix("元"))
    if match is None:
        raise TextError("funds.bad_price", text=shown_number(text))
    fen = int(match.group(1)) * FEN_PER_YUAN + int((match.group(2) or "0").ljust(2, "0"))
    if not 0 < fen <= MAX_UNIT_PRICE_FEN:
        raise TextError("funds.bad_price", text=shown_number(text))
    return fen


def buy_for_request(ctx: MemberContext, need: SupplyNeed, args: str) -> bool:
    """Record a purchase (采购) for an approved request: ``supplier unit-price budget-line``.

    Within its budget line it is recorded and the request is supplied; over it, it waits for a leader's approval.
    Return whether the request moved on now.
    """
    rules = SUPPLIES.of(ctx.org)
    waiting = waiting_purchase(session=ctx.session, need_id=need.id or 0)
    if waiting is not None:
        raise TextError("funds.already_waiting", number=waiting.id, need=need.id)
    words = args.split()
    if len(words) < 3:  # noqa: PLR2004 - supplier, price, line
        lines = "、".join(line.name for line in rules.budget)
        raise TextError("funds.ask_purchase", number=need.id, lines=lines or "-")
    line = rules.line(words[-1])
    if line is None:
        raise TextError("funds.unknown_line", line=words[-1][:32], lines="、".join(b.name for b in rules.budget))
    price = parse_price(words[-2])
    supplier = " ".join(words[:-2])[:MAX_SUPPLIER]
    quantity = granted(need)
    total = price * quantity
    if total > MAX_TOTAL_FEN:
        raise TextError("funds.too_much", total=yuan(total))
    over = _spent(ctx, line) + total > line.amount * FEN_PER_YUAN
    purchase = add_purchase(
        session=ctx.session,
        now=ctx.now,
        member_id=ctx.member_id,
        need_id=need.id,
        item=need.item,
        quantity=quantity,
        supplier=supplier,
        unit_price_fen=price,
        total_fen=total,
        budget_line=line.key,
        status=PURCHASE_WAITING if over else PURCHASE_RECORDED,
    )
    if over:
        _ask_leaders(ctx, purchase, line)
        ctx.reply(Text("funds.waiting", _purchase_params(ctx, purchase, line)))
        return False
    if not _supply(ctx, need, purchase, ctx.member_id):
        raise TextError("supply.not_now", number=need.id, status=status_text(need.status))
    ctx.reply(
        Text("funds.recorded", _purchase_params(ctx, purchase, line)),
        *card(ctx, need),
        buttons=step_buttons(ctx, ctx.member, need),
    )
    return True


def _supply(ctx: Context, need: SupplyNeed, purchase: Purchase, member_id: int) -> bool:
    note = f"{purchase.supplier} ¥{yuan(purchase.total_fen)}"
    return advance_need(
        session=ctx.session,
        need=need,
        status=STATUS_ALLOCATED,
        member_id=member_id,
        now=ctx.now,
        quantity=purchase.quantity,
        note=note,
        source=SOURCE_PURCHASE,
    )


def _spent(ctx: Context, line: BudgetLine) -> int:
    return spent_by_line(session=ctx.session).get(line.key, 0)


def _purchase_params(ctx: Context, purchase: Purchase, line: BudgetLine) -> dict[str, object]:
    spent = _spent(ctx, line)
    return {
        "number": purchase.id,
        "need": purchase.need_id,
        "item": purchase.item,
        "quantity": purchase.quantity,
        "supplier": purchase.supplier,
        "price": yuan(purchase.unit_price_fen),
        "total": yuan(purchase.total_fen),
        "line": line.name,
        "amount": yuan(line.amount * FEN_PER_YUAN),
        "spent": yuan(spent),
        "remaining": yuan(line.amount * FEN_PER_YUAN - spent),
    }


def _ask_leaders(ctx: Context, purchase: Purchase, line: BudgetLine) -> None:
    leaders = list_members(session=ctx.session, roles=(ROLE_LEADER,))
    buttons = [
        Button(Text("funds.button_approve"), f"/{FUNDS_COMMAND} {DECIDE_APPROVE} {purchase.id}"),
        Button(Text("funds.button_refuse"), f"/{FUNDS_COMMAND} {DECIDE_REFUSE} {purchase.id}"),
    ]
    send_privately(ctx, leaders, [Text("funds.over_budget", _purchase_params(ctx, purchase, line))], buttons=buttons)


def may_see_funds(ctx: Context, member: Member | None) -> bool:
    """Tell whether a member may see the budget: 保障组 leads, leaders and admins."""
    return member is not None and (member.role in (ROLE_LEADER, ROLE_ADMIN) or is_supplies_lead(ctx, member))


def funds_command(ctx: MemberContext, args: str) -> None:
    """Show spent and remaining per budget line, or decide a purchase waiting for a leader."""
    words = args.split()
    if words and words[0].lower() in DECISIONS:
        _decide(ctx, DECISIONS[words[0].lower()], words[1] if len(words) > 1 else "")
        return
    if not may_see_funds(ctx, ctx.member):
        ctx.reply("funds.not_allowed")
        return
    rules = SUPPLIES.of(ctx.org)
    if not rules.budget:
        ctx.reply("funds.not_configured")
        return
    spent = spent_by_line(session=ctx.session)
    lines = [Text("funds.title")]
    for line in rules.budget:
        used = spent.get(line.key, 0)
        amount = line.amount * FEN_PER_YUAN
        lines.append(
            Text(
                "funds.line",
                {"line": line.name, "amount": yuan(amount), "spent": yuan(used), "remaining": yuan(amount - used)},
            )
        )
    ctx.reply(*lines)


def _decide(ctx: MemberContext, decision: str, number: str) -> None:
    if ctx.member.role != ROLE_LEADER:
        ctx.refuse("funds.leaders_only")
        return
    purchase_id = parse_record_number(number) if number else None
    purchase = get_purchase(session=ctx.session, purchase_id=purchase_id) if purchase_id else None
    if purchase is None:
        ctx.refuse(Text("funds.unknown", {"number": shown_number(number)}))
        return
    line = SUPPLIES.of(ctx.org).line(purchase.budget_line)
    need = get_need(session=ctx.session, need_id=purchase.need_id) if purchase.need_id else None
    if need is not None:
        ctx.session.refresh(need, with_for_update=True)
    if purchase.status != PURCHASE_WAITING or line is None or (need is not None and need.status != STATUS_APPROVED):
        ctx.refuse(Text("funds.decided", {"number": purchase.id}))
        return
    status = PURCHASE_RECORDED if decision == DECIDE_APPROVE else PURCHASE_REFUSED
    if not decide_purchase(session=ctx.session, purchase=purchase, status=status, member_id=ctx.member_id):
        ctx.refuse(Text("funds.decided", {"number": purchase.id}))
        return
    logger.info("purchase %s %s by leader %s", purchase.id, status, ctx.member_id)
    key = "funds.approved" if status == PURCHASE_RECORDED else "funds.refused"
    line_text = Text(key, _purchase_params(ctx, purchase, line))
    ctx.reply(line_text)
    buyer = get_member(session=ctx.session, member_id=purchase.member_id)
    if buyer is not None:
        send_privately(ctx, [buyer], [line_text])
    if need is not None and status == PURCHASE_RECORDED and _supply(ctx, need, purchase, ctx.member_id):
        tell_requester(ctx, need)
        tell_supplies_group(ctx, need)


COMMANDS = (
    Command(
        FUNDS_COMMAND,
        funds_command,
        aliases=("资金",),
        private_only=True,
        arg_words={DECIDE_APPROVE: "批准", DECIDE_REFUSE: "不批准"},
    ),
)
