"""Stock (库存): movements recorded with /stock, stock on hand shown, low-stock and stock-out alerts once a day."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import FieldError
from lianfang.bot.types import Text, TextError
from lianfang.handlers.shared.access import is_admin
from lianfang.handlers.shared.audiences import broadcast, group_chat, leadership_chats
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, read_int
from lianfang.handlers.supplies.cards import in_supplies_group
from lianfang.handlers.supplies.export import send_export
from lianfang.handlers.supplies.settings import SUPPLIES, Item, Place
from lianfang.models.dashboard import zero_stock_by_day
from lianfang.models.members import Member
from lianfang.models.send_ledger import claim, ledger_key
from lianfang.models.stock import (
    KIND_COUNT,
    KIND_IN,
    KIND_OUT,
    KIND_TRANSFER_IN,
    KIND_TRANSFER_OUT,
    Moved,
    all_on_hand,
    expired_batches,
    move,
    on_hand,
    used_since,
    write_off,
)

logger = logging.getLogger(__name__)

STOCK_COMMAND = "stock"
MAX_QUANTITY = 10_000_000
MAX_REASON = 200
MAX_BATCH = 32
COVER_DAYS = 7
"""Days of cover come from this many days' average use."""
LEDGER_LOW = "stock-low"
LEDGER_OUT = "stock-out"
DATE_TOKEN = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
EXPORT_WORDS = ("export", "导出", "台账")
VERB_IN = "in"
VERB_OUT = "out"
VERB_TRANSFER = "transfer"
VERB_COUNT = "count"
VERBS: dict[str, str] = {
    VERB_IN: VERB_IN,
    "入库": VERB_IN,
    VERB_OUT: VERB_OUT,
    "出库": VERB_OUT,
    VERB_TRANSFER: VERB_TRANSFER,
    "调拨": VERB_TRANSFER,
    VERB_COUNT: VERB_COUNT,
    "盘点": VERB_COUNT,
}
SOURCE_PURCHASE = "purchase"
SOURCE_DONATION = "donation"
SOURCE_ALLOCATION = "allocation"
SOURCES: dict[str, str] = {
    SOURCE_PURCHASE: SOURCE_PURCHASE,
    "采购": SOURCE_PURCHASE,
    SOURCE_DONATION: SOURCE_DONATION,
    "捐赠": SOURCE_DONATION,
    SOURCE_ALLOCATION: SOURCE_ALLOCATION,
    "调配": SOURCE_ALLOCATION,
    "区调配": SOURCE_ALLOCATION,
    "下拨": SOURCE_ALLOCATION,
}
SOURCE_TEXT = {
    SOURCE_PURCHASE: "stock.source_purchase",
    SOURCE_DONATION: "stock.source_donation",
    SOURCE_ALLOCATION: "stock.source_allocation",
}


def may_move_stock(ctx: Context, member: Member) -> bool:
    """Tell whether a member may record stock movements: the 保障组 and admins."""
    return in_supplies_group(ctx, member) or is_admin(ctx, member)


def stock_command(ctx: MemberContext, args: str) -> None:
    """Show stock on hand (``/stock``) or record a movement (``/stock 入库 N95口罩 500 街道仓库 捐赠``)."""
    words = args.split()
    if not words:
        show_stock(ctx)
        return
    if words[0].lower() in EXPORT_WORDS:
        send_export(ctx)
        return
    verb = VERBS.get(words[0].lower())
    if verb is None:
        ctx.reply("stock.usage")
        return
    if not may_move_stock(ctx, ctx.member):
        ctx.reply("stock.not_allowed")
        return
    try:
        _record(ctx, verb, words[1:])
    except TextError as error:
        ctx.reply(error.text(), Text("stock.usage"))


def _record(ctx: MemberContext, verb: str, words: list[str]) -> None:
    rules = SUPPLIES.of(ctx.org)
    if len(words) < 3:  # noqa: PLR2004 - item, quantity and place at least
        raise TextError("stock.missing")
    item = rules.item(words[0])
    if item is None:
        raise TextError("stock.unknown_item", item=words[0][:64], known="、".join(i.name for i in rules.items))
    quantity = _quantity(words[1], 0 if verb == VERB_COUNT else 1)
    place = _place(ctx, words[2])
    rest = words[3:]
    day = ctx.today
    if verb == VERB_IN:
        _stock_in(ctx, item, place, quantity, rest)
    elif verb == VERB_OUT:
        reason = _reason(rest, required=True)
        moved = move(
            session=ctx.session, now=ctx.now, day=day, kind=KIND_OUT, item=item.name, place=place.key,
            quantity=-quantity, member_id=ctx.member_id, reason=reason,
        )  # fmt: skip
        if not moved.done:
            raise _not_enough(item, place, moved)
        ctx.reply(Text("stock.out_done", _params(item, place, quantity, moved.on_hand)))
        alert_if_low(ctx, item=item, place=place.key, on_hand=moved.on_hand)
    elif verb == VERB_TRANSFER:
        if not rest:
            raise TextError("stock.missing_destination")
        target = _place(ctx, rest[0])
        if target.key == place.key:
            raise TextError("stock.same_place", place=place.name)
        moved = move(
            session=ctx.session, now=ctx.now, day=day, kind=KIND_TRANSFER_OUT, item=item.name, place=place.key,
            quantity=-quantity, member_id=ctx.member_id, reason=target.key,
        )  # fmt: skip
        if not moved.done:
            raise _not_enough(item, place, moved)
        arrived = move(
            session=ctx.session, now=ctx.now, day=day, kind=KIND_TRANSFER_IN, item=item.name, place=target.key,
            quantity=quantity, member_id=ctx.member_id, reason=place.key,
        )  # fmt: skip
        ctx.reply(
            Text(
                "stock.transfer_done",
                {**_params(item, place, quantity, moved.on_hand), "to": target.name, "to_on_hand": arrived.on_hand},
            )
        )
        alert_if_low(ctx, item=item, place=place.key, on_hand=moved.on_hand)
    else:
        reason = _reason(rest, required=False)
        before = on_hand(session=ctx.session, item=item.name, place=place.key)
        difference = quantity - before
        moved = move(
            session=ctx.session, now=ctx.now, day=day, kind=KIND_COUNT, item=item.name, place=place.key,
            quantity=difference, member_id=ctx.member_id, reason=reason,
        )  # fmt: skip
        ctx.reply(
            Text(
                "stock.count_done", {**_params(item, place, quantity, moved.on_hand), "difference": f"{difference:+d}"}
            )
        )
        alert_if_low(ctx, item=item, place=place.key, on_hand=moved.on_hand)


def _stock_in(ctx: MemberContext, item: Item, place: Place, quantity: int, rest: list[str]) -> None:
    source, batch, expiry = SOURCE_PURCHASE, "", None
    for word in rest:
        if word in SOURCES:
            source = SOURCES[word]
        elif DATE_TOKEN.match(word.translate(FULLWIDTH_DIGITS)):
            expiry = _date(word.translate(FULLWIDTH_DIGITS))
        else:
            batch = word[:MAX_BATCH]
    if expiry is not None and expiry <= ctx.today:
        raise TextError("stock.expired_already", expiry=expiry.isoformat())
    moved = move(
        session=ctx.session, now=ctx.now, day=ctx.today, kind=KIND_IN, item=item.name, place=place.key,
        quantity=quantity, member_id=ctx.member_id, source=source, batch=batch, expiry=expiry,
    )  # fmt: skip
    ctx.reply(
        Text("stock.in_done", {**_params(item, place, quantity, moved.on_hand), "source": Text(SOURCE_TEXT[source])})
    )


def issue_from_stock(ctx: MemberContext, *, item: str, place: str, quantity: int, need_id: int | None) -> Moved:
    """Take what a request was granted out of a place's stock; refused (nothing written) if there is not enough."""
    return move(
        session=ctx.session, now=ctx.now, day=ctx.today, kind=KIND_OUT, item=item, place=place,
        quantity=-quantity, member_id=ctx.member_id, need_id=need_id,
    )  # fmt: skip


def show_stock(ctx: Context) -> None:
    """Show stock on hand of every configured item at every place, low and empty ones marked."""
    rules = SUPPLIES.of(ctx.org)
    if not rules.items or not rules.places:
        ctx.reply("stock.not_configured")
        return
    levels = all_on_hand(session=ctx.session)
    lines = [Text("stock.title", {"time": ctx.now.astimezone(ctx.tz).strftime("%m-%d %H:%M")})]
    for item in rules.items:
        lines.append(Text("stock.item_line", {"item": item.name, "unit": item.unit, "threshold": item.threshold}))
        for place in rules.places:
            amount = levels.get((item.name, place.key), 0)
            key = "stock.place_out" if amount == 0 else "stock.place_low" if amount <= item.threshold else "stock.place"
            lines.append(Text(key, {"place": place.name, "on_hand": amount, "unit": item.unit}))
    ctx.reply(*lines)


def stock_outs(ctx: Context, first: date, last: date) -> dict[date, list[str]]:
    """Return the configured places and items out of stock (断货, zero on hand) each evening from ``first`` to
    ``last``, named as the report names them; today's are as the stock stands now, the same as the report's line."""
    rules = SUPPLIES.of(ctx.org)
    by_day = zero_stock_by_day(session=ctx.session, first=first, last=last)
    if first <= ctx.today <= last:
        levels = all_on_hand(session=ctx.session)
        by_day[ctx.today] = {pair for pair, amount in levels.items() if amount == 0}
    return {
        day: [
            f"{place.name}{item.name}"
            for item in rules.items
            for place in rules.places
            if (item.name, place.key) in empty
        ]
        for day, empty in by_day.items()
    }


def days_of_cover(ctx: Context, *, item: str, place: str, amount: int) -> int | None:
    """Return how many days the stock lasts at the last days' average use, or None if nothing was used."""
    used = used_since(session=ctx.session, item=item, place=place, since=ctx.today - timedelta(days=COVER_DAYS - 1))
    if used <= 0:
        return None
    return amount * COVER_DAYS // used


def alert_if_low(ctx: Context, *, item: Item, place: str, on_hand: int) -> None:
    """Alert the 保障组 chat when stock is at or below its threshold, and the leadership too at zero; once a day."""
    if on_hand > item.threshold:
        return
    rules = SUPPLIES.of(ctx.org)
    params = {"item": item.name, "place": rules.place_named(place), "on_hand": on_hand, "unit": item.unit}
    day = ctx.today
    cover = days_of_cover(ctx, item=item.name, place=place, amount=on_hand)
    # claimed only when there is a chat to tell: an alert with nowhere to go is tried again on the next movement
    chat = group_chat(ctx, rules.group)
    if chat is not None and _claim(ctx, day, LEDGER_LOW, item.name, place):
        lines = [Text("stock.low_alert", {**params, "threshold": item.threshold})]
        if cover is not None:
            lines.append(Text("stock.cover", {"days": cover}))
        ctx.send(chat, lines, ctx.settings.default_language)
    leaders = leadership_chats(ctx)
    if on_hand == 0 and leaders and _claim(ctx, day, LEDGER_OUT, item.name, place):
        broadcast(ctx, leaders, [Text("stock.out_alert", params)])


def _claim(ctx: Context, day: date, kind: str, item: str, place: str) -> bool:
    key = ledger_key(day, kind, item, place)
    return claim(session=ctx.session, day=day, kind=kind, key=key, now=ctx.now, recipient=place)


def check_stock(ctx: Context) -> int:
    """Once the day's check time has come: write off expired batches, then alert on low and empty stock."""
    rules = SUPPLIES.of(ctx.org)
    local = ctx.now.astimezone(ctx.tz)
    if local.time() < rules.stock_check:
        return 0
    for batch in expired_batches(session=ctx.session, day=ctx.today):
        moved = write_off(session=ctx.session, batch=batch, now=ctx.now, day=ctx.today)
        if moved.done:
            logger.info("expired batch of %s at %s written off", batch.item, batch.place)
    levels = all_on_hand(session=ctx.session)
    alerted = 0
    for item in rules.items:
        for place in rules.places:
            amount = levels.get((item.name, place.key), 0)
            if amount <= item.threshold and (item.name, place.key) in levels:
                alert_if_low(ctx, item=item, place=place.key, on_hand=amount)
                alerted += 1
    return alerted


def _quantity(text: str, low: int) -> int:
    try:
        return read_int(text, low, MAX_QUANTITY)
    except FieldError as error:
        raise TextError(error.key, **error.params) from None


def _place(ctx: Context, text: str) -> Place:
    rules = SUPPLIES.of(ctx.org)
    place = rules.place(text)
    if place is None:
        raise TextError("stock.unknown_place", place=text[:32], known="、".join(p.name for p in rules.places))
    return place


def _reason(words: list[str], *, required: bool) -> str:
    reason = " ".join(words)
    if required and not reason:
        raise TextError("stock.missing_reason")
    if len(reason) > MAX_REASON:
        raise TextError("form.error_too_long", limit=MAX_REASON, length=len(reason))
    return reason


def _date(text: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise TextError("stock.bad_date", text=text[:12]) from None


def _not_enough(item: Item, place: Place, moved: Moved) -> TextError:
    return TextError("stock.not_enough", item=item.name, place=place.name, on_hand=moved.on_hand, unit=item.unit)


def _params(item: Item, place: Place, quantity: int, balance: int) -> dict[str, object]:
    return {"item": item.name, "place": place.name, "quantity": quantity, "unit": item.unit, "on_hand": balance}


COMMANDS = (Command(STOCK_COMMAND, stock_command, aliases=("库存",), private_only=True),)
