"""/supervise: the items a member may see by colour, one item with its history, and the routing of the command."""

from __future__ import annotations

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import Button, Document, Text
from lianfang.handlers.shared.labels import member_label
from lianfang.handlers.shared.parsers import parse_record_number, shown_number
from lianfang.handlers.supervision.cards import (
    COLOUR_TEXT,
    COMMAND,
    buttons_for,
    card,
    colour_label,
    content_for,
    group_name,
    show_value,
    state_label,
)
from lianfang.handlers.supervision.due import shown_due
from lianfang.handlers.supervision.export import send_export
from lianfang.handlers.supervision.items import attachment_of, kept_document, start_item
from lianfang.handlers.supervision.scope import may_create, may_see, visible_group
from lianfang.handlers.supervision.settings import SUPERVISION
from lianfang.handlers.supervision.steps import VERBS, take_step
from lianfang.models.members import get_member
from lianfang.models.supervision import (
    ACTION_CREATE,
    ACTION_ESCALATE,
    COLOURS,
    FLAG_ACCOUNTABILITY,
    SupervisionEvent,
    SupervisionItem,
    colour_counts,
    events_of,
    get_item,
    item_colour,
    open_items,
)

LIST_LIMIT = 20
EVIDENCE_SHOWN = 3
"""The latest evidence files /supervise N sends with the history; the history names every one."""
LIST_BUTTONS = 10
NEW_WORDS = ("new", "新建", "交办")
EXPORT_WORDS = ("export", "导出")
"""What follows /supervise to get both ledgers as .xlsx."""
"""What follows /supervise to open a blank form for a new item."""
EVENT_TEXT = {
    ACTION_CREATE: "supervision.event_create",
    ACTION_ESCALATE: "supervision.event_escalate",
    "accept": "supervision.event_accept",
    "progress": "supervision.event_progress",
    "ask_extension": "supervision.event_ask_extension",
    "approve": "supervision.event_approve",
    "refuse": "supervision.event_refuse",
    "report_done": "supervision.event_report_done",
    "confirm": "supervision.event_confirm",
    "return": "supervision.event_return",
    "withdraw": "supervision.event_withdraw",
}
HISTORY_TIME = "%m-%d %H:%M"
TYPED_WORDS = {
    "new": "新建",
    "export": "导出",
    "accept": "签收",
    "progress": "进展",
    "extend": "延期",
    "done": "办结",
    "confirm": "确认",
    "return": "退回",
    "approve": "同意",
    "refuse": "不同意",
    "withdraw": "撤销",
}
"""The Chinese word typed for each word a button's value carries (WeCom without buttons shows these)."""
NEW_BUTTON = Button(Text("supervision.button_new"), f"/{COMMAND} new")


def supervise_command(ctx: MemberContext, args: str) -> None:
    """List items (``/supervise``), show one (``/supervise 12``), take a step (``/supervise 12 签收``), or create
    one (``/supervise new``, or in one line ``/supervise 排查组 1月30日 内容``)."""
    args = args.strip()
    first, _, rest = args.partition(" ")
    if not args:
        list_items(ctx)
        return
    number = parse_record_number(first)
    if number is None and first.lower() in EXPORT_WORDS and not rest:
        send_export(ctx)
        return
    if number is None:
        if not may_create(ctx, ctx.member):
            ctx.reply("supervision.may_not_create")
            return
        start_item(ctx, rest.strip() if first.lower() in NEW_WORDS else args)
        return
    item = get_item(session=ctx.session, item_id=number)
    if item is None or not may_see(ctx, ctx.member, item):
        ctx.reply("supervision.unknown", number=shown_number(first))  # someone else's number looks like none
        return
    word, _, text = rest.strip().partition(" ")
    if not word:
        show_item(ctx, item)
        return
    action = VERBS.get(word.lower())
    if action is None:
        ctx.reply("supervision.bad_step", number=item.id, word=word[:12], buttons=buttons_for(ctx, ctx.member, item))
        return
    take_step(ctx, item, action, text.strip())


def list_items(ctx: MemberContext) -> None:
    """List the open items the member may see, by colour, with counts."""
    member = ctx.member
    rules = SUPERVISION.of(ctx.org).colour_rules()
    group = visible_group(ctx, member)
    counts = colour_counts(session=ctx.session, now=ctx.now, rules=rules, group=group)
    shown = open_items(session=ctx.session, now=ctx.now, rules=rules, group=group, limit=LIST_LIMIT)
    extra = [NEW_BUTTON] if may_create(ctx, member) else []
    if not shown:
        ctx.reply("supervision.none", buttons=extra)
        return
    params = {colour: counts[colour] for colour in COLOURS}
    lines = [Text("supervision.list_title", {"total": sum(counts.values()), **params})]
    for item, colour in shown:
        lines.append(
            Text(
                "supervision.list_line",
                {
                    "colour": Text(COLOUR_TEXT[colour]),
                    "number": item.id,
                    "group": group_name(ctx, item.lead_group),
                    "content": content_for(item, in_group=False, short=True),
                    "due": shown_due(ctx, item.due_at),
                    "state": state_label(item.state),
                },
            )
        )
    if sum(counts.values()) > len(shown):
        lines.append(Text("supervision.list_more", {"count": sum(counts.values()) - len(shown)}))
    buttons = [
        Button(Text("supervision.list_button", {"number": item.id}), show_value(item))
        for item, _colour in shown[:LIST_BUTTONS]
    ]
    ctx.reply(*lines, buttons=[*buttons, *extra])


def show_item(ctx: MemberContext, item: SupervisionItem) -> None:
    """Show one item: its card and its whole history, with the steps the member may take."""
    rules = SUPERVISION.of(ctx.org).colour_rules()
    assert item.id is not None
    colour = item_colour(session=ctx.session, item_id=item.id, now=ctx.now, rules=rules)
    lines = card(ctx, item, colour)
    creator = get_member(session=ctx.session, member_id=item.creator_id)
    lines.append(
        Text(
            "supervision.card_counts",
            {
                "creator": member_label(creator) if creator else "-",
                "extensions": item.extensions,
                "returns": item.returns,
            },
        )
    )
    lines.append(Text("supervision.history_title"))
    documents: list[tuple[SupervisionEvent, Document]] = []
    for event in events_of(session=ctx.session, item_id=item.id):
        lines.append(history_line(ctx, event))
        document = kept_document(ctx, event.evidence_id)
        if document is not None:
            lines.append(Text("supervision.history_evidence", {"file": document.file_name}))
            documents.append((event, document))
    ctx.reply(*lines, buttons=buttons_for(ctx, ctx.member, item))
    document = attachment_of(ctx, item)
    if document is not None:
        key = "supervision.photo_title" if item.inspection_id is not None else "supervision.attachment_title"
        ctx.reply(Text(key, {"number": item.id}), document=document)
    # The command is private only, and the member may see the item: the evidence goes to this chat alone.
    for event, document in documents[-EVIDENCE_SHOWN:]:
        by = get_member(session=ctx.session, member_id=event.member_id) if event.member_id is not None else None
        params = {"number": item.id, "name": member_label(by) if by else "-"}
        ctx.reply(Text("supervision.evidence_title", params), document=document)


def history_line(ctx: Context, event: SupervisionEvent) -> Text:
    """Return one line of an item's history: when, who, what, and the note."""
    by = get_member(session=ctx.session, member_id=event.member_id) if event.member_id is not None else None
    if event.action == ACTION_ESCALATE and event.note == FLAG_ACCOUNTABILITY:
        what = Text("supervision.event_accountability")
    else:
        what = Text(EVENT_TEXT[event.action], {"colour": colour_label(event.note) if event.note in COLOUR_TEXT else ""})
    params = {
        "time": event.at.astimezone(ctx.tz).strftime(HISTORY_TIME),
        "name": member_label(by) if by else Text("supervision.by_system"),
        "what": what,
    }
    if event.due_at is not None:
        params["what"] = Text("supervision.event_with_due", {"what": what, "due": shown_due(ctx, event.due_at)})
    if event.note and event.action != ACTION_ESCALATE:
        return Text("supervision.history_line_note", {**params, "note": event.note})
    return Text("supervision.history_line", params)


SUPERVISE_COMMAND = Command(
    COMMAND,
    supervise_command,
    aliases=("督办",),
    private_only=True,
    arg_words=TYPED_WORDS,
)
