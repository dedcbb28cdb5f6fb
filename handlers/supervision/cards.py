"""How a 督办 item is shown: its card, its labels (state, colour, source, priority) and the buttons it offers."""

from __future__ import annotations

from lianfang.bot.context import Context
from lianfang.bot.types import Button, Text
from lianfang.handlers.shared.labels import group_label
from lianfang.handlers.shared.masking import mask_text
from lianfang.handlers.supervision.due import shown_due
from lianfang.handlers.supervision.scope import handles, oversees
from lianfang.models.members import Member
from lianfang.models.supervision import (
    ACTION_ACCEPT,
    ACTION_APPROVE_EXTENSION,
    ACTION_CONFIRM,
    ACTION_PROGRESS,
    ACTION_REFUSE_EXTENSION,
    ACTION_REPORT_DONE,
    ACTION_REQUEST_EXTENSION,
    ACTION_RETURN,
    ACTION_WITHDRAW,
    COLOUR_BLUE,
    COLOUR_GREEN,
    COLOUR_RED,
    COLOUR_YELLOW,
    PRIORITY_NORMAL,
    PRIORITY_URGENT,
    SOURCE_INSPECTION,
    SOURCE_INSTRUCTION,
    SOURCE_MEETING,
    SOURCE_OTHER,
    SOURCE_SUPERIOR,
    STATE_AWAITING,
    STATE_DONE,
    STATE_EXTENDED,
    STATE_IN_PROGRESS,
    STATE_PENDING,
    STATE_RETURNED,
    STATE_WITHDRAWN,
    SupervisionItem,
    may_act,
)

COMMAND = "supervise"
STATE_TEXT = {
    STATE_PENDING: "supervision.state_pending",
    STATE_IN_PROGRESS: "supervision.state_in_progress",
    STATE_AWAITING: "supervision.state_awaiting",
    STATE_DONE: "supervision.state_done",
    STATE_RETURNED: "supervision.state_returned",
    STATE_EXTENDED: "supervision.state_extended",
    STATE_WITHDRAWN: "supervision.state_withdrawn",
}
COLOUR_TEXT = {
    COLOUR_RED: "supervision.colour_red",
    COLOUR_YELLOW: "supervision.colour_yellow",
    COLOUR_BLUE: "supervision.colour_blue",
    COLOUR_GREEN: "supervision.colour_green",
}
SOURCE_TEXT = {
    SOURCE_INSTRUCTION: "supervision.source_instruction",
    SOURCE_MEETING: "supervision.source_meeting",
    SOURCE_SUPERIOR: "supervision.source_superior",
    SOURCE_OTHER: "supervision.source_other",
    SOURCE_INSPECTION: "supervision.source_inspection",
}
PRIORITY_TEXT = {PRIORITY_NORMAL: "supervision.priority_normal", PRIORITY_URGENT: "supervision.priority_urgent"}
ACTION_WORD = {
    ACTION_ACCEPT: "accept",
    ACTION_PROGRESS: "progress",
    ACTION_REQUEST_EXTENSION: "extend",
    ACTION_REPORT_DONE: "done",
    ACTION_CONFIRM: "confirm",
    ACTION_RETURN: "return",
    ACTION_APPROVE_EXTENSION: "approve",
    ACTION_REFUSE_EXTENSION: "refuse",
    ACTION_WITHDRAW: "withdraw",
}
"""The word a button's value carries for each step (``/supervise 12 accept``)."""
ACTION_BUTTON = {
    ACTION_ACCEPT: "supervision.button_accept",
    ACTION_PROGRESS: "supervision.button_progress",
    ACTION_REQUEST_EXTENSION: "supervision.button_extend",
    ACTION_REPORT_DONE: "supervision.button_done",
    ACTION_CONFIRM: "supervision.button_confirm",
    ACTION_RETURN: "supervision.button_return",
    ACTION_APPROVE_EXTENSION: "supervision.button_approve",
    ACTION_REFUSE_EXTENSION: "supervision.button_refuse",
    ACTION_WITHDRAW: "supervision.button_withdraw",
}
HANDLER_ACTIONS = (ACTION_ACCEPT, ACTION_PROGRESS, ACTION_REQUEST_EXTENSION, ACTION_REPORT_DONE)
OVERSEER_ACTIONS = (ACTION_CONFIRM, ACTION_RETURN, ACTION_APPROVE_EXTENSION, ACTION_REFUSE_EXTENSION)
SHORT_CONTENT = 40
"""Characters of an item's content shown on a list line."""


def state_label(state: str) -> Text:
    """Return the label of a state."""
    return Text(STATE_TEXT[state])


def colour_label(colour: str | None) -> Text:
    """Return the label of a colour; a closed item has none."""
    return Text(COLOUR_TEXT[colour]) if colour else Text("supervision.colour_none")


def group_name(ctx: Context, key: str) -> Text:
    """Return a group's name, or its key when the org file no longer has it."""
    group = ctx.org.group(key)
    return group_label(group) if group else Text.raw(key)


def groups_text(ctx: Context, keys: tuple[str, ...]) -> Text:
    """Return several groups' names joined, or the 'none' label."""
    if not keys:
        return Text("supervision.none_value")
    if len(keys) == 1:
        return group_name(ctx, keys[0])
    return Text("supervision.joined", {"first": group_name(ctx, keys[0]), "rest": groups_text(ctx, keys[1:])})


def content_for(item: SupervisionItem, *, in_group: bool, short: bool = False) -> str:
    """Return an item's content: masked for group chats (phone and ID numbers), cut short for lists."""
    content = mask_text(item.content) if in_group else item.content
    if short and len(content) > SHORT_CONTENT:
        return content[:SHORT_CONTENT] + "…"
    return content


def card(ctx: Context, item: SupervisionItem, colour: str | None, *, in_group: bool = False) -> list[Text]:
    """Return an item's card: number, colour, state, content, groups, source and due time."""
    lines = [
        Text(
            "supervision.card_title",
            {"number": item.id, "colour": colour_label(colour), "state": state_label(item.state)},
        ),
        Text("supervision.card_content", {"content": content_for(item, in_group=in_group)}),
        Text(
            "supervision.card_groups",
            {"lead": group_name(ctx, item.lead_group), "assist": groups_text(ctx, item.assisting)},
        ),
        Text("supervision.card_inspection", {"inspection": item.inspection_id})
        if item.inspection_id is not None
        else Text(
            "supervision.card_source",
            {"source": Text(SOURCE_TEXT[item.source]), "reference": item.reference or "-"},
        ),
        Text(
            "supervision.card_due",
            {"due": shown_due(ctx, item.due_at), "priority": Text(PRIORITY_TEXT[item.priority])},
        ),
    ]
    if item.attachment_id is not None and not in_group:
        lines.append(
            Text("supervision.card_photo" if item.inspection_id is not None else "supervision.card_attachment")
        )
    if item.requested_due_at is not None:
        params = {"due": shown_due(ctx, item.requested_due_at), "reason": item.request_reason}
        lines.append(Text("supervision.card_request", params))
    return lines


def step_value(item: SupervisionItem, action: str) -> str:
    """Return the value of the button that takes a step on an item."""
    return f"/{COMMAND} {item.id} {ACTION_WORD[action]}"


def show_value(item: SupervisionItem) -> str:
    """Return the value of the button that shows an item."""
    return f"/{COMMAND} {item.id}"


def buttons_for(ctx: Context, member: Member, item: SupervisionItem) -> list[Button]:
    """Return the steps a member may take on an item as it stands, as buttons."""
    actions: list[str] = []
    if handles(member, item):
        actions += [action for action in HANDLER_ACTIONS if may_act(item, action)]
    if oversees(ctx, member, item):
        actions += [action for action in OVERSEER_ACTIONS if may_act(item, action)]
    return [Button(Text(ACTION_BUTTON[action]), step_value(item, action)) for action in actions]


def handler_buttons(item: SupervisionItem) -> list[Button]:
    """Return the buttons the lead group's handlers get with an item."""
    return [Button(Text(ACTION_BUTTON[a]), step_value(item, a)) for a in HANDLER_ACTIONS if may_act(item, a)]


def overseer_buttons(item: SupervisionItem) -> list[Button]:
    """Return the buttons the creator gets with an item waiting for a decision."""
    return [Button(Text(ACTION_BUTTON[a]), step_value(item, a)) for a in OVERSEER_ACTIONS if may_act(item, a)]
