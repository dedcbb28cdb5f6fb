"""Incidents (事件) for the 社会稳定组: recorded by form, masked in groups, urgent ones raised as alerts."""

from __future__ import annotations

import logging
import re
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.exports import Export
from lianfang.bot.forms import Choice, Form, FormField, static_fields
from lianfang.bot.types import Button, Text
from lianfang.handlers.alerts import raise_alert
from lianfang.handlers.shared.access import is_overseer, sees_full_data
from lianfang.handlers.shared.audiences import group_chat
from lianfang.handlers.shared.labels import community_choices, community_default, community_name, local_time
from lianfang.handlers.shared.masking import mask_address, mask_name, mask_text
from lianfang.handlers.shared.parsers import parse_record_number, parse_text, shown_number
from lianfang.handlers.stability.export import send_incidents
from lianfang.handlers.stability.settings import STABILITY
from lianfang.models.incidents import (
    KIND_FAKES,
    KIND_GOUGING,
    KIND_HOARDING,
    KIND_ISOLATION,
    KIND_MASS,
    KIND_OTHER,
    KIND_RUMOUR,
    KIND_TRAFFIC,
    STATUS_HANDLED,
    STATUS_HANDLING,
    STATUS_POLICE,
    URGENT_KINDS,
    Incident,
    add_incident,
    get_incident,
    open_incidents,
    set_status,
)
from lianfang.models.members import Member

logger = logging.getLogger(__name__)

INCIDENT_COMMAND = "incident"
FORM_INCIDENT = "incident"
MAX_PLACE = 200
MAX_OCCURRED = 32
MAX_DESCRIPTION = 1000
MAX_PEOPLE = 500
URGENT_YES = "yes"
URGENT_NO = "no"
PEOPLE_SEPARATORS = re.compile(r"([、,，;；\s]+)")
KIND_TEXT = {
    KIND_MASS: "incident.kind_mass",
    KIND_RUMOUR: "incident.kind_rumour",
    KIND_GOUGING: "incident.kind_gouging",
    KIND_HOARDING: "incident.kind_hoarding",
    KIND_FAKES: "incident.kind_fakes",
    KIND_ISOLATION: "incident.kind_isolation",
    KIND_TRAFFIC: "incident.kind_traffic",
    KIND_OTHER: "incident.kind_other",
}
KIND_WORDS = {
    KIND_MASS: ("群体性事件", "群体"),
    KIND_RUMOUR: ("造谣传谣", "谣言", "造谣"),
    KIND_GOUGING: ("哄抬物价",),
    KIND_HOARDING: ("囤积居奇", "囤积"),
    KIND_FAKES: ("制假售假", "假货"),
    KIND_ISOLATION: ("拒不配合隔离", "拒绝隔离"),
    KIND_TRAFFIC: ("交通疏导", "交通"),
    KIND_OTHER: ("其他",),
}
STATUS_TEXT = {
    STATUS_HANDLING: "incident.status_handling",
    STATUS_HANDLED: "incident.status_handled",
    STATUS_POLICE: "incident.status_police",
}
STATUS_WORDS = {
    STATUS_HANDLED: STATUS_HANDLED,
    "已处置": STATUS_HANDLED,
    "处置完毕": STATUS_HANDLED,
    STATUS_POLICE: STATUS_POLICE,
    "移交公安": STATUS_POLICE,
}
STATUS_BUTTON = {STATUS_HANDLED: "incident.button_handled", STATUS_POLICE: "incident.button_police"}


def kind_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the kinds of incident."""
    return [Choice(kind, Text(KIND_TEXT[kind]), KIND_WORDS[kind]) for kind in KIND_TEXT]


def urgent_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer urgent or not."""
    return [
        Choice(URGENT_YES, Text("incident.urgent_yes"), ("急", "紧急", "是")),
        Choice(URGENT_NO, Text("incident.urgent_no"), ("不急", "否")),
    ]


INCIDENT_FIELDS = (
    FormField("kind", Text("incident.ask_kind"), Text("incident.label_kind"), choices=kind_choices),
    FormField(
        "community",
        Text("incident.ask_community"),
        Text("incident.label_community"),
        choices=lambda ctx, _data: community_choices(ctx.org),
    ),
    FormField("place", Text("incident.ask_place"), Text("incident.label_place"), parse=parse_text(MAX_PLACE)),
    FormField(
        "occurred",
        Text("incident.ask_occurred"),
        Text("incident.label_occurred"),
        parse=parse_text(MAX_OCCURRED),
        optional=True,
    ),
    FormField(
        "description",
        Text("incident.ask_description"),
        Text("incident.label_description"),
        parse=parse_text(MAX_DESCRIPTION),
    ),
    FormField(
        "people",
        Text("incident.ask_people"),
        Text("incident.label_people"),
        parse=parse_text(MAX_PEOPLE),
        optional=True,
    ),
    FormField(
        "urgent",
        Text("incident.ask_urgent"),
        Text("incident.label_urgent"),
        choices=urgent_choices,
        when=lambda data: data.get("kind") not in URGENT_KINDS,
    ),
)


def may_handle(ctx: Context, member: Member) -> bool:
    """Tell whether a member handles incidents (steps them, sees the list): the 社会稳定组 and overseers."""
    return member.group_key == STABILITY.of(ctx.org).group or is_overseer(ctx, member)


def masked_people(people: str) -> str:
    """Mask every name and number in the list of people involved: 张三、李四 → 张*、李*."""
    parts = PEOPLE_SEPARATORS.split(people)
    return "".join(part if PEOPLE_SEPARATORS.fullmatch(part) else mask_name(mask_text(part)) for part in parts)


def card(ctx: Context, incident: Incident, *, full: bool) -> list[Text]:
    """Return an incident's card: in full (privately, to those who may see it) or masked for group chats."""
    params = {
        "number": incident.id,
        "kind": Text(KIND_TEXT[incident.kind]),
        "status": Text(STATUS_TEXT[incident.status]),
        "community": community_name(ctx.org, incident.community),
        "place": incident.place if full else mask_address(incident.place),
        "occurred": incident.occurred,
    }
    lines = [Text("incident.card_title", params), Text("incident.card_place", params)]
    if full:
        lines.append(Text("incident.card_description", {"description": incident.description}))
    if incident.people:
        people = incident.people if full else masked_people(incident.people)
        lines.append(Text("incident.card_people", {"people": people}))
    if not full:
        lines.append(Text("incident.card_details_private"))
    return lines


def submit_incident(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store the incident, tell the 社会稳定组 chat (masked), and raise an urgent one as an alert."""
    urgent = data["kind"] in URGENT_KINDS or data.get("urgent") == URGENT_YES
    incident = add_incident(
        session=ctx.session,
        now=ctx.now,
        day=ctx.today,
        member_id=ctx.member_id,
        kind=data["kind"],
        community=data["community"],
        place=data["place"],
        occurred=data.get("occurred") or local_time(ctx, ctx.now),
        description=data["description"],
        people=data.get("people") or "",
        urgent=urgent,
    )
    logger.info("incident %s stored (kind=%s, urgent=%s)", incident.id, incident.kind, urgent)
    ctx.reply(Text("incident.saved", {"number": incident.id}), buttons=_buttons(incident))
    chat = group_chat(ctx, STABILITY.of(ctx.org).group)
    if chat is not None:
        ctx.send(chat, card(ctx, incident, full=False), ctx.settings.default_language)
    if urgent:
        head = Text("incident.alert_title", {"number": incident.id, "kind": Text(KIND_TEXT[incident.kind])})
        raise_alert(
            ctx,
            check_id=None,
            incident_id=incident.id,
            community=incident.community,
            masked=[head, *card(ctx, incident, full=False)[1:]],
            full=[head, *card(ctx, incident, full=True)[1:]],
        )


def incident_command(ctx: MemberContext, args: str) -> None:
    """Record an incident (``/incident``), list open ones (``/incident 列表``), show or step one (``事件 3 已处置``)."""
    first, _, rest = args.strip().partition(" ")
    if not first:
        ctx.start_form(FORM_INCIDENT, defaults=community_default(ctx))
        return
    if first in ("list", "列表"):
        _list(ctx)
        return
    if first in ("export", "导出"):
        send_incidents(ctx, KIND_TEXT, STATUS_TEXT)
        return
    number = parse_record_number(first)
    incident = get_incident(session=ctx.session, incident_id=number) if number else None
    if incident is None or not (may_handle(ctx, ctx.member) or incident.member_id == ctx.member_id):
        ctx.reply("incident.unknown", number=shown_number(first))
        return
    word = rest.strip()
    if not word:
        full = sees_full_data(ctx, ctx.member) or incident.member_id == ctx.member_id
        ctx.reply(*card(ctx, incident, full=full), buttons=_buttons(incident) if may_handle(ctx, ctx.member) else [])
        return
    status = STATUS_WORDS.get(word)
    if status is None or not may_handle(ctx, ctx.member):
        ctx.refuse(Text("incident.bad_step", {"number": incident.id}))
        return
    if not set_status(session=ctx.session, incident=incident, status=status, now=ctx.now):
        ctx.session.refresh(incident)
        ctx.refuse(Text("incident.not_now", {"number": incident.id, "status": Text(STATUS_TEXT[incident.status])}))
        return
    logger.info("incident %s -> %s by member %s", incident.id, status, ctx.member_id)
    line = Text("incident.recorded", {"number": incident.id, "status": Text(STATUS_TEXT[status])})
    ctx.reply(line, buttons=_buttons(incident))
    chat = group_chat(ctx, STABILITY.of(ctx.org).group)
    if chat is not None and chat != ctx.chat:
        ctx.send(chat, [line], ctx.settings.default_language)


def _list(ctx: MemberContext) -> None:
    if not may_handle(ctx, ctx.member):
        ctx.reply("incident.not_allowed")
        return
    shown = open_incidents(session=ctx.session)
    if not shown:
        ctx.reply("incident.none")
        return
    lines = [Text("incident.list_title", {"count": len(shown)})]
    buttons = []
    for incident in shown:
        params = {"number": incident.id, "kind": Text(KIND_TEXT[incident.kind])}
        lines.append(Text("incident.list_line", {**params, "community": community_name(ctx.org, incident.community)}))
        buttons.append(Button(Text("incident.list_button", params), f"/{INCIDENT_COMMAND} {incident.id}"))
    ctx.reply(*lines, buttons=buttons)


def _buttons(incident: Incident) -> list[Button]:
    if incident.status != STATUS_HANDLING:
        return []
    return [
        Button(Text(STATUS_BUTTON[status]), f"/{INCIDENT_COMMAND} {incident.id} {status}")
        for status in (STATUS_HANDLED, STATUS_POLICE)
    ]


INCIDENT_FORM = Form(FORM_INCIDENT, Text("incident.title"), static_fields(*INCIDENT_FIELDS), submit_incident)
COMMANDS = (
    Command(
        INCIDENT_COMMAND,
        incident_command,
        aliases=("事件",),
        private_only=True,
        arg_words={STATUS_HANDLED: "已处置", STATUS_POLICE: "移交公安"},
    ),
)


EXPORT = Export(
    "incidents",
    ("事件", "事件台账"),
    Text("incident_export.label"),
    send=lambda ctx, _rest: send_incidents(ctx, KIND_TEXT, STATUS_TEXT),
    allowed=sees_full_data,
    refusal=Text("incident_export.not_allowed"),
)
"""``/export incidents`` (导出 事件): every incident, as ``/incident export`` sends them."""
