"""Market inspections (市场检查): one inspection per form, closures kept until lifted, rectifications followed up."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, FieldError, Form, FormField, file_answer, static_fields
from lianfang.bot.types import Button, Text
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.shared.audiences import group_chat, leadership_chats, send_privately
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, parse_text
from lianfang.handlers.stability.settings import STABILITY
from lianfang.models.markets import (
    ACTION_CLOSE,
    ACTION_NONE,
    ACTION_RECTIFY,
    ACTION_REFER,
    CHECK_HYGIENE,
    CHECK_MEASURES,
    CHECK_PRICES,
    CHECK_WILDLIFE,
    add_inspection,
    closures,
    due_followups,
    lift,
    mark_followed_up,
    open_closure,
)
from lianfang.models.members import Member, get_member

logger = logging.getLogger(__name__)

MARKET_COMMAND = "market"
FORM_MARKET = "market"
MAX_MARKET = 64
MAX_FINDINGS = 500
MAX_RECTIFY_DAYS = 90
CLOSED_WORDS = ("closed", "关闭", "休市", "停业")
LIFT_WORDS = ("lift", "解除", "复市", "开业")
CHECK_TEXT = {
    CHECK_WILDLIFE: "market.check_wildlife",
    CHECK_PRICES: "market.check_prices",
    CHECK_HYGIENE: "market.check_hygiene",
    CHECK_MEASURES: "market.check_measures",
}
CHECK_WORDS = {
    CHECK_WILDLIFE: ("野生动物交易", "野生动物", "野味"),
    CHECK_PRICES: ("哄抬物价", "物价", "价格"),
    CHECK_HYGIENE: ("环境卫生", "卫生"),
    CHECK_MEASURES: ("防疫措施", "防疫"),
}
ACTION_TEXT = {
    ACTION_NONE: "market.action_none",
    ACTION_RECTIFY: "market.action_rectify",
    ACTION_CLOSE: "market.action_close",
    ACTION_REFER: "market.action_refer",
}
ACTION_WORDS = {
    ACTION_NONE: ("无问题", "没问题"),
    ACTION_RECTIFY: ("责令整改", "整改"),
    ACTION_CLOSE: ("休市关闭", "关闭", "休市"),
    ACTION_REFER: ("移交执法", "移交"),
}
CHECK_SEPARATORS = re.compile(r"[、,，;；\s]+")
DAYS = re.compile(r"^(\d{1,2})\s*天$")


def may_inspect(ctx: Context, member: Member) -> bool:
    """Tell whether a member records market inspections: the 保障组, the 社会稳定组 and overseers."""
    rules = STABILITY.of(ctx.org)
    return member.group_key in (rules.group, rules.markets_group) or is_overseer(ctx, member)


def market_choices(ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the markets the org file lists; any other may be typed."""
    return [Choice(market.name, Text.raw(market.name)) for market in STABILITY.of(ctx.org).markets]


def check_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the four checks; several may be typed together."""
    return [Choice(key, Text(CHECK_TEXT[key]), CHECK_WORDS[key]) for key in CHECK_TEXT]


def action_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the four actions."""
    return [Choice(key, Text(ACTION_TEXT[key]), ACTION_WORDS[key]) for key in ACTION_TEXT]


def parse_checks(text: str, _ctx: Context) -> str:
    """Read several checks typed together (``野生动物交易、环境卫生``) as comma-separated keys."""
    found: list[str] = []
    for word in CHECK_SEPARATORS.split(text.strip()):
        key = next((key for key, words in CHECK_WORDS.items() if word in (key, *words)), None)
        if key is None and word:
            raise FieldError("market.error_check", word=word[:12])
        if key is not None and key not in found:
            found.append(key)
    if not found:
        raise FieldError("form.error_empty")
    return ",".join(found)


def show_checks(value: Any) -> Text:
    """Show the checks done, by their names."""
    texts = [Text(CHECK_TEXT[key]) for key in str(value).split(",") if key in CHECK_TEXT]
    return _joined(texts) if texts else Text.raw("")


def _joined(texts: list[Text]) -> Text:
    """Join names as a list is written (野生动物交易、环境卫生), one nested line at a time."""
    if len(texts) == 1:
        return texts[0]
    return Text("market.checks_join", {"first": texts[0], "rest": _joined(texts[1:])})


def parse_deadline(text: str, ctx: Context) -> str:
    """Read a rectification deadline: a date (2020-02-01) or a number of days (3天), within 90 days."""
    typed = text.translate(FULLWIDTH_DIGITS).strip()
    days = DAYS.match(typed)
    try:
        deadline = ctx.today + timedelta(days=int(days.group(1))) if days else date.fromisoformat(typed)
    except ValueError:
        raise FieldError("market.error_deadline") from None
    if not ctx.today < deadline <= ctx.today + timedelta(days=MAX_RECTIFY_DAYS):
        raise FieldError("market.error_deadline")
    return deadline.isoformat()


MARKET_FIELDS = (
    FormField(
        "market",
        Text("market.ask_market"),
        Text("market.label_market"),
        parse=parse_text(MAX_MARKET),
        choices=market_choices,
    ),
    FormField(
        "checked",
        Text("market.ask_checked"),
        Text("market.label_checked"),
        parse=parse_checks,
        choices=check_choices,
        display=show_checks,
    ),
    FormField("findings", Text("market.ask_findings"), Text("market.label_findings"), parse=parse_text(MAX_FINDINGS)),
    FormField("action", Text("market.ask_action"), Text("market.label_action"), choices=action_choices),
    FormField(
        "deadline",
        Text("market.ask_deadline"),
        Text("market.label_deadline"),
        parse=parse_deadline,
        when=lambda data: data.get("action") == ACTION_RECTIFY,
    ),
    FormField("photo", Text("market.ask_photo"), Text("market.label_photo"), optional=True, takes_file=True),
)


def submit_market(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store the inspection; a closure is announced to the leadership and the markets group."""
    deadline = date.fromisoformat(data["deadline"]) if data.get("deadline") else None
    inspection = add_inspection(
        session=ctx.session,
        now=ctx.now,
        day=ctx.today,
        member_id=ctx.member_id,
        market=data["market"],
        checked=data["checked"],
        findings=data["findings"],
        action=data["action"],
        deadline=deadline,
        photo_id=photo[0] if (photo := file_answer(data.get("photo"))) else None,
    )
    logger.info("market inspection %s stored (%s)", inspection.id, inspection.action)
    params = {"number": inspection.id, "market": inspection.market, "action": Text(ACTION_TEXT[inspection.action])}
    kept = [Text("market.photo_kept")] if inspection.photo_id is not None else []
    ctx.reply(Text("market.saved", params), *kept)
    if inspection.action == ACTION_CLOSE:
        line = Text("market.closed_notice", params)
        rules = STABILITY.of(ctx.org)
        chats = leadership_chats(ctx)
        for key in (rules.markets_group, rules.group):
            chat = group_chat(ctx, key)
            if chat is not None and chat not in chats:
                chats.append(chat)
        for chat in chats:
            ctx.send(chat, [line], ctx.settings.default_language)


def market_command(ctx: MemberContext, args: str) -> None:
    """Record an inspection (``/market``), list closed markets (``/market 关闭``), lift one (``/market 解除 名称``)."""
    word, _, rest = args.strip().partition(" ")
    if word in CLOSED_WORDS:
        _list_closed(ctx)
        return
    if not may_inspect(ctx, ctx.member):
        ctx.reply("market.not_allowed")
        return
    if word in LIFT_WORDS:
        _lift(ctx, rest.strip())
        return
    prefill = {"market": args.strip()[:MAX_MARKET]} if args.strip() else {}
    ctx.start_form(FORM_MARKET, prefill=prefill)


def _list_closed(ctx: MemberContext) -> None:
    shown = closures(session=ctx.session)
    if not shown:
        ctx.reply("market.none_closed")
        return
    lines = [Text("market.closed_title", {"count": len(shown)})]
    buttons = []
    for closure in shown:
        since = closure.closed_at.astimezone(ctx.tz).strftime("%m-%d")
        lines.append(Text("market.closed_line", {"market": closure.market, "since": since}))
        if may_inspect(ctx, ctx.member):
            label = Text("market.button_lift", {"market": closure.market})
            buttons.append(Button(label, f"/{MARKET_COMMAND} {LIFT_WORDS[0]} {closure.market}"))
    ctx.reply(*lines, buttons=buttons)


def _lift(ctx: MemberContext, market: str) -> None:
    closure = open_closure(session=ctx.session, market=market) if market else None
    if closure is None:
        ctx.refuse(Text("market.not_closed", {"market": market[:MAX_MARKET] or "-"}))
        return
    if not lift(session=ctx.session, closure=closure, now=ctx.now, member_id=ctx.member_id):
        ctx.refuse(Text("market.not_closed", {"market": market}))
        return
    logger.info("closure %s lifted by member %s", closure.id, ctx.member_id)
    ctx.reply("market.lifted", market=market)


def follow_up_rectifications(ctx: Context) -> int:
    """At the follow-up time, remind the inspector of each 责令整改 whose deadline has come; once each."""
    if ctx.now.astimezone(ctx.tz).time() < STABILITY.of(ctx.org).followup_time:
        return 0
    count = 0
    for inspection in due_followups(session=ctx.session, day=ctx.today):
        if not mark_followed_up(session=ctx.session, inspection=inspection, now=ctx.now):
            continue
        line = Text(
            "market.followup",
            {"number": inspection.id, "market": inspection.market, "deadline": str(inspection.deadline)},
        )
        inspector = get_member(session=ctx.session, member_id=inspection.member_id)
        if inspector is not None:
            send_privately(ctx, [inspector], [line])
        chat = group_chat(ctx, STABILITY.of(ctx.org).markets_group)
        if chat is not None:
            ctx.send(chat, [line], ctx.settings.default_language)
        count += 1
    return count


MARKET_FORM = Form(FORM_MARKET, Text("market.title"), static_fields(*MARKET_FIELDS), submit_market)
COMMANDS = (Command(MARKET_COMMAND, market_command, aliases=("市场检查",), private_only=True),)
