"""The roster as people read it: who is on which shift, when it starts, who leads the day, who checked in."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from lianfang.bot.context import Context
from lianfang.bot.types import Text
from lianfang.handlers.duty.settings import DUTY, DutyRules, Shift
from lianfang.handlers.shared.labels import member_label
from lianfang.models.duty import DutyAssignment, assignments_on, leaders_on
from lianfang.models.members import Member, members_named
from sqlmodel import col, select

logger = logging.getLogger(__name__)

NAME_SEPARATOR = "、"
DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%H:%M"
STATUS_CHECKED = "checked"
STATUS_MISSED = "missed"
STATUS_PENDING = "pending"
PERSON_STATUS_KEYS = {
    STATUS_CHECKED: "duty.status_checked",
    STATUS_MISSED: "duty.status_missed",
    STATUS_PENDING: "duty.status_pending",
}
"""A person's check-in status as one word, for the export."""
PERSON_KEYS = {
    STATUS_CHECKED: "duty.person_checked",
    STATUS_MISSED: "duty.person_missed",
    STATUS_PENDING: "duty.person_pending",
}


@dataclass(frozen=True)
class OnDuty:
    """One assignment with its member, its shift and the moments that matter for it."""

    assignment: DutyAssignment
    member: Member
    shift: Shift
    start: datetime
    end: datetime
    opens: datetime
    """When check-in opens (and the second reminder goes out)."""
    closes: datetime
    """When check-in closes: a check-in after this is a miss."""
    escalates: datetime

    @property
    def id(self) -> int:
        """Return the assignment's number."""
        assert self.assignment.id is not None
        return self.assignment.id

    @property
    def checked_in(self) -> bool:
        """Tell whether the member checked in."""
        return self.assignment.checked_in_at is not None

    def status(self, now: datetime) -> str:
        """Return checked, missed (check-in closed without one) or pending."""
        if self.checked_in:
            return STATUS_CHECKED
        return STATUS_MISSED if now >= self.closes else STATUS_PENDING


def shift_bounds(shift: Shift, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Return when a shift of a day starts and ends; one ending at or before its start ends the next day."""
    start = datetime.combine(day, shift.start, tz)
    end = datetime.combine(day, shift.end, tz)
    if end <= start:
        end += timedelta(days=1)
    return start, end


def on_duty(rules: DutyRules, tz: tzinfo, assignment: DutyAssignment, member: Member) -> OnDuty | None:
    """Return an assignment with its moments, or None if its shift is no longer in the org file."""
    shift = rules.shift(assignment.shift)
    if shift is None:
        logger.warning("duty assignment %s names shift %r, not in the org file", assignment.id, assignment.shift)
        return None
    start, end = shift_bounds(shift, assignment.day, tz)
    return OnDuty(
        assignment,
        member,
        shift,
        start,
        end,
        opens=start - timedelta(minutes=rules.before_minutes),
        closes=start + timedelta(minutes=rules.checkin_grace_minutes),
        escalates=start + timedelta(minutes=rules.escalate_minutes),
    )


def roster_of(ctx: Context, days: Sequence[date]) -> list[OnDuty]:
    """Return the assignments of these days in shift order, with their members."""
    assignments = assignments_on(session=ctx.session, days=days)
    ids = {a.member_id for a in assignments}
    members = {m.id: m for m in ctx.session.exec(select(Member).where(col(Member.id).in_(ids)))} if ids else {}
    rules = DUTY.of(ctx.org)
    order = {shift.key: index for index, shift in enumerate(rules.shifts)}
    found = [on_duty(rules, ctx.tz, a, members[a.member_id]) for a in assignments if a.member_id in members]
    entries = [entry for entry in found if entry is not None]
    return sorted(entries, key=lambda e: (e.assignment.day, order.get(e.shift.key, 0), e.id))


def leader_of(ctx: Context, day: date) -> Member | None:
    """Return the day's leader on duty: the imported one, else the org file's if exactly one active member has the
    name."""
    imported = leaders_on(session=ctx.session, days=[day]).get(day)
    if imported is not None:
        return ctx.session.get(Member, imported)
    name = DUTY.of(ctx.org).leader_name(day)
    if name is None:
        return None
    found = [m for m in members_named(session=ctx.session, ref=name) if m.active]
    if len(found) != 1:
        logger.warning("the org file's duty leader of %s, %r, names %d active members", day, name, len(found))
        return None
    return found[0]


def leader_text(ctx: Context, day: date) -> Text:
    """Return the day's leader's name, or 'not arranged'."""
    leader = leader_of(ctx, day)
    return member_label(leader) if leader is not None else Text("duty.no_leader")


def shift_params(ctx: Context, entry: OnDuty) -> dict[str, object]:
    """Return the parameters every message about one assignment uses."""
    return {
        "number": entry.id,
        "date": entry.assignment.day.strftime(DATE_FORMAT),
        "shift": Text.bilingual(entry.shift.name, entry.shift.name_en),
        "start": entry.start.astimezone(ctx.tz).strftime(TIME_FORMAT),
        "end": entry.end.astimezone(ctx.tz).strftime(TIME_FORMAT),
        "opens": entry.opens.astimezone(ctx.tz).strftime(TIME_FORMAT),
        "closes": entry.closes.astimezone(ctx.tz).strftime(TIME_FORMAT),
        "name": member_label(entry.member),
    }


def names_of(members: Sequence[Member]) -> str:
    """Join members' names for one line."""
    return NAME_SEPARATOR.join(m.name if not m.name_pending else f"#{m.id}" for m in members)


def roster_lines(ctx: Context, days: Sequence[date]) -> list[Text]:
    """Return the roster of these days as lines: each day's leader, then each shift with its people and check-ins."""
    entries = roster_of(ctx, days)
    rules = DUTY.of(ctx.org)
    lines: list[Text] = []
    for day in days:
        lines.append(Text("duty.view_day", {"date": day.strftime(DATE_FORMAT), "leader": leader_text(ctx, day)}))
        for shift in rules.shifts:
            start, end = shift_bounds(shift, day, ctx.tz)
            people = [e for e in entries if e.assignment.day == day and e.shift.key == shift.key]
            params = {
                "shift": Text.bilingual(shift.name, shift.name_en),
                "start": start.strftime(TIME_FORMAT),
                "end": end.strftime(TIME_FORMAT),
            }
            lines.append(Text("duty.view_shift" if people else "duty.view_shift_empty", params))
            for entry in people:
                checked = entry.assignment.checked_in_at
                at = checked.astimezone(ctx.tz).strftime(TIME_FORMAT) if checked is not None else ""
                lines.append(Text(PERSON_KEYS[entry.status(ctx.now)], {"name": member_label(entry.member), "time": at}))
    return lines


@dataclass(frozen=True)
class DutySummary:
    """What the merged report says about a day's duty: its leader, who is on duty, whose check-in was missed."""

    leader: Member | None
    on_duty: list[Member]
    missed: list[Member]


def duty_summary(ctx: Context, day: date) -> DutySummary:
    """Return the day's duty leader, the people on its shifts, and those whose check-in closed without one."""
    entries = [e for e in roster_of(ctx, [day])]
    on_duty = list({e.member.id: e.member for e in entries}.values())
    missed = list({e.member.id: e.member for e in entries if e.status(ctx.now) == STATUS_MISSED}.values())
    return DutySummary(leader_of(ctx, day), on_duty, missed)


def duty_report_lines(ctx: Context, day: date) -> list[Text]:
    """Return the merged report's duty lines of a day (none when nobody is on the roster and no leader is named)."""
    summary = duty_summary(ctx, day)
    if summary.leader is None and not summary.on_duty:
        return []
    leader = member_label(summary.leader) if summary.leader is not None else Text("duty.no_leader")
    lines = [Text("duty.report_line", {"leader": leader, "people": names_of(summary.on_duty) or "-"})]
    if summary.missed:
        lines.append(Text("duty.report_missed", {"people": names_of(summary.missed)}))
    return lines
