"""Key persons under observation (重点人员): daily follow-ups, escalations to the 排查组 leads, release and loss."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dated import dated, split_day, stale_notice
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, FieldError, Form, FormField
from lianfang.bot.types import SUBJECT_OBSERVATION, Button, ChatRef, Subject, Text
from lianfang.handlers.alerts import raise_check_alert
from lianfang.handlers.observation.settings import OBSERVATION
from lianfang.handlers.shared.access import audit_private_view, in_reach, sees_all_communities, sees_full_data
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.shared.freetext import health_answers, parse_check
from lianfang.handlers.shared.health import (
    MEASURE_FIELD,
    NO_SYMPTOMS,
    SYMPTOMS_FIELD,
    TEMPERATURE_FIELD,
    alarming_symptoms,
    fever_threshold,
)
from lianfang.handlers.shared.labels import community_name
from lianfang.handlers.shared.masking import mask_name, mask_phone, masked_person
from lianfang.handlers.shared.parsers import parse_int, parse_record_number, parse_text, shown_number
from lianfang.handlers.shared.screening_settings import SCREENING
from lianfang.handlers.shared.standins import followup_stand_in, followups_handed_to
from lianfang.models.leave import leave_on
from lianfang.models.members import ROLE_GROUP_LEAD, Member, get_member, identities_of, list_members
from lianfang.models.observation import (
    CLOSE_EARLY,
    CLOSE_LOST,
    CLOSE_RELEASED,
    FOLLOWUP_MISSED,
    FOLLOWUP_NOT_DONE,
    FOLLOWUP_SEEN_OK,
    FOLLOWUP_SEEN_SYMPTOMS,
    KIND_CENTRAL,
    KIND_HOME,
    STATUS_ACTIVE,
    STATUS_CLOSED,
    STATUS_LOST,
    Observation,
    active_observations,
    close_observation,
    due_followups,
    extend_observation,
    followup_of,
    get_observation,
    is_unreachable_for,
    person_of,
    record_followup,
)
from lianfang.models.send_ledger import claim, ledger_key

logger = logging.getLogger(__name__)

KIND_HANDOVER = "handover"
"""The send ledger's kind for telling a field worker on leave who makes their follow-ups."""

FORM_FOLLOWUP = "followup"
CMD_FOLLOWUP = "followup"
CMD_EXTEND = "extend"
CMD_RELEASE = "release"
CONTEXT_OBSERVATION = "observation_id"
LIST_LIMIT = 20
"""Follow-ups shown per list message; the rest follow as earlier ones are recorded."""
MAX_NOTES = 500
MAX_REASON = 200
MAX_EXTENSION_DAYS = 30
KIND_KEYS = {KIND_HOME: "observation.kind_home", KIND_CENTRAL: "observation.kind_central"}
FOLLOWUP_KEYS = {
    FOLLOWUP_SEEN_OK: "observation.status_seen_ok",
    FOLLOWUP_SEEN_SYMPTOMS: "observation.status_seen_symptoms",
    FOLLOWUP_MISSED: "observation.status_missed",
    FOLLOWUP_NOT_DONE: "observation.status_not_done",
}
CLOSED_KEYS = {STATUS_CLOSED: "observation.closed_state", STATUS_LOST: "observation.lost_state"}


# -- access -----------------------------------------------------------------------------------------------


def may_see(ctx: Context, member: Member, observation: Observation) -> bool:
    """Tell whether a member may see an observation: their own, their community's, or all for leaders."""
    return in_reach(ctx, member, owner_id=observation.member_id, community=observation.community)


def may_manage(ctx: Context, member: Member) -> bool:
    """Tell whether a member may extend or close observations: the screening group's leads and overseers."""
    return sees_all_communities(ctx, member)


def audit_views(ctx: Context, reader: Member, observations: list[Observation]) -> None:
    """Record that a member was shown full records of some observed persons."""
    numbers = ",".join(str(o.id) for o in observations)
    targets = tuple(o.target_id for o in observations if o.target_id is not None)
    audit_private_view(ctx, target_ids=targets, detail=f"observation {numbers}", reader=reader)


def _find(ctx: MemberContext, ref: str) -> Observation | None:
    """Return the observation a member names, if it exists and they may see it."""
    number = parse_record_number(ref)
    observation = get_observation(session=ctx.session, observation_id=number) if number is not None else None
    if observation is None or not may_see(ctx, ctx.member, observation):
        return None
    return observation


# -- what people are shown --------------------------------------------------------------------------------


def day_of(observation: Observation, day: date) -> int:
    """Return which day of the observation a date is, counted from the last exposure."""
    return (day - observation.last_exposure).days


def person_line(
    ctx: Context, observation: Observation, *, full: bool, in_group: bool = False, key: str = "observation.line"
) -> Text:
    """Return one line naming an observed person and where they are in the period.

    The name is masked unless ``full``; in group chats the line is built from the masked view of the person
    (staff need the full address privately, to visit).
    """
    person = person_of(session=ctx.session, observation=observation)
    name, address = person.name if full else mask_name(person.name), person.address
    if in_group:
        view = masked_person(name=person.name, address=person.address)
        name, address = view.name, view.address
    return Text(
        key,
        {
            "number": observation.id,
            "name": name,
            "address": address,
            "community": community_name(ctx.org, observation.community),
            "kind": Text(KIND_KEYS.get(observation.kind, "observation.kind_home")),
            "day": day_of(observation, ctx.today),
            "end": observation.end_on.isoformat(),
        },
    )


def observation_card(ctx: Context, observation: Observation, *, full: bool) -> list[Text]:
    """Return the lines describing one observation, in full or masked."""
    person = person_of(session=ctx.session, observation=observation)
    lines = [person_line(ctx, observation, full=full, key="observation.card_person")]
    if person.phone:
        lines.append(Text("observation.card_phone", {"phone": person.phone if full else mask_phone(person.phone)}))
    lines.append(
        Text(
            "observation.card_period",
            {
                "exposure": observation.last_exposure.isoformat(),
                "start": observation.start_on.isoformat(),
                "end": observation.end_on.isoformat(),
                "extensions": len(observation.extensions),
            },
        )
    )
    if observation.status != STATUS_ACTIVE:
        lines.append(Text(CLOSED_KEYS[observation.status], {"day": str(observation.closed_on)}))
    return lines


def due_list(
    ctx: Context, member: Member, observations: list[Observation], day: date
) -> tuple[list[Text], list[Button]]:
    """Return the lines and buttons of a member's list of follow-ups due on a day; each button carries the day."""
    full = sees_full_data(ctx, member)
    total = len(observations)
    shown = observations[:LIST_LIMIT]
    lines = [Text("observation.list_title", {"count": total})]
    buttons = []
    for observation in shown:
        # Each line and button shows the record number, the one ``/followup N`` takes, never a list position.
        line = person_line(ctx, observation, full=full)
        lines.append(line)
        final = day >= observation.end_on
        key = "observation.button_final" if final else "observation.button"
        label = Text(key, {"number": observation.id, "name": line.params["name"]})
        buttons.append(Button(label, dated(f"/{CMD_FOLLOWUP} {observation.id}", day)))
    if total > len(shown):
        lines.append(Text("observation.list_more", {"shown": len(shown), "count": total}))
    lines.append(Text("observation.list_hint"))
    if full:
        audit_views(ctx, member, shown)
    return lines, buttons


# -- commands ---------------------------------------------------------------------------------------------


def followup_command(ctx: MemberContext, args: str) -> None:
    """List the speaker's follow-ups due today, or open one: ``/followup 12`` (随访 12).

    The list's buttons carry its day: one tapped on a later day records nothing and shows today's list instead.
    """
    args, card_day = split_day(args)
    if stale := stale_notice(ctx, card_day):
        ctx.refuse(*stale)
        args = ""
    if not args.strip():
        due = due_followups(session=ctx.session, day=ctx.today)
        handed = followups_handed_to(ctx, ctx.member, ctx.today, list({o.member_id for o in due}))
        due = [o for o in due if o.member_id == ctx.member_id or o.member_id in handed]
        if not due:
            active = len(active_observations(session=ctx.session, member_id=ctx.member_id))
            ctx.reply("observation.none_due", count=active)
            return
        lines, buttons = due_list(ctx, ctx.member, due, ctx.today)
        ctx.reply(*lines, buttons=buttons)
        return
    number, _, text = args.strip().partition(" ")
    observation = _find(ctx, number)
    if observation is None:
        # The same answer for "no such number" and "not yours": numbers must not reveal other communities' people.
        ctx.reply("observation.unknown", number=shown_number(number))
        return
    full = sees_full_data(ctx, ctx.member)
    if full:
        audit_views(ctx, ctx.member, [observation])
    card = observation_card(ctx, observation, full=full)
    if observation.status != STATUS_ACTIVE:
        ctx.reply(*card)
        return
    if ctx.today <= observation.start_on:
        ctx.reply(*card, Text("observation.not_yet", {"day": observation.start_on.isoformat()}))
        return
    assert observation.id is not None
    if followup_of(session=ctx.session, observation_id=observation.id, day=ctx.today) is not None:
        ctx.reply(*card, Text("observation.already_recorded", {"number": observation.id}))
        return
    if ctx.today >= observation.end_on:
        card.append(Text("observation.final_check"))
    ctx.reply(*card)
    ctx.start_form(FORM_FOLLOWUP, context={CONTEXT_OBSERVATION: observation.id}, prefill=followup_answers(text))


def _managed(ctx: MemberContext, args: str, usage: str, *, with_days: bool) -> tuple[Observation, int, str] | None:
    """Read ``NUMBER [DAYS] REASON`` for an active observation a manager names, replying on any problem."""
    if not may_manage(ctx, ctx.member):
        ctx.reply("observation.manage_not_allowed")
        return None
    parts = args.strip().split(maxsplit=2 if with_days else 1)
    days = _extension_days(ctx, parts[1]) if with_days and len(parts) > 1 else 0
    reason = parts[-1].strip() if len(parts) > (2 if with_days else 1) else ""
    if not parts or (with_days and days is None) or not reason:
        ctx.reply(usage, limit=MAX_EXTENSION_DAYS)
        return None
    if len(reason) > MAX_REASON:
        ctx.reply("form.error_too_long", limit=MAX_REASON, length=len(reason))
        return None
    observation = _find(ctx, parts[0])
    if observation is None:
        ctx.reply("observation.unknown", number=shown_number(parts[0]))
        return None
    if observation.status != STATUS_ACTIVE:
        ctx.reply("observation.not_active", number=observation.id)
        return None
    return observation, days or 0, reason


def _extension_days(ctx: Context, text: str) -> int | None:
    """Read the days of an extension, 1 to MAX_EXTENSION_DAYS; None when the text is not such a number."""
    try:
        return parse_int(1, MAX_EXTENSION_DAYS)(text, ctx)
    except FieldError:
        return None


def extend_command(ctx: MemberContext, args: str) -> None:
    """Extend an observation: ``/extend 12 7 原因`` (延长 12 7 原因)."""
    found = _managed(ctx, args, "observation.extend_usage", with_days=True)
    if found is None:
        return
    observation, days, reason = found
    end = extend_observation(
        session=ctx.session, observation=observation, now=ctx.now, days=days, reason=reason, by=ctx.member_id
    )
    logger.info("observation %s extended by %s days by member %s", observation.id, days, ctx.member_id)
    notice = Text("observation.extended", {"number": observation.id, "days": days, "end": end.isoformat()})
    ctx.reply(notice)
    _tell_assignee(ctx, observation, notice)


def release_command(ctx: MemberContext, args: str) -> None:
    """Close an observation before its end, with a reason: ``/release 12 原因`` (解除观察 12 原因)."""
    found = _managed(ctx, args, "observation.release_usage", with_days=False)
    if found is None:
        return
    observation, _, reason = found
    if not close_observation(
        session=ctx.session,
        observation=observation,
        now=ctx.now,
        day=ctx.today,
        status=STATUS_CLOSED,
        reason=CLOSE_EARLY,
        by=ctx.member_id,
        note=reason,
    ):
        ctx.reply("observation.not_active", number=observation.id)
        return
    logger.info("observation %s closed early by member %s", observation.id, ctx.member_id)
    notice = Text("observation.closed_early", {"number": observation.id, "reason": reason})
    ctx.reply(notice)
    _tell_assignee(ctx, observation, notice)


def _tell_assignee(ctx: MemberContext, observation: Observation, notice: Text) -> None:
    """Tell the staff member who follows the person up about a change someone else made."""
    if observation.member_id == ctx.member.id:
        return
    member = get_member(session=ctx.session, member_id=observation.member_id)
    if member is not None:
        send_privately(ctx, [member], [notice])


# -- the follow-up form -----------------------------------------------------------------------------------


def status_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer what a follow-up found."""
    return [
        Choice(FOLLOWUP_SEEN_OK, Text("observation.status_seen_ok"), ("正常", "见到", "ok", "seen")),
        Choice(FOLLOWUP_SEEN_SYMPTOMS, Text("observation.status_seen_symptoms"), ("有症状", "symptoms")),
        Choice(FOLLOWUP_MISSED, Text("observation.status_missed"), ("未见到", "未见", "missed")),
    ]


def _seen(data: dict[str, Any]) -> bool:
    return data.get("status") in (FOLLOWUP_SEEN_OK, FOLLOWUP_SEEN_SYMPTOMS)


def _with_symptoms(data: dict[str, Any]) -> bool:
    return data.get("status") == FOLLOWUP_SEEN_SYMPTOMS


FOLLOWUP_FIELDS = (
    FormField("status", Text("observation.ask_status"), Text("observation.label_status"), choices=status_choices),
    replace(TEMPERATURE_FIELD, when=_seen),
    replace(SYMPTOMS_FIELD, when=_with_symptoms),
    FormField(
        "notes",
        Text("observation.ask_notes"),
        Text("observation.label_notes"),
        parse=parse_text(MAX_NOTES),
        optional=True,
    ),
)


def followup_answers(text: str) -> dict[str, Any]:
    """Return the answers free text after ``/followup 12`` gives, read by the free-text check parser: symptoms
    said make the status "seen, with symptoms", none said "seen, fine"; a temperature alone leaves the status asked."""
    if not text.strip():
        return {}
    answers = health_answers(parse_check(text, known_person=True))
    answers.pop(MEASURE_FIELD.name, None)  # a follow-up records no measure
    symptoms = answers.get(SYMPTOMS_FIELD.name)
    if symptoms is not None:
        answers["status"] = FOLLOWUP_SEEN_OK if symptoms == NO_SYMPTOMS else FOLLOWUP_SEEN_SYMPTOMS
        if symptoms == NO_SYMPTOMS:
            del answers[SYMPTOMS_FIELD.name]  # asked only with symptoms
    return answers


def followup_fields(_ctx: Context, _context: dict[str, Any]) -> tuple[FormField, ...]:
    """Return the follow-up questions."""
    return FOLLOWUP_FIELDS


def submit_followup(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Record today's follow-up; alert on fever or a listed symptom, escalate a miss, release on the last day."""
    observation = _find(ctx, str(context.get(CONTEXT_OBSERVATION) or ""))
    if observation is None:
        ctx.reply("observation.unknown", number=context.get(CONTEXT_OBSERVATION, "-"))
        return
    if observation.status != STATUS_ACTIVE:
        ctx.reply("observation.not_active", number=observation.id)
        return
    status = data["status"]
    seen = _seen(data)
    temperature = data.get("temperature") if seen else None
    symptoms = (data.get("symptoms") or NO_SYMPTOMS) if seen else ""
    alarming = alarming_symptoms(ctx, symptoms) if seen else []
    is_alert = (temperature is not None and temperature >= fever_threshold(ctx)) or bool(alarming)
    if is_alert:
        status = FOLLOWUP_SEEN_SYMPTOMS  # a fever found on a "seen, fine" visit is still a fever
    assert observation.id is not None
    if not record_followup(
        session=ctx.session,
        observation_id=observation.id,
        day=ctx.today,
        now=ctx.now,
        status=status,
        member_id=ctx.member_id,
        temperature=temperature,
        symptoms=symptoms,
        notes=data.get("notes") or "",
    ):
        ctx.reply("observation.already_recorded", number=observation.id)
        return
    logger.info("observation %s followed up: %s", observation.id, status)
    lines = [Text("observation.recorded", {"number": observation.id, "status": Text(FOLLOWUP_KEYS[status])})]
    if is_alert:
        _raise_alert(ctx, observation, temperature=temperature, symptoms=symptoms)
        lines.append(Text("check.saved_alert"))
    if status == FOLLOWUP_MISSED:
        notify_leads(ctx, Text("observation.missed_title", {"count": 1}), [observation])
        lines.append(Text("observation.missed_escalated"))
        lines += _lost_lines(ctx, [observation])
    elif status == FOLLOWUP_SEEN_OK and ctx.today >= observation.end_on:
        if close_observation(
            session=ctx.session,
            observation=observation,
            now=ctx.now,
            day=ctx.today,
            status=STATUS_CLOSED,
            reason=CLOSE_RELEASED,
            by=ctx.member_id,
        ):
            logger.info("observation %s released", observation.id)
            lines.append(Text("observation.released", {"number": observation.id}))
    elif ctx.today >= observation.end_on:
        lines.append(Text("observation.not_released"))
    remaining = len(due_followups(session=ctx.session, day=ctx.today, member_id=ctx.member_id))
    lines.append(Text("observation.remaining", {"count": remaining}))
    buttons = [Button(Text("observation.button_list"), f"/{CMD_FOLLOWUP}")] if remaining else []
    ctx.reply(*lines, buttons=buttons)


def _raise_alert(ctx: MemberContext, observation: Observation, *, temperature: float | None, symptoms: str) -> None:
    """Raise the same acknowledgeable alert a check raises, naming the observation."""
    person = person_of(session=ctx.session, observation=observation)
    data = {
        "community": observation.community,
        "address": person.address,
        "person": person.name,
        "phone": person.phone,
        "temperature": temperature,
        "history": person.history or None,
        "measure": observation.kind,
    }
    title = Text("observation.alert_title", {"number": observation.id, "day": day_of(observation, ctx.today)})
    source = observation.visit_id if observation.visit_id is not None else observation.check_id
    raise_check_alert(
        ctx,
        record_id=source,
        data=data,
        symptoms=symptoms,
        title=title,
        visit_id=observation.visit_id,
        subjects=_subjects([observation]),
    )


# -- escalations ------------------------------------------------------------------------------------------


def screening_leads(ctx: Context) -> list[Member]:
    """Return the 排查组 leads: members of the screening group with the group_lead role."""
    return list_members(session=ctx.session, group_key=SCREENING.of(ctx.org).group, roles=(ROLE_GROUP_LEAD,))


def notify_leads(ctx: Context, head: Text, observations: list[Observation]) -> None:
    """Tell each 排查组 lead privately (in full for full-data roles, audited) and their group chat masked."""
    if not observations:
        return
    leads = screening_leads(ctx)
    identities = identities_of(session=ctx.session, member_ids=[m.id for m in leads if m.id is not None])
    staff = _staff_names(ctx, observations)
    subjects = _subjects(observations)
    reached = 0
    for lead in leads:
        identity = identities.get(lead.id or 0)
        if identity is None:
            continue
        full = sees_full_data(ctx, lead)
        lines = [head, *(_escalation_line(ctx, o, staff, full=full) for o in observations)]
        ctx.send(ChatRef(identity.platform, identity.chat_id), lines, lead.lang, subjects=subjects, private=True)
        if full:
            audit_views(ctx, lead, observations)
        reached += 1
    chat = group_chat(ctx, SCREENING.of(ctx.org).group)
    if chat is not None:
        masked = [head, *(_escalation_line(ctx, o, staff, full=False, in_group=True) for o in observations)]
        ctx.send(chat, masked, ctx.settings.default_language, subjects=subjects)
    if not reached and chat is None:
        logger.warning("observation escalation for %s reached no 排查组 lead and no group chat", len(observations))


def _subjects(observations: list[Observation]) -> tuple[Subject, ...]:
    return tuple((SUBJECT_OBSERVATION, o.id) for o in observations if o.id is not None)


def _staff_names(ctx: Context, observations: list[Observation]) -> dict[int, str]:
    names: dict[int, str] = {}
    for observation in observations:
        if observation.member_id not in names:
            member = get_member(session=ctx.session, member_id=observation.member_id)
            names[observation.member_id] = member.name if member else "-"
    return names


def _escalation_line(
    ctx: Context, observation: Observation, staff: dict[int, str], *, full: bool, in_group: bool = False
) -> Text:
    line = person_line(ctx, observation, full=full, in_group=in_group)
    return Text("observation.escalation_line", {"line": line, "staff": staff.get(observation.member_id, "-")})


def _lost_lines(ctx: Context, observations: list[Observation], *, notify: bool = True) -> list[Text]:
    """Mark as lost those not seen for the configured days in a row, tell the leads; return lines for the recorder."""
    days = OBSERVATION.of(ctx.org).lost_after_days
    lost = [
        observation
        for observation in observations
        if is_unreachable_for(session=ctx.session, observation=observation, day=ctx.today, days=days)
        and close_observation(
            session=ctx.session,
            observation=observation,
            now=ctx.now,
            day=ctx.today,
            status=STATUS_LOST,
            reason=CLOSE_LOST,
            by=None,
        )
    ]
    if not lost:
        return []
    logger.warning("%s observations lost to follow-up on %s", len(lost), ctx.today)
    if notify:
        notify_leads(ctx, Text("observation.lost_title", {"count": len(lost), "days": days}), lost)
    return [Text("observation.lost", {"number": o.id, "days": days}) for o in lost]


# -- scheduled steps --------------------------------------------------------------------------------------


def send_followup_lists(ctx: Context, day: date) -> int:
    """Send each responsible staff member one private list of the day's due follow-ups; return how many.

    A field worker on leave gets none: their follow-ups go to their stand-in (``followup_stand_in``), and both
    are told.
    """
    by_member: dict[int, list[Observation]] = defaultdict(list)
    handed: dict[int, list[Member]] = defaultdict(list)
    for observation in due_followups(session=ctx.session, day=day):
        by_member[observation.member_id].append(observation)
    for owner_id in list(by_member):
        owner = get_member(session=ctx.session, member_id=owner_id)
        receiver = followup_stand_in(ctx, owner, day) if owner is not None and owner.active else owner
        if owner is not None and receiver is not None and receiver.id is not None and receiver.id != owner_id:
            by_member[receiver.id] += by_member.pop(owner_id)
            handed[receiver.id].append(owner)
            _tell_handover(ctx, owner, receiver, day)
    identities = identities_of(session=ctx.session, member_ids=list(by_member))
    told = 0
    for member_id, observations in by_member.items():
        member = get_member(session=ctx.session, member_id=member_id)
        identity = identities.get(member_id)
        if member is None or identity is None or not member.active:
            logger.warning("follow-ups of member %s cannot be sent: no private chat", member_id)
            continue
        lines, buttons = due_list(ctx, member, observations, day)
        if handed.get(member_id):
            names = "、".join(m.name for m in handed[member_id])
            lines.insert(1, Text("leave.followups_handed", {"names": names}))
        chat = ChatRef(identity.platform, identity.chat_id)
        ctx.send(chat, lines, member.lang, buttons=buttons, subjects=_subjects(observations), private=True)
        told += 1
    return told


def _tell_handover(ctx: Context, owner: Member, receiver: Member, day: date) -> None:
    """Tell a field worker on leave, once a leave, who makes their follow-ups meanwhile."""
    assert owner.id is not None
    leave = leave_on(session=ctx.session, member_id=owner.id, day=day)
    identity = identities_of(session=ctx.session, member_ids=[owner.id]).get(owner.id)
    if leave is None or identity is None:
        return
    key = ledger_key(leave.start_day, KIND_HANDOVER, leave.id, receiver.id)
    if not claim(session=ctx.session, day=day, kind=KIND_HANDOVER, key=key, now=ctx.now, recipient=str(owner.id)):
        return
    params = {"start": leave.start_day.isoformat(), "end": leave.end_day.isoformat(), "name": receiver.name}
    ctx.send(ChatRef(identity.platform, identity.chat_id), [Text("leave.followups_away", params)], owner.lang)


def mark_not_done(ctx: Context, day: date, *, notify: bool) -> int:
    """Mark the day's unrecorded follow-ups not done, escalate them (when ``notify``) and any now lost."""
    marked = [
        observation
        for observation in due_followups(session=ctx.session, day=day)
        if observation.id is not None
        and record_followup(
            session=ctx.session,
            observation_id=observation.id,
            day=day,
            now=ctx.now,
            status=FOLLOWUP_NOT_DONE,
            member_id=None,
        )
    ]
    if marked and notify:
        notify_leads(ctx, Text("observation.not_done_title", {"count": len(marked)}), marked)
    _lost_lines(ctx, marked, notify=notify)
    return len(marked)


FOLLOWUP_FORM = Form(FORM_FOLLOWUP, Text("observation.followup_title"), followup_fields, submit_followup)

COMMANDS = (
    Command(CMD_FOLLOWUP, followup_command, aliases=("随访",), private_only=True),
    Command(CMD_EXTEND, extend_command, aliases=("延长",)),
    Command(CMD_RELEASE, release_command, aliases=("解除观察",)),
)
FORMS = (FOLLOWUP_FORM,)
