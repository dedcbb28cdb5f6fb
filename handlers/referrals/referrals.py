"""Fever-clinic referrals (转诊): opened by a check or a visit, stepped by staff or 排查组, chased when stale."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import SUBJECT_REFERRAL, Button, Subject, Text
from lianfang.handlers.alerts import raise_alert
from lianfang.handlers.referrals.settings import REFERRALS
from lianfang.handlers.shared.access import audit_private_view, in_reach, sees_all_communities, sees_full_data
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.shared.labels import community_label
from lianfang.handlers.shared.masking import mask_name, masked_person
from lianfang.handlers.shared.parsers import parse_record_number, shown_number
from lianfang.handlers.shared.screening_settings import SCREENING
from lianfang.models.members import Member, get_member
from lianfang.models.referrals import (
    NEXT_STEPS,
    STATUS_ARRIVED,
    STATUS_CLOSED,
    STATUS_CONFIRMED,
    STATUS_EXCLUDED,
    STATUS_REFERRED,
    STATUS_SUSPECTED,
    Referral,
    advance,
    claim_chase,
    create_referral,
    get_referral,
    open_referrals,
    stale_referrals,
    steps_of,
)

logger = logging.getLogger(__name__)

REFERRAL_COMMAND = "referral"
LIST_LIMIT = 20
STEP_TIME_FORMAT = "%m-%d %H:%M"
ALARMING = (STATUS_SUSPECTED, STATUS_CONFIRMED)
"""Results reported to the leadership at once, as an alert to acknowledge."""
STATUS_WORDS: dict[str, str] = {
    STATUS_ARRIVED: STATUS_ARRIVED,
    "到达": STATUS_ARRIVED,
    "已到达": STATUS_ARRIVED,
    "到院": STATUS_ARRIVED,
    STATUS_EXCLUDED: STATUS_EXCLUDED,
    "排除": STATUS_EXCLUDED,
    STATUS_SUSPECTED: STATUS_SUSPECTED,
    "疑似": STATUS_SUSPECTED,
    STATUS_CONFIRMED: STATUS_CONFIRMED,
    "确诊": STATUS_CONFIRMED,
    STATUS_CLOSED: STATUS_CLOSED,
    "结案": STATUS_CLOSED,
    "关闭": STATUS_CLOSED,
}
"""What may follow ``/referral N``: the step's key (the buttons send these) or its Chinese word."""
STATUS_TEXT = {
    STATUS_REFERRED: "referral.status_referred",
    STATUS_ARRIVED: "referral.status_arrived",
    STATUS_EXCLUDED: "referral.status_excluded",
    STATUS_SUSPECTED: "referral.status_suspected",
    STATUS_CONFIRMED: "referral.status_confirmed",
    STATUS_CLOSED: "referral.status_closed",
}
STEP_BUTTON = {
    STATUS_ARRIVED: "referral.step_arrived",
    STATUS_EXCLUDED: "referral.step_excluded",
    STATUS_SUSPECTED: "referral.step_suspected",
    STATUS_CONFIRMED: "referral.step_confirmed",
    STATUS_CLOSED: "referral.step_closed",
}


def open_referral(ctx: MemberContext, **fields: Any) -> Text:
    """Open a referral for a person just sent to a fever clinic; return the line that tells the referrer.

    ``fields`` are ``create_referral``'s: community, person, phone, address, and check_id or visit_id and target_id.
    """
    referral = create_referral(session=ctx.session, now=ctx.now, member_id=ctx.member_id, **fields)
    logger.info("referral %s opened by member %s", referral.id, ctx.member_id)
    return Text("referral.opened", {"number": referral.id})


def may_handle(ctx: Context, member: Member, referral: Referral) -> bool:
    """Tell whether a member may see and step a referral: its referrer, its community's staff, or the leads."""
    return in_reach(ctx, member, owner_id=referral.member_id, community=referral.community)


def referral_command(ctx: MemberContext, args: str) -> None:
    """List open referrals (``/referral``), show one (``/referral N``) or record a step (``/referral N 到达``)."""
    number, _, rest = args.strip().lstrip("#＃").partition(" ")
    if not number:
        _list(ctx, ctx.member)
        return
    referral_id = parse_record_number(number)
    referral = get_referral(session=ctx.session, referral_id=referral_id) if referral_id is not None else None
    if referral is None or not may_handle(ctx, ctx.member, referral):
        ctx.reply("referral.unknown", number=shown_number(number))  # another community's number looks the same as none
        return
    word, _, note = rest.strip().partition(" ")
    if not word:
        _show(ctx, referral)
        return
    status = STATUS_WORDS.get(word.lower())
    if status is None:
        ctx.reply("referral.bad_step", number=referral.id, word=word[:12], buttons=_step_buttons(referral))
        return
    _step(ctx, referral, status, note.strip())


def _list(ctx: Context, member: Member) -> None:
    if sees_all_communities(ctx, member):
        shown = open_referrals(session=ctx.session, limit=LIST_LIMIT)
    else:
        shown = open_referrals(session=ctx.session, community=member.community, member_id=member.id, limit=LIST_LIMIT)
    if not shown:
        ctx.reply("referral.none")
        return
    full = sees_full_data(ctx, member)
    lines = [Text("referral.list_title", {"count": len(shown)})]
    buttons = []
    for referral in shown:
        name = referral.person if full else mask_name(referral.person)
        lines.append(
            Text("referral.list_line", {"number": referral.id, "name": name, "status": _status(referral.status)})
        )
        buttons.append(Button(Text("referral.list_button", {"number": referral.id, "name": name}), _value(referral)))
    if full:
        _audit(ctx, shown)
    ctx.reply(*lines, buttons=buttons, subjects=[_subject(referral) for referral in shown])


def _show(ctx: MemberContext, referral: Referral) -> None:
    full = sees_full_data(ctx, ctx.member)
    lines = _card(ctx, referral, full=full)
    for step in steps_of(session=ctx.session, referral_id=referral.id or 0):
        by = get_member(session=ctx.session, member_id=step.member_id)
        params = {"status": _status(step.status), "time": _when(ctx, step.at), "name": by.name if by else ""}
        lines.append(
            Text("referral.step_line_note", {**params, "note": step.note})
            if step.note
            else Text("referral.step_line", params)
        )
    if full:
        _audit(ctx, [referral])
    ctx.reply(*lines, buttons=_step_buttons(referral), subjects=[_subject(referral)])


def _step(ctx: MemberContext, referral: Referral, status: str, note: str) -> None:
    was = referral.status
    if not advance(
        session=ctx.session, referral=referral, status=status, member_id=ctx.member_id, now=ctx.now, note=note
    ):
        # A double tap, a step out of order, or someone else's step a moment ago: say where it stands now.
        ctx.session.refresh(referral)
        params = {"number": referral.id, "status": _status(referral.status), "wanted": _status(status)}
        ctx.reply(Text("referral.not_now", params), buttons=_step_buttons(referral))
        return
    logger.info("referral %s: %s -> %s by member %s", referral.id, was, status, ctx.member_id)
    ctx.reply(
        Text("referral.recorded", {"number": referral.id, "status": _status(status)}),
        buttons=_step_buttons(referral),
    )
    if status in ALARMING:
        head = Text("referral.alert_title", {"number": referral.id, "status": _status(status)})
        raise_alert(
            ctx,
            check_id=referral.check_id,
            visit_id=referral.visit_id,
            community=referral.community,
            masked=[head, *_card(ctx, referral, full=False, in_group=True)[1:]],
            full=[head, *_card(ctx, referral, full=True)[1:]],
            subjects=[_subject(referral)],
        )


def chase_referrals(ctx: Context) -> int:
    """Remind referrers (and the screening group's chat) of referrals with no step for too long; return how many."""
    hours = REFERRALS.of(ctx.org).chase_hours
    chased = 0
    group = group_chat(ctx, SCREENING.of(ctx.org).group)
    for referral in stale_referrals(session=ctx.session, before=ctx.now - timedelta(hours=hours)):
        if not claim_chase(session=ctx.session, referral=referral, now=ctx.now):
            continue
        referrer = get_member(session=ctx.session, member_id=referral.member_id)
        params = {"number": referral.id, "status": _status(referral.status), "hours": hours}
        subjects = (_subject(referral),)
        if referrer is not None:
            full = sees_full_data(ctx, referrer)  # field staff see the masked name, as their /referral N shows
            line = Text("referral.chase", {**params, "name": referral.person if full else mask_name(referral.person)})
            if send_privately(ctx, [referrer], [line], buttons=_step_buttons(referral), subjects=subjects) and full:
                _audit(ctx, [referral], reader=referrer)
        if group is not None:
            view = masked_person(name=referral.person, address=referral.address)
            line = Text("referral.chase_group", {**params, "name": view.name})
            ctx.send(group, [line], ctx.settings.default_language, subjects=subjects)
        chased += 1
    return chased


def _card(ctx: Context, referral: Referral, *, full: bool, in_group: bool = False) -> list[Text]:
    """Return a referral's card: in full, with name and phone masked (field staff, who need the address to go
    there), or for group chats built from the masked view of the person, address included."""
    community = ctx.org.community(referral.community)
    view = masked_person(name=referral.person, address=referral.address, phone=referral.phone)
    name, address, phone = referral.person, referral.address, referral.phone
    if in_group:
        name, address, phone = view.name, view.address, view.phone
    elif not full:
        name, phone = view.name, view.phone
    lines = [
        Text("referral.card_title", {"number": referral.id, "status": _status(referral.status)}),
        Text(
            "referral.card_person",
            {
                "name": name,
                "community": community_label(community) if community else Text.raw(referral.community),
                "address": address,
            },
        ),
    ]
    if phone:
        lines.append(Text("referral.card_phone", {"phone": phone}))
    return lines


def _subject(referral: Referral) -> Subject:
    return (SUBJECT_REFERRAL, referral.id or 0)


def _step_buttons(referral: Referral) -> list[Button]:
    return [Button(Text(STEP_BUTTON[status]), f"{_value(referral)} {status}") for status in NEXT_STEPS[referral.status]]


def _value(referral: Referral) -> str:
    return f"/{REFERRAL_COMMAND} {referral.id}"


def _status(status: str) -> Text:
    return Text(STATUS_TEXT[status])


def _audit(ctx: Context, referrals: list[Referral], reader: Member | None = None) -> None:
    targets = tuple(r.target_id for r in referrals if r.target_id is not None)
    detail = "referral " + ",".join(str(r.id) for r in referrals)
    audit_private_view(ctx, target_ids=targets, detail=detail, reader=reader)


def _when(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.tz).strftime(STEP_TIME_FORMAT)


COMMANDS = (Command(REFERRAL_COMMAND, referral_command, aliases=("转诊",), private_only=True),)
