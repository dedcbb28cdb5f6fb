"""Supply needs typed as free text: ``东风社区急需口罩2000只、消毒液50瓶`` read into one summary, one 提交, and one
need per item, each stored, told to the 保障组 leads and (when urgent) announced exactly as a form-made need.

A plain private message is read as a supply need before it is read as a check, when it asks for an item (with a
quantity, or with a need word such as 需要, 缺, 急需) and says nothing of anyone's health: a temperature, a symptom,
a travel or contact history or a measure keeps it a check (``3栋2单元501张三 37.9 咳嗽 家里缺口罩``).
"""

from __future__ import annotations

from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import FieldError, Form, FormField, static_fields
from lianfang.bot.org import Org
from lianfang.bot.types import Text
from lianfang.handlers.shared.freetext import DEFAULT_UNITS, SupplyReading, community_words, parse_check, parse_supply
from lianfang.handlers.shared.labels import community_default
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.models.supplies import URGENCY_HIGH, URGENCY_NORMAL

FORM_SUPPLY_TEXT = "supply_text"
MAX_ITEMS = 20
"""More items than this in one message are refused: nobody types a warehouse list into a chat by hand."""
HEALTH_FIELDS = ("temperature", "symptoms", "history", "measure")
"""What the check parser reads that makes a message a check, even when it also asks for supplies."""
URGENCY_BY_READING = {True: URGENCY_HIGH, False: URGENCY_NORMAL, None: URGENCY_NORMAL}
"""急/急需/紧急 make a need urgent; a need that does not say so is normal (the summary shows it; 修改 changes it)."""


def read_supply_text(org: Org, text: str) -> SupplyReading:
    """Read a supply need with the org file's items and communities."""
    pairs = [(community.key, community.name, community.compounds) for community in org.communities]
    items = [item.name for item in SUPPLIES.of(org).items]
    return parse_supply(text, items=items, communities=community_words(pairs))


def unit_for(ctx: Context, item: str) -> str | None:
    """Return the unit an item is counted in when the text gives none: the org file's, else the usual one."""
    configured = SUPPLIES.of(ctx.org).item(item)
    return configured.unit if configured else DEFAULT_UNITS.get(item)


def complete_items(ctx: Context, reading: SupplyReading) -> list[dict[str, Any]] | None:
    """Return the items as stored answers, each with quantity and unit, or None when one lacks a quantity or unit."""
    answers = []
    for found in reading.items:
        unit = found.unit or unit_for(ctx, found.item)
        if found.quantity is None or unit is None:
            return None
        answers.append({"item": found.item, "quantity": found.quantity, "unit": unit})
    return answers or None


def parse_items(text: str, ctx: Context) -> list[dict[str, Any]]:
    """Read the items question's answer (``口罩2000只、消毒液50瓶``)."""
    reading = read_supply_text(ctx.org, text)
    if len(reading.items) > MAX_ITEMS:
        raise FieldError("supply_text.too_many", count=MAX_ITEMS)
    answers = complete_items(ctx, reading)
    if answers is None:
        raise FieldError("supply_text.error_items")
    return answers


def items_line(items: list[dict[str, Any]]) -> Text:
    """Show the items as ``口罩 2000 只、消毒液 50 瓶``."""
    return Text.raw("、".join(f"{item['item']} {item['quantity']} {item['unit']}" for item in items))


def text_fields(supply_fields: tuple[FormField, ...]) -> tuple[FormField, ...]:
    """Return the free-text form's questions: the items, then the supply form's urgency, community and purpose."""
    items = FormField(
        "items",
        Text("supply_text.ask_items"),
        Text("supply_text.label_items"),
        parse=parse_items,
        display=items_line,
    )
    return (items, *(field for field in supply_fields if field.name in ("urgency", "community", "reason")))


def start_supply_text(ctx: MemberContext, reading: SupplyReading) -> None:
    """Open the free-text form filled in from the reading; the summary comes at once when every item is complete."""
    if len(reading.items) > MAX_ITEMS:
        ctx.reply("supply_text.too_many", count=MAX_ITEMS)
        return
    items = complete_items(ctx, reading)
    prefill: dict[str, Any] = {"items": items, "community": reading.community, "reason": reading.purpose}
    if reading.urgent is not None:
        prefill["urgency"] = URGENCY_BY_READING[reading.urgent]
    defaults: dict[str, Any] = {**community_default(ctx), "urgency": URGENCY_NORMAL, "reason": None}
    if items is None:
        shown = "、".join(found.item for found in reading.items)
        lead = Text("supply_text.partial", {"items": shown})
    else:
        lead = Text("freetext.understood")
    ctx.start_form(FORM_SUPPLY_TEXT, prefill=prefill, defaults=defaults, lead=lead)


def reads_as_supply(ctx: Context, text: str, reading: SupplyReading) -> bool:
    """Tell whether a plain message is a supply need rather than a check: it asks for an item and says nothing of
    anyone's health."""
    if not reading.is_need:
        return False
    compounds = tuple(name for name, _ in ctx.org.compound_index)
    understood = parse_check(text, compounds).as_json()
    return all(understood[field] is None for field in HEALTH_FIELDS)


def read_plain_supply(ctx: MemberContext, text: str) -> bool:
    """Take a plain private message that reads as a supply need to its summary; False for anything else."""
    reading = read_supply_text(ctx.org, text)
    if not reads_as_supply(ctx, text, reading):
        return False
    start_supply_text(ctx, reading)
    return True


def supply_text_form(supply_fields: tuple[FormField, ...], submit: Any) -> Form:
    """Return the free-text supply form, its questions built on the supply form's."""
    return Form(FORM_SUPPLY_TEXT, Text("supply.title"), static_fields(*text_fields(supply_fields)), submit)
