"""The daily group report: the form and nil report, reminders and chasers, and the merged report at the deadline."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dated import dated, split_day, stale_notice
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, Form, FormField
from lianfang.bot.org import Group, ReportField
from lianfang.bot.report_parts import FigureCount, ReportPart
from lianfang.bot.types import Button, ChatRef, Text
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.shared.audiences import broadcast, group_chat, leadership_chats, send_privately
from lianfang.handlers.shared.labels import group_label, local_time, member_label
from lianfang.handlers.shared.masking import mask_text
from lianfang.handlers.shared.parsers import parse_int, parse_text
from lianfang.handlers.shared.standins import stand_ins, stood_in
from lianfang.models.base import to_db_time
from lianfang.models.checks import CheckFigures, check_figures
from lianfang.models.members import (
    REPORTING_ROLES,
    ROLE_ADMIN,
    ROLE_GROUP_LEAD,
    ROLE_LEADER,
    ROLE_REPORTER,
    Member,
    get_member,
    identities_of,
    list_members,
)
from lianfang.models.observation import ObservationFigures, observation_figures
from lianfang.models.referrals import STATUSES as REFERRAL_STATUSES
from lianfang.models.referrals import referral_counts, referrals_opened
from lianfang.models.reports import (
    DailyReport,
    DailyReportVersion,
    earlier_versions,
    get_report,
    reports_of_day,
    upsert_report,
)
from lianfang.models.screening import LedgerFigures, ledger_figures
from lianfang.models.send_ledger import (
    KIND_CHASE,
    KIND_LATE,
    KIND_REMINDER,
    KIND_REPORT,
    KIND_UNREACHABLE,
    chase_counts,
    claim,
    is_claimed,
    ledger_key,
)

logger = logging.getLogger(__name__)

FORM_DAILY = "daily"
NIL_WORDS = frozenset({"nil", "none", "无", "无新情况", "没有"})
PREVIEW_WORDS = frozenset({"preview", "预览"})
MAX_INT_FIELD = 10_000_000
DATE_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
SHORT_DATE_PATTERN = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
DAY_TIME_FORMAT = "%m-%d %H:%M"
REMINDER_BUTTON_FILL = "/daily"
REMINDER_BUTTON_NIL = "/daily nil"
SUBMITTED_LATE = {False: "daily.submitted_late", True: "correction.submitted"}
"""The answer to a report sent after the deadline, by whether it corrects an earlier one."""
GROUP_HEADER = {False: "report.group_header", True: "report.group_header_late"}
ADDENDUM_TITLE = {False: "report.addendum_title", True: "correction.title"}
SECTION_NUMBERS = {
    1: "report.section_1",
    2: "report.section_2",
    3: "report.section_3",
    4: "report.section_4",
    5: "report.section_5",
    6: "report.section_6",
    7: "report.section_7",
    8: "report.section_8",
}
"""How the merged report numbers its sections (一、二、… in Chinese)."""


# -- schedule arithmetic ----------------------------------------------------------------------------------


def at(ctx: Context, day: date, moment: time) -> datetime:
    """Return the aware datetime of a local time on a day."""
    return datetime.combine(day, moment, tzinfo=ctx.tz)


def deadline_of(ctx: Context, day: date) -> datetime:
    """Return the day's reporting deadline."""
    return at(ctx, day, ctx.org.schedule.deadline)


def reporters_of(ctx: Context, group_key: str) -> list[Member]:
    """Return who reports for a group: its reporters, else its group leads."""
    return list_members(session=ctx.session, group_key=group_key, roles=(ROLE_REPORTER,)) or list_members(
        session=ctx.session, group_key=group_key, roles=(ROLE_GROUP_LEAD,)
    )


def pending_groups(ctx: Context, day: date) -> list[Group]:
    """Return the groups that have not reported on a day, in the org file's order."""
    reported = reports_of_day(session=ctx.session, day=day)
    return [group for group in ctx.org.groups if group.key not in reported]


# -- the form ---------------------------------------------------------------------------------------------


def _template_field(field: ReportField) -> FormField:
    label = Text.bilingual(field.label, field.label_en)
    prompt = Text("daily.ask_field", {"label": label})
    if field.type == "int":
        return FormField(field.key, prompt, label, parse=parse_int(0, MAX_INT_FIELD), optional=not field.required)
    if field.type == "choice":
        choices = [Choice(c, Text.raw(c)) for c in field.choices]
        return FormField(field.key, prompt, label, choices=lambda _c, _d: choices, optional=not field.required)
    return FormField(field.key, prompt, label, parse=parse_text(field.max_length), optional=not field.required)


def daily_fields(ctx: Context, context: dict[str, Any]) -> list[FormField]:
    """Return the questions of a group's report template."""
    group = ctx.org.group(context.get("group", ""))
    return [_template_field(field) for field in group.report] if group else []


def submit_daily(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Store a completed daily report."""
    group = ctx.org.group(context["group"])
    if group is None:
        ctx.reply("daily.no_group")
        return
    store_report(ctx, group, date.fromisoformat(context["day"]), data, is_nil=False)


DAILY_FORM = Form(FORM_DAILY, Text("daily.title"), daily_fields, submit_daily)


def store_report(ctx: MemberContext, group: Group, day: date, data: dict[str, Any], *, is_nil: bool) -> None:
    """Store a group's report; after the deadline it is a late report (补报) or a correction (更正) of its own.

    A correction keeps the version it replaces in the record: the leaders may already have received it.
    """
    is_late = ctx.now >= deadline_of(ctx, day)
    correction = is_late and get_report(session=ctx.session, day=day, group_key=group.key) is not None
    report = upsert_report(
        session=ctx.session,
        day=day,
        group_key=group.key,
        member_id=ctx.member_id,
        submitted_at=to_db_time(ctx.now),
        is_nil=is_nil,
        is_late=is_late,
        data=data,
    )
    logger.info("daily report of %s for %s stored (late=%s, correction=%s)", group.key, day, is_late, correction)
    when = local_time(ctx, ctx.now)
    if not is_late:
        ctx.reply("daily.submitted", group=group_label(group), time=when, deadline=_deadline_text(ctx))
        return
    ctx.reply(SUBMITTED_LATE[correction], group=group_label(group), time=when)
    if is_claimed(session=ctx.session, key=ledger_key(day, KIND_REPORT)):
        post_addendum(ctx, group, report, correction=correction)


def _deadline_text(ctx: Context) -> str:
    return ctx.org.schedule.deadline.strftime("%H:%M")


def daily_command(ctx: MemberContext, args: str) -> None:
    """Start the speaker's group report for today, or send a nil report with ``/daily nil``.

    A reminder's buttons carry their day (``/daily nil 2020-01-28``): tapped on another day, they do nothing.
    """
    args, card_day = split_day(args)
    if stale := stale_notice(ctx, card_day):
        _answer_stale(ctx, stale)
        return
    group = ctx.org.group(ctx.member.group_key)
    if group is None:
        ctx.reply("daily.no_group")
        return
    day = ctx.today
    if ctx.member.role not in REPORTING_ROLES and not stood_in(ctx, reporters_of(ctx, group.key), ctx.member, day):
        ctx.reply("daily.not_reporter", group=group_label(group))
        return
    if not ctx.org.schedule.is_working_day(day):
        ctx.reply("daily.not_working_day", date=day.isoformat())
        return
    existing = get_report(session=ctx.session, day=day, group_key=group.key)
    if args.strip().lower() in NIL_WORDS:
        if existing is not None and not existing.is_nil:
            ctx.reply("daily.nil_would_replace", time=local_time(ctx, existing.submitted_at))
            return
        if existing is not None:
            ctx.reply("daily.nil_already", time=local_time(ctx, existing.submitted_at))
            return
        store_report(ctx, group, day, {}, is_nil=True)
        return
    context = {"group": group.key, "day": day.isoformat()}
    if existing is not None and ctx.now >= deadline_of(ctx, day):
        ctx.reply("correction.editing", time=local_time(ctx, existing.submitted_at))
    elif existing is not None:
        ctx.reply("daily.editing", time=local_time(ctx, existing.submitted_at))
    sourced = [field for field in group.report if field.source is not None]
    if not sourced:
        ctx.start_form(FORM_DAILY, context=context)
        return
    values = ctx.report_parts.figure_values(ctx, day, [field.source for field in sourced if field.source is not None])
    prefill = {field.key: values[field.source] for field in sourced if field.source in values}
    lead = Text("daily.started_from_records", {"form": Text("daily.title"), "count": len(prefill)})
    ctx.start_form(FORM_DAILY, prefill=prefill, context=context, lead=lead)


def _answer_stale(ctx: Context, stale: list[Text]) -> None:
    """Say which day a tapped card was for; on a reporting day, offer today's buttons."""
    if not ctx.org.schedule.is_working_day(ctx.today):
        ctx.refuse(*stale)
        return
    ctx.refuse(*stale, Text("stale.daily_today"), buttons=_reminder_buttons(ctx.today))


# -- reminders and chasers --------------------------------------------------------------------------------


def _reminder_buttons(day: date) -> list[Button]:
    """Return a reminder's buttons, for one day's report."""
    return [
        Button(Text("daily.button_fill"), dated(REMINDER_BUTTON_FILL, day)),
        Button(Text("daily.button_nil"), dated(REMINDER_BUTTON_NIL, day)),
    ]


def _notify_reporters(ctx: Context, day: date, group: Group, kind: str, lines: list[Text]) -> None:
    """Send the same lines privately to a group's reporters; report anyone unreachable to 综合组 once a day."""
    own = reporters_of(ctx, group.key)
    reporters = stand_ins(ctx, own, day)  # a reporter on leave is not chased: their stand-in is
    if not reporters:
        if claim(
            session=ctx.session,
            day=day,
            kind=KIND_UNREACHABLE,
            key=ledger_key(day, KIND_UNREACHABLE, group.key),
            now=ctx.now,
            group_key=group.key,
        ):
            _tell_coordination(ctx, Text("daily.no_reporter", {"group": group_label(group)}))
        return
    identities = identities_of(session=ctx.session, member_ids=[m.id for m in reporters if m.id is not None])
    for member in reporters:
        identity = identities.get(member.id or 0)
        if identity is None:
            key = ledger_key(day, KIND_UNREACHABLE, member.id)
            if claim(
                session=ctx.session,
                day=day,
                kind=KIND_UNREACHABLE,
                key=key,
                now=ctx.now,
                group_key=group.key,
                recipient=str(member.id),
            ):
                _tell_coordination(ctx, Text("daily.unreachable", {"name": member.name, "group": group_label(group)}))
            continue
        # No name or group in the text: reporters with one language get the same payload, sent in one call.
        chat = ChatRef(identity.platform, identity.chat_id)
        if away := stood_in(ctx, own, member, day):
            names = "、".join(m.name for m in away)
            standing = [*lines, Text("leave.standing_in", {"names": names})]
            ctx.send(chat, standing, member.lang, buttons=_reminder_buttons(day), private=True)
            continue
        ctx.send(chat, lines, member.lang, buttons=_reminder_buttons(day), shareable=True, private=True)
    logger.info("%s sent to %d reporter(s) of %s", kind, len(reporters), group.key)


def _tell_coordination(ctx: Context, *lines: Text) -> None:
    chat = group_chat(ctx, ctx.org.coordination_group)
    if chat is None:
        logger.warning("nothing bound for the coordination group; notice not delivered")
        return
    ctx.send(chat, list(lines), ctx.settings.default_language)


def send_reminders(ctx: Context, day: date) -> int:
    """Remind every group's reporter that has not reported yet; return how many groups were reminded."""
    count = 0
    for group in pending_groups(ctx, day):
        if not claim(
            session=ctx.session,
            day=day,
            kind=KIND_REMINDER,
            key=ledger_key(day, KIND_REMINDER, group.key),
            now=ctx.now,
            group_key=group.key,
        ):
            continue
        lines = [Text("reminder.title"), Text("reminder.text", {"deadline": _deadline_text(ctx)})]
        _notify_reporters(ctx, day, group, KIND_REMINDER, lines)
        count += 1
    return count


def send_chasers(ctx: Context, day: date, round_number: int) -> int:
    """Chase the groups still pending (one round); return how many groups were chased."""
    count = 0
    # Rounded up: a chaser fired a few seconds past 15:15 (schedule jitter) still says 15 minutes.
    minutes_left = max(0, math.ceil((deadline_of(ctx, day) - ctx.now).total_seconds() / 60))
    for group in pending_groups(ctx, day):
        key = ledger_key(day, KIND_CHASE, group.key, round_number)
        if not claim(session=ctx.session, day=day, kind=KIND_CHASE, key=key, now=ctx.now, group_key=group.key):
            continue
        lines = [
            Text("reminder.chase_title"),
            Text("reminder.chase", {"deadline": _deadline_text(ctx), "minutes": minutes_left}),
        ]
        _notify_reporters(ctx, day, group, KIND_CHASE, lines)
        chat = group_chat(ctx, group.key)
        if chat is not None:
            ctx.send(
                chat,
                [Text("daily.chase_group", {"group": group_label(group), "deadline": _deadline_text(ctx)})],
                ctx.settings.default_language,
            )
        count += 1
    return count


# -- the merged report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayFigures:
    """Everything the merged report's 疫情变化 section and the sourced report fields take from the records."""

    checks: CheckFigures
    ledger: LedgerFigures
    referrals_today: int
    referrals: dict[str, int]
    observation: ObservationFigures


def day_figures(ctx: Context, day: date) -> DayFigures:
    """Gather one day's figures from checks, the ledger and referrals, each counted in SQL."""
    start = datetime.combine(day, time(0), ctx.tz)
    return DayFigures(
        checks=check_figures(session=ctx.session, day=day),
        ledger=ledger_figures(session=ctx.session, day=day),
        referrals_today=referrals_opened(session=ctx.session, start=start, end=start + timedelta(days=1)),
        referrals=referral_counts(session=ctx.session),
        observation=observation_figures(session=ctx.session, day=day),
    )


def _from_day(value: Callable[[DayFigures], int]) -> FigureCount:
    return lambda ctx, day: value(day_figures(ctx, day))


FIGURES: dict[str, FigureCount] = {
    "checks_today": _from_day(lambda figures: figures.checks.checked_today + figures.ledger.reached_today),
    "alerts_today": _from_day(lambda figures: figures.checks.alerts_today + figures.ledger.alerts_today),
    "referrals_today": _from_day(lambda figures: figures.referrals_today),
    "ledger_verified_total": _from_day(lambda figures: figures.ledger.verified),
    "key_persons_today": _from_day(lambda figures: figures.observation.new),
}
"""The figures of checks, alerts, referrals, the ledger and key persons a report field's ``source`` may name."""
REPORT = ReportPart(figures=FIGURES)


def figure_lines(ctx: Context, day: date) -> list[Text]:
    """Return the 疫情变化 section's lines; ledger and referral lines only once those are in use."""
    figures = day_figures(ctx, day)
    checks, ledger, by_status = figures.checks, figures.ledger, figures.referrals
    lines = [
        Text("report.figures_checks", {"today": checks.checked_today, "total": checks.checked_total}),
        Text(
            "report.figures_alerts",
            {"alerts": checks.alerts_today + ledger.alerts_today, "referrals": figures.referrals_today},
        ),
    ]
    if ledger.targets:
        params = {"today": ledger.reached_today, "visited": ledger.visited_today, "verified": ledger.verified}
        lines.append(Text("report.figures_ledger", {**params, "total": ledger.targets, "coverage": ledger.coverage}))
    if any(by_status.values()):
        lines.append(Text("report.figures_referrals", {status: by_status[status] for status in REFERRAL_STATUSES}))
    watched = figures.observation
    if watched.under_observation or watched.released or watched.lost_total:
        lines.append(
            Text(
                "report.figures_observation",
                {
                    "under": watched.under_observation,
                    "new": watched.new,
                    "released": watched.released,
                    "missed": watched.missed + watched.not_done,
                    "lost": watched.lost_total,
                },
            )
        )
    return lines


def build_daily_report(ctx: Context, day: date, *, preview: bool = False) -> list[Text]:
    """Build the merged daily report of one day: figures, one section per group, and who has not reported."""
    reports = reports_of_day(session=ctx.session, day=day)
    versions = earlier_versions(session=ctx.session, day=day)
    chased = chase_counts(session=ctx.session, day=day)
    lines = [Text("report.title", {"name": Text.bilingual(ctx.org.name, ctx.org.name_en), "date": day.isoformat()})]
    if preview:
        lines.append(Text("report.preview_note", {"deadline": _deadline_text(ctx)}))
    groups: list[Text] = []
    missing: list[Group] = []
    for group in ctx.org.groups:
        report = reports.get(group.key)
        if report is None:
            missing.append(group)
            groups.append(Text("report.group_missing", {"group": group_label(group)}))
            continue
        # A group that corrected its report after the deadline: what the leaders received first, then the correction.
        for version in versions.get(group.key, []):
            groups += group_section(ctx, group, version)
        groups += group_section(ctx, group, report, correction=bool(versions.get(group.key)))
    late = [Text("report.missing_line", {"group": group_label(g), "count": chased.get(g.key, 0)}) for g in missing]
    sections = [
        (Text("report.section_figures"), [*figure_lines(ctx, day), *ctx.report_parts.summary_lines(ctx, day)]),
        (Text("report.section_groups"), groups),
        *ctx.report_parts.sections(ctx, day),
        (Text("report.section_missing"), late or [Text("report.missing_none")]),
    ]
    for number, (title, body) in enumerate(sections, 1):
        lines += [Text("report.section_numbered", {"number": Text(SECTION_NUMBERS[number]), "title": title}), *body]
    return lines


def group_section(
    ctx: Context, group: Group, report: DailyReport | DailyReportVersion, *, correction: bool = False
) -> list[Text]:
    """Return one group's section: header with reporter, time and kind, then its answers (masked for group chats)."""
    member = get_member(session=ctx.session, member_id=report.member_id)
    header = "correction.header" if correction else GROUP_HEADER[report.is_late]
    reporter: Text = member_label(member) if member else Text.raw("?")
    if member is not None and (away := stood_in(ctx, reporters_of(ctx, group.key), member, report.day)):
        reporter = Text("leave.stood_in", {"names": "、".join(m.name for m in away), "reporter": reporter})
    lines = [
        Text(
            header,
            {
                "group": group_label(group),
                "reporter": reporter,
                "time": local_time(ctx, report.submitted_at),
            },
        )
    ]
    if report.is_nil:
        return [*lines, Text("report.nil")]
    for field in group.report:
        value = report.data.get(field.key)
        shown = Text("report.not_filled") if value is None else Text.raw(mask_text(str(value)))
        lines.append(Text("report.field_line", {"label": Text.bilingual(field.label, field.label_en), "value": shown}))
    return lines


def post_daily_report(ctx: Context, day: date, *, due: datetime | None = None) -> bool:
    """Post the day's merged report to the leadership and 综合组 chats, once; False if already posted.

    ``due`` is given when the report goes out past its time (the process was down): it is then marked as
    delayed (延迟发送), with when it was due and why.
    """
    if not claim(session=ctx.session, day=day, kind=KIND_REPORT, key=ledger_key(day, KIND_REPORT), now=ctx.now):
        return False
    lines = build_daily_report(ctx, day)
    if due is not None:
        delay = Text(
            "loop.report_delayed",
            {"due": _day_time(ctx, due), "time": _day_time(ctx, ctx.now), "reason": Text("loop.delay_downtime")},
        )
        lines.insert(1, delay)
        logger.warning("daily report of %s was due at %s and goes out late", day, due)
    chats = leadership_chats(ctx)
    if not chats:
        logger.warning("daily report of %s built but no leadership or coordination chat is bound", day)
        _send_to_overseers(ctx, lines)
    broadcast(ctx, chats, lines)
    logger.info("daily report of %s posted to %d chat(s)", day, len(chats))
    return True


def _day_time(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.tz).strftime(DAY_TIME_FORMAT)


def report_skipped(ctx: Context, skipped: list[tuple[datetime, int]]) -> None:
    """Tell 综合组 in one message which reminders (round 0) and chaser rounds were skipped after downtime."""
    lines = [Text("loop.skipped_title")]
    for when, round_number in skipped:
        step = Text("loop.step_chase", {"round": round_number}) if round_number else Text("loop.step_reminder")
        lines.append(Text("loop.skipped_line", {"time": _day_time(ctx, when), "step": step}))
    _tell_coordination(ctx, *lines)


def _send_to_overseers(ctx: Context, lines: list[Text]) -> None:
    """Deliver privately to leaders and admins when no chat is bound, so the report is not lost."""
    send_privately(ctx, list_members(session=ctx.session, roles=(ROLE_LEADER, ROLE_ADMIN)), lines)


def post_addendum(ctx: Context, group: Group, report: DailyReport, *, correction: bool = False) -> None:
    """Post a late report (补报) or a correction (更正) as an addendum to the day's already-posted report."""
    key = ledger_key(report.day, KIND_LATE, group.key, report.submitted_at.isoformat())
    if not claim(session=ctx.session, day=report.day, kind=KIND_LATE, key=key, now=ctx.now, group_key=group.key):
        return
    lines = [Text(ADDENDUM_TITLE[correction], {"date": report.day.isoformat(), "group": group_label(group)})]
    lines += group_section(ctx, group, report, correction=correction)
    broadcast(ctx, leadership_chats(ctx), lines)


# -- /report ----------------------------------------------------------------------------------------------


def parse_report_date(text: str, today: date) -> date | None:
    """Read YYYY-MM-DD (or 2020年1月28日, 1-28); None if it is not a real date."""
    text = text.strip()
    try:
        if match := DATE_PATTERN.match(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := SHORT_DATE_PATTERN.match(text):
            return date(today.year, int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None
    return None


def report_command(ctx: Context, args: str) -> None:
    """Show the merged report of a day (today's as a preview before the deadline)."""
    if not is_overseer(ctx, ctx.member):
        ctx.reply("common.not_allowed")
        return
    word = args.strip().lower()
    if not word or word in PREVIEW_WORDS:
        day = ctx.today
    else:
        parsed = parse_report_date(word, ctx.today)
        if parsed is None:
            ctx.reply("report.bad_date")
            return
        day = parsed
    if day > ctx.today:
        ctx.reply("report.future_date", date=day.isoformat())
        return
    preview = day == ctx.today and ctx.now < deadline_of(ctx, day)
    ctx.reply(*build_daily_report(ctx, day, preview=preview))


COMMANDS = (
    Command("daily", daily_command, aliases=("日报", "填报"), private_only=True, arg_words={"nil": "无"}),
    Command("report", report_command, aliases=("报告", "汇总")),
)
FORMS = (DAILY_FORM,)
