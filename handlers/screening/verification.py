"""The screening ledger in chat: a staff member's list of today's targets and the verification form."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, Form, FormField
from lianfang.bot.types import SUBJECT_TARGET, Button, ChatRef, Text
from lianfang.handlers.alerts import raise_check_alert
from lianfang.handlers.observation import start_from_visit
from lianfang.handlers.referrals import open_referral
from lianfang.handlers.shared.access import audit_private_view, in_reach, sees_full_data
from lianfang.handlers.shared.freetext import health_answers, parse_check
from lianfang.handlers.shared.health import (
    MEASURE_FIELD,
    NO_SYMPTOMS,
    SYMPTOMS_FIELD,
    TEMPERATURE_FIELD,
    alarming_symptoms,
    fever_threshold,
)
from lianfang.handlers.shared.idcard import SEX_FEMALE, SEX_MALE, id_info
from lianfang.handlers.shared.labels import community_label
from lianfang.handlers.shared.masking import mask_id_number, mask_name, mask_phone
from lianfang.handlers.shared.parsers import parse_record_number, parse_text, shown_number
from lianfang.handlers.shared.screening_settings import SCREENING
from lianfang.models.checks import MEASURE_NONE, MEASURE_REFERRED
from lianfang.models.members import Member, identities_of, list_members
from lianfang.models.screening import (
    STATUS_OPEN,
    STATUS_UNREACHED,
    STATUS_VERIFIED,
    ScreeningTarget,
    add_visit,
    count_due,
    due_targets,
    get_target,
)

logger = logging.getLogger(__name__)

FORM_VERIFY = "verify"
CMD_VERIFY = "verify"
LIST_LIMIT = 20
"""Targets shown per /tasks message; the rest follow as earlier ones are verified."""
MAX_NOTES = 500
ANSWER_YES = "yes"
ANSWER_NO = "no"
CONTEXT_TARGET = "target_id"
STATUS_KEYS = {
    STATUS_OPEN: "screening.status_open",
    STATUS_UNREACHED: "screening.status_unreached",
    STATUS_VERIFIED: "screening.status_verified",
}
SEX_KEYS = {SEX_MALE: "screening.sex_male", SEX_FEMALE: "screening.sex_female"}


# -- access -----------------------------------------------------------------------------------------------


def may_see(ctx: Context, member: Member, target: ScreeningTarget) -> bool:
    """Tell whether a member may see a target: their own, their community's, or all for leaders."""
    return in_reach(ctx, member, owner_id=target.member_id, community=target.community)


def audit_view(ctx: Context, targets: list[ScreeningTarget]) -> None:
    """Record that a member saw full records of some targets."""
    audit_private_view(ctx, target_ids=tuple(t.id for t in targets if t.id is not None))


def target_card(ctx: Context, target: ScreeningTarget, *, full: bool) -> list[Text]:
    """Return the lines describing one target, in full or with name, ID and phone masked."""
    info = id_info(target.id_number, today=ctx.today)
    community = ctx.org.community(target.community) if target.community else None
    lines = [
        Text(
            "screening.card_person",
            {
                "number": target.id,
                "name": target.name if full else mask_name(target.name),
                "sex": Text(SEX_KEYS[info.sex]) if info else Text("screening.unknown"),
                "age": info.age_on(ctx.today) if info else "-",
            },
        ),
        Text(
            "screening.card_address",
            {
                "community": community_label(community) if community else Text("screening.no_community"),
                "address": target.address,
            },
        ),
    ]
    if target.id_number:
        shown = target.id_number if full else mask_id_number(target.id_number)
        lines.append(Text("screening.card_id", {"id_number": shown}))
    if target.phone:
        lines.append(Text("screening.card_phone", {"phone": target.phone if full else mask_phone(target.phone)}))
    lines.append(
        Text(
            "screening.card_reason",
            {
                "reason": target.reason or "-",
                "arrival": target.arrival_date.isoformat() if target.arrival_date else "-",
            },
        )
    )
    return lines


# -- today's list -----------------------------------------------------------------------------------------


def tasks_command(ctx: MemberContext, _args: str) -> None:
    """Show the speaker's targets due today, one button each to record the result."""
    targets = due_targets(session=ctx.session, member_id=ctx.member_id, day=ctx.today, limit=LIST_LIMIT)
    if not targets:
        ctx.reply("screening.tasks_none")
        return
    total = count_due(session=ctx.session, member_id=ctx.member_id, day=ctx.today)
    full = sees_full_data(ctx, ctx.member)
    lines = [Text("screening.tasks_title", {"count": total})]
    buttons = []
    for target in targets:
        name = target.name if full else mask_name(target.name)
        lines.append(
            Text(
                "screening.task_line",
                {
                    "number": target.id,
                    "name": name,
                    "address": target.address,
                    "reason": target.reason or "-",
                    "status": Text(STATUS_KEYS[target.status]),
                },
            )
        )
        buttons.append(
            Button(Text("screening.task_button", {"number": target.id, "name": name}), f"/{CMD_VERIFY} {target.id}")
        )
    if total > len(targets):
        lines.append(Text("screening.tasks_more", {"shown": len(targets), "count": total}))
    lines.append(Text("screening.tasks_hint"))
    if full:
        audit_view(ctx, targets)
    ctx.reply(*lines, buttons=buttons)


def verify_command(ctx: MemberContext, args: str) -> None:
    """Show one target and start recording its verification; free text after the number (``/verify 12 体温36.5
    无症状 居家观察``) answers what it says, read by the same parser as a free-text check."""
    number, _, text = args.strip().partition(" ")
    target_id = parse_record_number(number)
    target = get_target(session=ctx.session, target_id=target_id) if target_id is not None else None
    if target is None or not may_see(ctx, ctx.member, target):
        # The same answer for "no such target" and "not yours": numbers must not reveal other communities' lists.
        ctx.reply("screening.target_unknown", number=shown_number(number))
        return
    full = sees_full_data(ctx, ctx.member)
    if full:
        audit_view(ctx, [target])
    ctx.reply(*target_card(ctx, target, full=full))
    answers = health_answers(parse_check(text, known_person=True)) if text.strip() else {}
    prefill = {"reached": ANSWER_YES, **answers} if answers else None  # a person measured or described was reached
    ctx.start_form(FORM_VERIFY, context={CONTEXT_TARGET: target.id}, prefill=prefill)


# -- the verification form --------------------------------------------------------------------------------


def yes_no_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer yes and no."""
    return [
        Choice(ANSWER_YES, Text("screening.yes"), ("是", "y", "有", "在")),
        Choice(ANSWER_NO, Text("screening.no"), ("否", "n", "没有", "不在")),
    ]


def _reached(data: dict[str, Any]) -> bool:
    return data.get("reached") == ANSWER_YES


VERIFY_FIELDS = (
    FormField("reached", Text("screening.ask_reached"), Text("screening.label_reached"), choices=yes_no_choices),
    FormField(
        "at_home", Text("screening.ask_at_home"), Text("screening.label_at_home"), choices=yes_no_choices, when=_reached
    ),
    replace(TEMPERATURE_FIELD, when=_reached),
    replace(SYMPTOMS_FIELD, when=_reached),
    replace(MEASURE_FIELD, when=_reached),
    FormField(
        "notes", Text("screening.ask_notes"), Text("screening.label_notes"), parse=parse_text(MAX_NOTES), optional=True
    ),
)


def verify_fields(_ctx: Context, _context: dict[str, Any]) -> tuple[FormField, ...]:
    """Return the verification questions."""
    return VERIFY_FIELDS


def submit_verification(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Record a verification, move the target on, and raise the check alert on fever or a listed symptom."""
    target = get_target(session=ctx.session, target_id=int(context.get(CONTEXT_TARGET) or 0))
    if target is None or not may_see(ctx, ctx.member, target):
        ctx.reply("screening.target_unknown", number=context.get(CONTEXT_TARGET, "-"))
        return
    reached = _reached(data)
    temperature = data.get("temperature") if reached else None
    symptoms = (data.get("symptoms") or NO_SYMPTOMS) if reached else ""
    measure = data.get("measure") or MEASURE_NONE
    alarming = alarming_symptoms(ctx, symptoms) if reached else []
    is_alert = (temperature is not None and temperature >= fever_threshold(ctx)) or bool(alarming)
    visit = add_visit(
        session=ctx.session,
        target=target,
        now=ctx.now,
        day=ctx.today,
        member_id=ctx.member_id,
        reached=reached,
        at_home=data.get("at_home") == ANSWER_YES if reached else None,
        temperature=temperature,
        symptoms=symptoms,
        measure=measure,
        notes=data.get("notes") or "",
        is_alert=is_alert,
    )
    logger.info("screening target %s verified (reached=%s, alert=%s)", target.id, reached, is_alert)
    remaining = count_due(session=ctx.session, member_id=ctx.member_id, day=ctx.today)
    lines = [Text("screening.verified" if reached else "screening.unreached", {"number": target.id})]
    if is_alert:
        alert = {
            "community": target.community or "",
            "address": target.address,
            "person": target.name,
            "phone": target.phone,
            "temperature": temperature,
            "history": target.reason or None,
            "measure": measure,
        }
        title = Text("screening.alert_title", {"number": target.id})
        subjects = ((SUBJECT_TARGET, target.id or 0),)
        raise_check_alert(
            ctx, record_id=visit.id, data=alert, symptoms=symptoms, title=title, visit_id=visit.id, subjects=subjects
        )
        lines.append(Text("check.saved_alert"))
        if measure != MEASURE_REFERRED:
            lines.append(Text("check.advice_referral"))
    if reached and measure == MEASURE_REFERRED:
        person = {"person": target.name, "phone": target.phone, "address": target.address}
        ids = {"visit_id": visit.id, "target_id": target.id}
        lines.append(open_referral(ctx, community=target.community or "", **person, **ids))
    lines += start_from_visit(ctx, target=target, visit=visit)
    lines.append(Text("screening.remaining", {"count": remaining}))
    ctx.reply(*lines, buttons=[Button(Text("screening.button_tasks"), "/tasks")] if remaining else [])


# -- notices ----------------------------------------------------------------------------------------------


def notify_assignees(ctx: Context, assigned: dict[int, int]) -> int:
    """Tell each staff member privately how many new targets they were given; return how many were told."""
    members = {m.id: m for m in list_members(session=ctx.session, group_key=SCREENING.of(ctx.org).group)}
    identities = identities_of(session=ctx.session, member_ids=list(assigned))
    told = 0
    for member_id, count in assigned.items():
        identity = identities.get(member_id)
        member = members.get(member_id)
        if identity is None or member is None:
            continue
        ctx.send(
            ChatRef(identity.platform, identity.chat_id),
            [Text("screening.new_tasks", {"count": count})],
            member.lang,
            buttons=[Button(Text("screening.button_tasks"), "/tasks")],
            private=True,
        )
        told += 1
    return told


VERIFY_FORM = Form(FORM_VERIFY, Text("screening.verify_title"), verify_fields, submit_verification)

COMMANDS = (
    Command("tasks", tasks_command, aliases=("任务", "排查任务"), private_only=True),
    Command(CMD_VERIFY, verify_command, aliases=("核查",), private_only=True),
)
FORMS = (VERIFY_FORM,)
