"""Urgent alerts (重要情况随时报告): sent at once with an acknowledge button, re-sent until acknowledged."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import SUBJECT_CHECK, SUBJECT_TARGET, SUBJECT_VISIT, Button, Subject, Text
from lianfang.handlers.shared.access import audit_private_view, is_overseer
from lianfang.handlers.shared.alert_settings import ALERTS
from lianfang.handlers.shared.audiences import leadership_chats, send_privately
from lianfang.handlers.shared.labels import local_time
from lianfang.handlers.shared.parsers import parse_record_number, shown_number
from lianfang.models.alerts import Alert, acknowledge, claim_escalation, create_alert, due_escalations, get_alert
from lianfang.models.members import ROLE_ADMIN, ROLE_LEADER, Member, get_member, list_members

logger = logging.getLogger(__name__)

ACK_COMMAND = "ack"


def may_acknowledge(ctx: Context, member: Member | None) -> bool:
    """Tell whether a member may take charge of an alert: an overseer, or a role that sees full data."""
    return member is not None and (is_overseer(ctx, member) or member.role in ctx.org.access.full_data_roles)


def ack_button(alert_id: int) -> Button:
    """Return the button that acknowledges an alert (its value is what a typed acknowledgement would be)."""
    return Button(Text("alert.ack_button"), f"/{ACK_COMMAND} {alert_id}")


def raise_alert(
    ctx: Context,
    *,
    check_id: int | None,
    visit_id: int | None = None,
    incident_id: int | None = None,
    community: str,
    masked: list[Text],
    full: list[Text],
    subjects: Sequence[Subject] = (),
) -> None:
    """Alert at once: masked in the leadership and 综合组 chats, in full privately to authorised overseers.

    Every copy carries an acknowledge button; until someone in charge taps it, the scheduler's tick re-sends it.
    ``masked`` must be built from a masked view; ``subjects`` names the persons, for the outbox's privacy guard.
    Each full private copy is written to the audit log.
    """
    rules = ALERTS.of(ctx.org)
    alert = create_alert(
        session=ctx.session,
        now=ctx.now,
        check_id=check_id,
        visit_id=visit_id,
        incident_id=incident_id,
        raised_by=ctx.member.id if ctx.member else None,
        community=community,
        masked=[line.to_json() for line in masked],
        full=[line.to_json() for line in full],
        next_at=ctx.now + timedelta(minutes=rules.ack_minutes) if rules.max_escalations else None,
    )
    assert alert.id is not None
    buttons = [ack_button(alert.id)]
    chats = leadership_chats(ctx)
    for chat in chats:
        ctx.send(chat, masked, ctx.settings.default_language, buttons=buttons, subjects=tuple(subjects))
    readers = [
        member
        for member in list_members(session=ctx.session, roles=tuple(ctx.org.access.full_data_roles))
        if is_overseer(ctx, member) and (ctx.member is None or member.id != ctx.member.id)
    ]
    send_full(ctx, alert, readers, full, buttons=buttons, subjects=subjects)
    if not chats:
        logger.warning("alert %s raised but no leadership or coordination chat is bound", alert.id)
        ctx.reply(*full, Text("alert.no_chat_bound"))


def escalate_alerts(ctx: Context) -> int:
    """Re-send every alert nobody acknowledged in time, and tell the leaders privately; return how many."""
    rules = ALERTS.of(ctx.org)
    count = 0
    for alert in due_escalations(session=ctx.session, now=ctx.now):
        round_number = alert.escalations + 1
        last = round_number >= rules.max_escalations
        next_at = None if last else ctx.now + timedelta(minutes=rules.ack_minutes)
        if not claim_escalation(session=ctx.session, alert=alert, next_at=next_at):
            continue  # acknowledged meanwhile, or another tick or instance took this round
        assert alert.id is not None
        waited = int((ctx.now - alert.created_at).total_seconds() // 60)
        head = Text("alert.unacked", {"number": alert.id, "minutes": waited, "round": round_number})
        buttons = [ack_button(alert.id)]
        subjects = source_subjects(check_id=alert.check_id, visit_id=alert.visit_id)
        for chat in leadership_chats(ctx):
            lines = [head, *_lines(alert.masked)]
            ctx.send(chat, lines, ctx.settings.default_language, buttons=buttons, subjects=subjects)
        send_full(ctx, alert, _leaders(ctx), [head, *_lines(alert.full)], buttons=buttons, subjects=subjects)
        if last:
            logger.warning("alert %s is still unacknowledged after %s re-sends; no more", alert.id, round_number)
        count += 1
    return count


def ack_command(ctx: MemberContext, args: str) -> None:
    """Acknowledge an alert: ``/ack 12`` (确认 12); the first acknowledgement is recorded and announced."""
    assert ctx.msg is not None
    number = parse_record_number(args)
    if number is None:
        if ctx.msg.is_private:  # in a group, a bare 确认 is someone talking, not a command
            ctx.reply("alert.ack_usage")
        return
    alert = get_alert(session=ctx.session, alert_id=number)
    if alert is None:
        ctx.reply("alert.unknown", number=number or shown_number(args))
        return
    if not may_acknowledge(ctx, ctx.member):
        ctx.reply("alert.ack_not_allowed")
        return
    assert alert.id is not None
    if not acknowledge(session=ctx.session, alert_id=alert.id, member_id=ctx.member_id, now=ctx.now):
        alert = get_alert(session=ctx.session, alert_id=alert.id)
        assert alert is not None and alert.acked_at is not None
        by = get_member(session=ctx.session, member_id=alert.acked_by or 0)
        params = {"number": alert.id, "name": by.name if by else "", "time": local_time(ctx, alert.acked_at)}
        ctx.reply(Text("alert.already_acked", params))
        return
    notice = Text("alert.acked", {"number": alert.id, "name": ctx.member.name, "time": local_time(ctx, ctx.now)})
    chats = leadership_chats(ctx)
    for chat in chats:
        ctx.send(chat, [notice], ctx.settings.default_language)
    if ctx.chat not in chats:
        ctx.reply(notice)
    logger.info("alert %s acknowledged by member %s", alert.id, ctx.member_id)


def send_full(
    ctx: Context,
    alert: Alert,
    readers: Sequence[Member],
    lines: list[Text],
    *,
    buttons: Sequence[Button],
    subjects: Sequence[Subject],
) -> None:
    """Send an alert in full privately to readers who can be reached, writing each view to the audit log."""
    reached = send_privately(ctx, readers, lines, buttons=buttons, subjects=subjects)
    targets = tuple(number for kind, number in subjects if kind == SUBJECT_TARGET)
    for reader in reached:
        audit_private_view(ctx, target_ids=targets, detail=f"alert {alert.id}", reader=reader)


def source_subjects(*, check_id: int | None, visit_id: int | None) -> tuple[Subject, ...]:
    """Return the persons an alert is about, from the check result or ledger visit it is raised for."""
    subjects: list[Subject] = []
    if check_id is not None:
        subjects.append((SUBJECT_CHECK, check_id))
    if visit_id is not None:
        subjects.append((SUBJECT_VISIT, visit_id))
    return tuple(subjects)


def _leaders(ctx: Context) -> list[Member]:
    """Return whom an unacknowledged alert is escalated to: the leading group's members, else the admins."""
    return list_members(session=ctx.session, roles=(ROLE_LEADER,)) or list_members(
        session=ctx.session, roles=(ROLE_ADMIN,)
    )


def _lines(stored: list[dict[str, Any]]) -> list[Text]:
    return [Text.from_json(line) for line in stored]


COMMANDS = (Command(ACK_COMMAND, ack_command, aliases=("确认",)),)
