"""What the dashboard shows one member for one day: the data of each panel, scoped and masked as in chat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from lianfang.bot.context import Context
from lianfang.bot.i18n import render
from lianfang.bot.types import Text
from lianfang.handlers.daily_report import day_figures, deadline_of
from lianfang.handlers.shared.access import audit_private_view, is_overseer, sees_full_data
from lianfang.handlers.shared.labels import community_name, group_label
from lianfang.handlers.supervision import digest_lines, section_lines
from lianfang.handlers.supplies import stock_outs, supplies_lines
from lianfang.models.alerts import Alert
from lianfang.models.checks import check_figures
from lianfang.models.dashboard import acknowledged_between, open_alerts, visits_by_day
from lianfang.models.members import ROLE_GROUP_LEAD, Member
from lianfang.models.referrals import STATUSES, referrals_opened
from lianfang.models.reports import reports_of_day
from lianfang.models.screening import ledger_by_compound

SPARK_DAYS = 7
STATE_REPORTED = "reported"
STATE_LATE = "late"
STATE_PENDING = "pending"
STATE_MISSED = "missed"
STATE_TEXT = {
    STATE_REPORTED: "dashboard.state_reported",
    STATE_LATE: "dashboard.state_late",
    STATE_PENDING: "dashboard.state_pending",
    STATE_MISSED: "dashboard.state_missed",
}
REFERRAL_TEXT = {
    "referred": "referral.status_referred",
    "arrived": "referral.status_arrived",
    "excluded": "referral.status_excluded",
    "suspected": "referral.status_suspected",
    "confirmed": "referral.status_confirmed",
    "closed": "referral.status_closed",
}
SERIES = (
    ("dashboard.figure_checks", "checked"),
    ("dashboard.figure_alerts", "alerts"),
    ("dashboard.figure_referrals", "referrals"),
    ("dashboard.figure_stock_outs", "stock_outs"),
)
"""The 疫情变化 figures drawn with a 7-day line: locale key of the label, and the name of the count."""


@dataclass(frozen=True)
class GroupStatus:
    """One group's report on the day: its name, state, and when it came."""

    name: str
    state: str
    state_text: str
    at: str = ""


@dataclass(frozen=True)
class Figure:
    """One figure of the day and its values over the last days, oldest first."""

    label: str
    value: int
    series: tuple[int, ...] = ()
    """Oldest first; empty for a figure that is a standing total (the records hold only its current value)."""


@dataclass(frozen=True)
class CoverageRow:
    """The ledger's people and those verified in one community or compound."""

    place: str
    targets: int
    verified: int

    @property
    def percent(self) -> int:
        """Return the verified share in whole percent."""
        return self.verified * 100 // self.targets if self.targets else 0


@dataclass(frozen=True)
class AlertRow:
    """One open alert: when it was raised and its lines (masked, or in full for those whose role allows)."""

    number: int
    at: str
    lines: tuple[str, ...]


@dataclass
class Dashboard:
    """Everything one page shows; every text is rendered in the reader's language."""

    day: date
    is_today: bool
    whole: bool
    """The whole sub-district (leaders, admins, 综合组, group leads); else the reader's community only."""
    full_data: bool
    scope: str
    countdown: str = ""
    groups: list[GroupStatus] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    acknowledged: int = 0
    referrals: list[tuple[str, int]] = field(default_factory=list)
    observation: list[tuple[str, int]] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    supervision: list[str] = field(default_factory=list)
    has_data: bool = False


def sees_whole_picture(ctx: Context, member: Member) -> bool:
    """Tell whether a member sees the whole sub-district: overseers and group leads; field staff see their own
    community."""
    return is_overseer(ctx, member) or member.role == ROLE_GROUP_LEAD


def build_dashboard(ctx: Context, member: Member, day: date) -> Dashboard:
    """Gather the page of one member for one day (today or earlier), and audit it when it shows personal data."""
    lang = member.lang

    def say(text: Text) -> str:
        return render(text, lang)

    whole = sees_whole_picture(ctx, member)
    community = None if whole else member.community
    full = sees_full_data(ctx, member)
    scope = say(Text("dashboard.scope_all")) if whole else say(community_name(ctx.org, member.community))
    board = Dashboard(day=day, is_today=day == ctx.today, whole=whole, full_data=full, scope=scope)
    board.groups = _group_states(ctx, member, day, say, whole)
    board.countdown = _countdown(ctx, day, say)
    board.coverage = _coverage(ctx, community, say)
    board.alerts = _alerts(ctx, community, full, say) if board.is_today else []
    start = datetime.combine(day, time(0), ctx.tz)
    board.acknowledged = acknowledged_between(
        session=ctx.session, start=start, end=start + timedelta(days=1), community=community
    )
    if whole:
        _whole_picture(ctx, board, say)
    board.has_data = bool(
        any(g.state in (STATE_REPORTED, STATE_LATE) for g in board.groups)
        or any(f.value for f in board.figures)
        or board.alerts
        or board.acknowledged
    )
    if full and board.alerts:
        ids = ",".join(str(row.number) for row in board.alerts)
        audit_private_view(ctx, detail=f"dashboard {day.isoformat()} alerts {ids}"[:200], reader=member)
    return board


def _whole_picture(ctx: Context, board: Dashboard, say: Callable[[Text], str]) -> None:
    day = board.day
    figures = day_figures(ctx, day)
    empty = stock_outs(ctx, day - timedelta(days=SPARK_DAYS - 1), day)
    series = _daily_counts(ctx, day, empty)
    board.figures = [Figure(say(Text(key)), series[name][-1], tuple(series[name])) for key, name in SERIES]
    board.figures += [
        Figure(say(Text("dashboard.figure_observed")), figures.observation.under_observation),
        Figure(say(Text("dashboard.figure_verified")), figures.ledger.verified),
    ]
    board.summary = [say(line) for line in _supplies(ctx, day, empty[day])]
    counts = figures.referrals
    board.referrals = [(say(Text(REFERRAL_TEXT[status])), counts.get(status, 0)) for status in STATUSES]
    watched = figures.observation
    board.observation = [
        (say(Text("dashboard.observed_under")), watched.under_observation),
        (say(Text("dashboard.observed_new")), watched.new),
        (say(Text("dashboard.observed_missed")), watched.missed + watched.not_done),
        (say(Text("dashboard.observed_lost")), watched.lost_total),
    ]
    # today: open items by colour as they stand now; any day: that day's counts
    colours = digest_lines(ctx) if board.is_today else []
    board.supervision = [say(line) for line in [*colours, *section_lines(ctx, day)]]


def _daily_counts(ctx: Context, day: date, empty: dict[date, list[str]]) -> dict[str, list[int]]:
    """Return the last days' checks, alerts, referrals and stock-outs, oldest first, counted as the merged report
    counts them."""
    first = day - timedelta(days=SPARK_DAYS - 1)
    visits = visits_by_day(session=ctx.session, start=first, end=day + timedelta(days=1))
    counts: dict[str, list[int]] = {name: [] for _key, name in SERIES}
    counts["stock_outs"] = [len(empty[first + timedelta(days=back)]) for back in range(SPARK_DAYS)]
    for back in range(SPARK_DAYS):
        each = first + timedelta(days=back)
        checks = check_figures(session=ctx.session, day=each)
        reached, alerts = visits.get(each, (0, 0))
        counts["checked"].append(checks.checked_today + reached)
        counts["alerts"].append(checks.alerts_today + alerts)
        start = datetime.combine(each, time(0), ctx.tz)
        opened = referrals_opened(session=ctx.session, start=start, end=start + timedelta(days=1))
        counts["referrals"].append(opened)
    return counts


def _supplies(ctx: Context, day: date, empty: list[str]) -> list[Text]:
    """Return the supplies lines: today's as the report has them (stock, stock-outs, open requests by status);
    an earlier day's stock-outs as they were that evening (requests are kept only as they stand now)."""
    if day == ctx.today:
        return supplies_lines(ctx, day)
    if not empty:
        return []
    return [Text("dashboard.stock_outs_then", {"count": len(empty), "which": "、".join(empty)})]


def _group_states(
    ctx: Context, member: Member, day: date, say: Callable[[Text], str], whole: bool
) -> list[GroupStatus]:
    reports = reports_of_day(session=ctx.session, day=day)
    past_deadline = ctx.now >= deadline_of(ctx, day)
    states = []
    for group in ctx.org.groups:
        if not whole and group.key != member.group_key:
            continue
        report = reports.get(group.key)
        if report is None:
            state = STATE_MISSED if past_deadline else STATE_PENDING
            at = ""
        else:
            state = STATE_LATE if report.is_late else STATE_REPORTED
            at = report.submitted_at.astimezone(ctx.tz).strftime("%H:%M")
        states.append(GroupStatus(say(group_label(group)), state, say(Text(STATE_TEXT[state])), at))
    return states


def _countdown(ctx: Context, day: date, say: Callable[[Text], str]) -> str:
    if day != ctx.today:
        return ""
    left = deadline_of(ctx, day) - ctx.now
    if left <= timedelta(0):
        return say(Text("dashboard.deadline_passed"))
    minutes = int(left.total_seconds()) // 60
    return say(Text("dashboard.countdown", {"hours": minutes // 60, "minutes": minutes % 60}))


def _coverage(ctx: Context, community: str | None, say: Callable[[Text], str]) -> list[CoverageRow]:
    counts = ledger_by_compound(session=ctx.session, community=community)
    by_community: dict[str | None, list[int]] = {}
    for (key, _compound), (targets, verified) in counts.items():
        total = by_community.setdefault(key, [0, 0])
        total[0] += targets
        total[1] += verified
    rows = []
    for key in sorted(by_community, key=lambda each: each or ""):
        targets, verified = by_community[key]
        rows.append(CoverageRow(say(community_name(ctx.org, key)), targets, verified))
        for (owner, compound), (c_targets, c_verified) in sorted(counts.items(), key=lambda item: item[0][1] or ""):
            if owner == key and compound:
                rows.append(CoverageRow(f"· {compound}", c_targets, c_verified))
    return rows


def _alerts(ctx: Context, community: str | None, full: bool, say: Callable[[Text], str]) -> list[AlertRow]:
    return [_alert_row(ctx, alert, full, say) for alert in open_alerts(session=ctx.session, community=community)]


def _alert_row(ctx: Context, alert: Alert, full: bool, say: Callable[[Text], str]) -> AlertRow:
    lines = alert.full if full else alert.masked
    when = alert.created_at.astimezone(ctx.tz).strftime("%m-%d %H:%M")
    return AlertRow(alert.id or 0, when, tuple(say(Text.from_json(line)) for line in lines))
