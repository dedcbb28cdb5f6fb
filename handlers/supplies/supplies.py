"""Supply needs (物资需求): the form, the one-line shortcut, and the notice for urgent needs."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, Form, FormField, static_fields
from lianfang.bot.report_parts import ReportPart
from lianfang.bot.types import Text
from lianfang.handlers.shared.audiences import broadcast, leadership_chats
from lianfang.handlers.shared.labels import community_choices, community_default, community_label
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, parse_int, parse_text
from lianfang.models.supplies import URGENCY_HIGH, URGENCY_NORMAL, add_supply_need, supply_figures

logger = logging.getLogger(__name__)

FORM_SUPPLY = "supply"
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


def submit_supply(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store a supply need; urgent needs are announced to the leadership and 综合组 chats."""
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
    ctx.reply("supply.saved", number=record.id)
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


def supply_command(ctx: MemberContext, args: str) -> None:
    """Start a supply need, prefilled from a one-line entry."""
    ctx.start_form(FORM_SUPPLY, prefill=parse_supply_line(args) if args else {}, defaults=community_default(ctx))


SUPPLY_FORM = Form(FORM_SUPPLY, Text("supply.title"), static_fields(*SUPPLY_FIELDS), submit_supply)

COMMANDS = (Command("supply", supply_command, aliases=("物资",), private_only=True),)
FORMS = (SUPPLY_FORM,)


def report_summary(ctx: Context, day: date) -> list[Text]:
    """Return the supply line of the merged report's 疫情变化 section: needs raised today, open, and urgent."""
    figures = supply_figures(session=ctx.session, day=day)
    params = {"raised": figures.raised_today, "open": figures.open_total, "urgent": figures.open_urgent}
    return [Text("report.figures_supplies", params)]


REPORT = ReportPart(summary=report_summary)
