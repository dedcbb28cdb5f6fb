"""What the report files say: the chat report's masked lines, split into sections, with the figures and their history.

Everything here comes from the same functions as the merged chat report (``build_daily_report``, ``day_figures``),
so the files say what the chat says, and personal data is masked the same way: the files go to group chats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from lianfang.bot.context import Context
from lianfang.bot.i18n import render
from lianfang.bot.types import BILINGUAL_KEY, Text
from lianfang.handlers.daily_report import DayFigures, build_daily_report, day_figures
from lianfang.handlers.report_files.settings import REPORT
from lianfang.handlers.supplies import stock_outs
from lianfang.models.referrals import STATUSES as REFERRAL_STATUSES
from lianfang.models.referrals import referral_counts
from lianfang.models.send_ledger import first_day
from lianfang.models.supplies import supply_figures

HISTORY_DAYS = 30
TREND_DAYS = 7
SECTION_TITLE = "report.section_numbered"
TITLE_KEY = "report.title"
GROUPS_SECTION = "report.section_groups"
SECTION_TITLES = {
    "report.section_figures": "report_files.section_figures",
    "report.section_groups": "report_files.section_groups",
    "report.section_missing": "report_files.section_problems",
}
"""The chat report's sections under the names the district's layout gives them; others keep their own."""
GROUP_HEADERS = frozenset(
    {"report.group_header", "report.group_header_late", "report.group_missing", "correction.header"}
)
FIELD_LINE = "report.field_line"
FIGURE_LABELS = {
    "checks": "report_files.figure_checks",
    "checks_total": "report_files.figure_checks_total",
    "alerts": "report_files.figure_alerts",
    "referrals": "report_files.figure_referrals",
    "under_observation": "report_files.figure_under_observation",
    "key_persons_new": "report_files.figure_key_persons_new",
    "lost_total": "report_files.figure_lost_total",
    "ledger_verified": "report_files.figure_ledger_verified",
    "ledger_coverage": "report_files.figure_ledger_coverage",
    "stock_outs": "report_files.figure_stock_outs",
    "supplies_open": "report_files.figure_supplies_open",
    "supplies_urgent": "report_files.figure_supplies_urgent",
}
"""The figures of the day's table and of the history, in their order, by the locale key of their label."""
CURRENT_ONLY = frozenset({"ledger_verified", "ledger_coverage"})
"""Figures the records keep only as they stand now (a target's status): right for the day, wrong for past days."""
HISTORY_FIGURES = {name: key for name, key in FIGURE_LABELS.items() if name not in CURRENT_ONLY}
"""The figures of the last 30 days' table."""
REFERRAL_LABELS = {
    "referred": "report_files.referral_referred",
    "arrived": "report_files.referral_arrived",
    "excluded": "report_files.referral_excluded",
    "suspected": "report_files.referral_suspected",
    "confirmed": "report_files.referral_confirmed",
    "closed": "report_files.referral_closed",
}


@dataclass(frozen=True)
class Section:
    """One numbered section of the report: its title and its lines, as rendered."""

    title: str
    lines: list[str]


@dataclass
class GroupBlock:
    """One group's part of 各工作组工作情况: its name, its header lines and its answers as (label, value) rows."""

    name: str
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DayRow:
    """One day's figures, by the names of ``FIGURE_LABELS``."""

    day: date
    values: dict[str, int]


@dataclass(frozen=True)
class ReportContent:
    """Everything the .docx, the .xlsx and the chart show for one day, rendered in one language."""

    day: date
    lang: str
    org_name: str
    issue: int
    updated: bool
    notes: list[str]
    """Lines between the title and the first section (a preview's or a delayed report's note)."""
    sections: list[Section]
    groups: list[GroupBlock]
    history: list[DayRow]
    """The last ``HISTORY_DAYS`` days, oldest first, ending on ``day``."""
    referrals: dict[str, int]
    signature: dict[str, str]

    def text(self, key: str, **params: object) -> str:
        """Render one of this feature's lines in the report's language."""
        return render(Text(key, dict(params)), self.lang)

    @property
    def today(self) -> DayRow:
        """Return the figures of the report's day."""
        return self.history[-1]

    def figure_rows(self) -> list[tuple[str, int]]:
        """Return the day's figures as (label, value) rows, then the referrals by step."""
        rows = [(self.text(key), self.today.values[name]) for name, key in FIGURE_LABELS.items()]
        return rows + [(self.text(REFERRAL_LABELS[status]), self.referrals[status]) for status in REFERRAL_STATUSES]

    def plain_text(self) -> str:
        """Return every word the files carry, for the privacy guard.

        The signature line is left out: it is the org file's own contact, whose work phone the district may want.
        """
        parts = [self.text("report_files.title", name=self.org_name), *self.notes]
        for section in self.sections:
            parts += [section.title, *section.lines]
        for block in self.groups:
            parts += [block.name, *block.headers, *block.notes, *(f"{label} {value}" for label, value in block.rows)]
        parts += [f"{label} {value}" for label, value in self.figure_rows()]
        return "\n".join(parts)


def row_of(figures: DayFigures, day: date, supplies_open: int, supplies_urgent: int, stock_outs: int = 0) -> DayRow:
    """Return one day's figures from what the chat report counts (stock-outs: places and items at zero that
    evening)."""
    checks, ledger, watched = figures.checks, figures.ledger, figures.observation
    values = {
        "checks": checks.checked_today + ledger.reached_today,
        "checks_total": checks.checked_total,
        "alerts": checks.alerts_today + ledger.alerts_today,
        "referrals": figures.referrals_today,
        "under_observation": watched.under_observation,
        "key_persons_new": watched.new,
        "lost_total": watched.lost_total,
        "ledger_verified": ledger.verified,
        "ledger_coverage": ledger.coverage,
        "stock_outs": stock_outs,
        "supplies_open": supplies_open,
        "supplies_urgent": supplies_urgent,
    }
    return DayRow(day, values)


def history(ctx: Context, day: date, days: int = HISTORY_DAYS) -> list[DayRow]:
    """Return the figures of the ``days`` days ending on ``day``, oldest first."""
    rows = []
    empty = stock_outs(ctx, day - timedelta(days=days - 1), day)
    for offset in range(days - 1, -1, -1):
        each = day - timedelta(days=offset)
        supplies = supply_figures(session=ctx.session, day=each)
        figures = day_figures(ctx, each)
        rows.append(row_of(figures, each, supplies.open_total, supplies.open_urgent, len(empty[each])))
    return rows


def issue_number(ctx: Context, day: date) -> int:
    """Return the report's issue number (第N期): working days from the first issue to ``day``, counted inclusive."""
    start = REPORT.of(ctx.org).first_issue or first_day(session=ctx.session) or day
    if day <= start:
        return 1
    working = ctx.org.schedule.is_working_day
    return max(1, sum(1 for n in range((day - start).days + 1) if working(start + timedelta(days=n))))


def _group_name(line: Text, lang: str) -> str:
    group = line.params.get("group")
    if isinstance(group, Text) and group.key == BILINGUAL_KEY:
        return render(group, lang)
    return str(group or "")


def split_report(lines: list[Text], lang: str) -> tuple[list[str], list[Section], list[GroupBlock]]:
    """Split the chat report's lines into its notes, its sections and its groups' blocks, rendered."""
    notes: list[str] = []
    sections: list[Section] = []
    blocks: list[GroupBlock] = []
    current: Section | None = None
    in_groups = False
    for line in lines:
        if line.key == TITLE_KEY:
            continue
        if line.key == SECTION_TITLE:
            # the chat report numbers its sections; the files number theirs, under the district's names
            inner: Text = line.params["title"]
            named = SECTION_TITLES.get(inner.key)
            title = render(Text(named) if named else inner, lang)
            current = Section(title, [])
            sections.append(current)
            in_groups = inner.key == GROUPS_SECTION
            continue
        if current is None:
            notes.append(render(line, lang))
            continue
        current.lines.append(render(line, lang))
        if not in_groups:
            continue
        if line.key in GROUP_HEADERS:
            name = _group_name(line, lang)
            if not blocks or blocks[-1].name != name:
                blocks.append(GroupBlock(name))
            blocks[-1].headers.append(render(line, lang))
        elif blocks and line.key == FIELD_LINE:
            label, value = line.params.get("label"), line.params.get("value")
            blocks[-1].rows.append((_rendered(label, lang), _rendered(value, lang)))
        elif blocks:
            blocks[-1].notes.append(render(line, lang))
    return notes, sections, blocks


def _rendered(value: object, lang: str) -> str:
    return render(value, lang) if isinstance(value, Text) else str(value or "")


def build_content(ctx: Context, day: date, *, updated: bool = False, preview: bool = False) -> ReportContent:
    """Gather what the files show for a day, from the same data and masked views as the chat report."""
    lang = ctx.settings.default_language
    notes, sections, groups = split_report(build_daily_report(ctx, day, preview=preview), lang)
    settings = REPORT.of(ctx.org)
    org_name = render(Text.bilingual(ctx.org.name, ctx.org.name_en), lang)
    signature = {
        "unit": settings.unit or org_name,
        "signer": settings.signer,
        "contact": settings.contact,
    }
    return ReportContent(
        day=day,
        lang=lang,
        org_name=org_name,
        issue=issue_number(ctx, day),
        updated=updated,
        notes=notes,
        sections=sections,
        groups=groups,
        history=history(ctx, day),
        referrals=referral_counts(session=ctx.session),
        signature=signature,
    )
