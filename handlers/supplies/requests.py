"""Supply requests (物资需求): the form, the one-line shortcut, free text (``/supply 东风社区急需口罩2000只``, or
the same as a plain message), the 保障组 leads told, urgent needs announced; and ``/supply`` routed to the list
or to a request's steps."""

from __future__ import annotations

import logging
import re
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, Form, FormField, static_fields
from lianfang.bot.types import Text
from lianfang.handlers.shared.audiences import broadcast, leadership_chats, send_privately
from lianfang.handlers.shared.labels import community_choices, community_default, community_label
from lianfang.handlers.shared.parsers import (
    FULLWIDTH_DIGITS,
    parse_int,
    parse_record_number,
    parse_text,
    shown_number,
)
from lianfang.handlers.supplies.cards import (
    STEP_APPROVE,
    STEP_BUY,
    STEP_ISSUE,
    STEP_RECEIVE,
    STEP_REJECT,
    STEP_STOCK,
    STEP_WORDS,
    SUPPLY_COMMAND,
    card,
    may_see,
    status_text,
    step_buttons,
    supplies_leads,
)
from lianfang.handlers.supplies.flow import list_needs, show_need, take_step
from lianfang.handlers.supplies.free_text import (
    read_plain_supply,
    read_supply_text,
    start_supply_text,
    supply_text_form,
)
from lianfang.models.supplies import URGENCY_HIGH, URGENCY_NORMAL, SupplyNeed, add_supply_need, get_need

logger = logging.getLogger(__name__)

FORM_SUPPLY = "supply"
LIST_WORDS = ("list", "列表", "清单")
MAX_ITEM = 64
MAX_UNIT = 16
MAX_REASON = 500
MAX_QUANTITY = 10_000_000
QUANTITY_TOKEN = re.compile(r"^(\d+)([^\d\s]{1,4})?$")
COMMON_UNITS = ("只", "个", "瓶", "箱", "套", "件", "包", "桶", "副", "台")
URGENT_WORDS = ("急", "紧急", "加急", "urgent", "high")
NORMAL_WORDS = ("一般", "不急", "普通", "normal", "low")


def unit_choices(_ctx: Context | None, _data: dict[str, Any]) -> list[Choice]:
    """Offer the usual units; any other short unit may be typed."""
    return [Choice(unit, Text.raw(unit)) for unit in COMMON_UNITS[:6]]


def urgency_choices(_ctx: Context | None, _data: dict[str, Any]) -> list[Choice]:
    """Offer urgent or normal."""
    return [
        Choice(URGENCY_HIGH, Text("supply.urgency_high"), URGENT_WORDS),
        Choice(URGENCY_NORMAL, Text("supply.urgency_normal"), NORMAL_WORDS),
    ]


SUPPLY_FIELDS = (
    FormField("item", Text("supply.ask_item"), Text("supply.label_item"), parse=parse_text(MAX_ITEM)),
    FormField("quantity", Text("supply.ask_quantity"), Text("supply.label_quantity"), parse=parse_int(1, MAX_QUANTITY)),
    FormField(
        "unit", Text("supply.ask_unit"), Text("supply.label_unit"), parse=parse_text(MAX_UNIT), choices=unit_choices
    ),
    FormField(
        "urgency",
        Text("supply.ask_urgency"),
        Text("supply.label_urgency"),
        choices=urgency_choices,
    ),
    FormField(
        "community",
        Text("supply.ask_community"),
        Text("supply.label_community"),
        choices=lambda ctx, _data: community_choices(ctx.org),
    ),
    FormField(
        "reason", Text("supply.ask_reason"), Text("supply.label_reason"), parse=parse_text(MAX_REASON), optional=True
    ),
)


def parse_supply_line(text: str) -> dict[str, Any]:
    """Read what a one-line ``/supply 口罩 2000 只 急`` gives."""
    prefill: dict[str, Any] = {}
    words: list[str] = []
    for token in text.translate(FULLWIDTH_DIGITS).split():
        match = QUANTITY_TOKEN.match(token)
        if "quantity" not in prefill and match and 1 <= int(match.group(1)) <= MAX_QUANTITY:
            prefill["quantity"] = int(match.group(1))
            if match.group(2):
                prefill["unit"] = match.group(2)
        elif token.lower() in URGENT_WORDS:
            prefill["urgency"] = URGENCY_HIGH
        elif token.lower() in NORMAL_WORDS:
            prefill["urgency"] = URGENCY_NORMAL
        elif "quantity" in prefill and "unit" not in prefill and len(token) <= MAX_UNIT:
            prefill["unit"] = token
        else:
            words.append(token)
    if words:
        prefill["item"] = " ".join(words)[:MAX_ITEM]
    return prefill


def store_need(ctx: MemberContext, data: dict[str, Any]) -> SupplyNeed:
    """Store one supply need from a form's answers."""
    record = add_supply_need(
        session=ctx.session,
        now=ctx.now,
        day=ctx.today,
        member_id=ctx.member_id,
        item=data["item"],
        quantity=data["quantity"],
        unit=data["unit"],
        urgency=data["urgency"],
        community=data["community"],
        reason=data.get("reason") or "",
    )
    logger.info("supply need %s stored (urgency=%s)", record.id, record.urgency)
    return record


def announce_need(ctx: MemberContext, record: SupplyNeed) -> None:
    """Tell the 保障组 leads of a new need, with its buttons; an urgent one goes to the leadership and 综合组 chats."""
    head = Text("supply.leads_new", {"number": record.id, "status": status_text(record.status)})
    for lead in supplies_leads(ctx):
        if lead.id != ctx.member_id:
            send_privately(ctx, [lead], [head, *card(ctx, record)[1:]], buttons=step_buttons(ctx, lead, record))
    if record.urgency == URGENCY_HIGH:
        community = ctx.org.community(record.community)
        broadcast(
            ctx,
            leadership_chats(ctx),
            [
                Text(
                    "supply.urgent_notice",
                    {
                        "number": record.id,
                        "item": record.item,
                        "quantity": record.quantity,
                        "unit": record.unit,
                        "community": community_label(community) if community else Text.raw(record.community),
                    },
                )
            ],
        )


def submit_supply(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store a supply need; urgent needs are announced to the leadership and 综合组 chats."""
    record = store_need(ctx, data)
    ctx.reply("supply.saved", number=record.id)
    announce_need(ctx, record)


def submit_supply_text(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store one need per item of a free-text need, acknowledge them in one message, then announce each."""
    shared = {name: data.get(name) for name in ("urgency", "community", "reason")}
    records = [store_need(ctx, {**shared, **item}) for item in data["items"]]
    lines = [
        Text("supply_text.saved_line", {"number": r.id, "item": r.item, "quantity": r.quantity, "unit": r.unit})
        for r in records
    ]
    ctx.reply(Text("supply_text.saved", {"count": len(records)}), *lines)
    for record in records:
        announce_need(ctx, record)


def is_spaced_shortcut(args: str) -> bool:
    """Tell whether ``/supply`` was given the one-line shortcut (``口罩 2000 只 急``): one word, a number, a unit."""
    shortcut = parse_supply_line(args)
    return "quantity" in shortcut and " " not in shortcut.get("item", " ")


def supply_command(ctx: MemberContext, args: str) -> None:
    """List open requests (``/supply list``), show one (``/supply 3``), take a step (``/supply 3 批准 1500``), or
    start a new need, prefilled from a one-line entry (``/supply 口罩 2000 只 急``)."""
    first, _, rest = args.strip().partition(" ")
    if first.lower() in LIST_WORDS and not rest.strip():
        list_needs(ctx)
        return
    number = parse_record_number(first) if first else None
    word, _, more = rest.strip().partition(" ")
    if number is not None and (not word or word.lower() in STEP_WORDS):
        need = get_need(session=ctx.session, need_id=number)
        if need is None or not may_see(ctx, ctx.member, need):
            ctx.reply("supply.unknown", number=shown_number(first))
        elif not word:
            show_need(ctx, need)
        else:
            take_step(ctx, need, STEP_WORDS[word.lower()], more)
        return
    if args and not is_spaced_shortcut(args):
        reading = read_supply_text(ctx.org, args)
        if len(reading.items) >= 2 or any(found.quantity is not None for found in reading.items):
            start_supply_text(ctx, reading)
            return
    ctx.start_form(FORM_SUPPLY, prefill=parse_supply_line(args) if args else {}, defaults=community_default(ctx))


SUPPLY_FORM = Form(FORM_SUPPLY, Text("supply.title"), static_fields(*SUPPLY_FIELDS), submit_supply)
SUPPLY_TEXT_FORM = supply_text_form(SUPPLY_FIELDS, submit_supply_text)

STEP_TYPED = {
    STEP_APPROVE: "批准",
    STEP_REJECT: "不予批准",
    STEP_STOCK: "调拨",
    STEP_BUY: "采购",
    STEP_ISSUE: "发放",
    STEP_RECEIVE: "签收",
}
"""The words a member types for each step's button value (``/supply 3 approve`` is ``物资 3 批准``)."""

COMMANDS = (
    Command(
        SUPPLY_COMMAND,
        supply_command,
        aliases=("物资",),
        private_only=True,
        arg_words=STEP_TYPED,
        reads_plain=read_plain_supply,
        reads_plain_first=True,
    ),
)
FORMS = (SUPPLY_FORM, SUPPLY_TEXT_FORM)
