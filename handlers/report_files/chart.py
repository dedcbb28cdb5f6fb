"""The daily report's chart: trends of checks, alerts, referrals, key persons, stock-outs and open supply requests,
as a phone-sized PNG.

Drawn with matplotlib's Agg backend (headless) in a bundled subset of Noto Sans CJK SC (SIL OFL 1.1, see
``fonts/``), so Chinese labels have every glyph on a fresh install, whatever fonts the machine has.
"""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files

import matplotlib
from lianfang.handlers.report_files.content import REFERRAL_LABELS, TREND_DAYS, ReportContent
from lianfang.handlers.report_files.font import FONT_FILE
from lianfang.models.referrals import STATUSES as REFERRAL_STATUSES
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_INCHES = 7.2
HEIGHT_INCHES = 9.6
DPI = 150
"""7.2 in at 150 dpi: 1080 px wide, a phone screen's width."""
COLORS = ("#c0392b", "#2471a3", "#d68910", "#1e8449", "#7d3c98", "#566573")
DATE_LABEL = "%m-%d"
HEADROOM = 1.5
WATCHED = (
    ("under_observation", "report_files.figure_under_observation", COLORS[3], "-"),
    ("lost_total", "report_files.figure_lost_total", COLORS[4], "-"),
    ("stock_outs", "report_files.figure_stock_outs", COLORS[0], "-"),
    ("supplies_open", "report_files.figure_supplies_open", COLORS[5], "--"),
)
"""The key persons and supplies lines: 断货 (places and items at zero that evening), and open requests apart, dashed."""
FALLBACK_FONTS = ("DejaVu Sans",)
"""For what the subset lacks (a rare character in an org's name): matplotlib's own font, then a missing glyph."""


@cache
def font_family() -> str:
    """Register the bundled CJK font with matplotlib once; return its family name."""
    path = files("lianfang.handlers.report_files") / "fonts" / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def build_png(content: ReportContent) -> bytes:
    """Draw the chart of a report's day: the last 7 days, the 30-day totals, referrals by step, key persons."""
    family = font_family()
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)  # Agg, headless, whatever backend pyplot would pick: no display needed
    text = content.text
    fonts = [family, *FALLBACK_FONTS]
    with matplotlib.rc_context({"font.family": fonts, "font.size": 11, "axes.unicode_minus": False}):
        figure.suptitle(
            text("report_files.chart_title", name=content.org_name, date=content.day.isoformat()),
            fontsize=15,
            fontweight="bold",
        )
        daily, cumulative, referrals, watched = figure.subplots(4, 1, height_ratios=(3, 3, 2, 3))
        # A fixed layout: matplotlib's constrained one measures every label first and doubles the time.
        figure.subplots_adjust(left=0.17, right=0.9, top=0.92, bottom=0.04, hspace=0.5)
        week = content.history[-TREND_DAYS:]
        labels = [row.day.strftime(DATE_LABEL) for row in week]
        positions = range(len(week))
        width = 0.27
        for offset, (name, key, color) in enumerate(
            (
                ("checks", "report_files.figure_checks", COLORS[1]),
                ("alerts", "report_files.figure_alerts", COLORS[0]),
                ("referrals", "report_files.figure_referrals", COLORS[2]),
            )
        ):
            values = [row.values[name] for row in week]
            bars = daily.bar([p + (offset - 1) * width for p in positions], values, width, label=text(key), color=color)
            daily.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=8)
        daily.set_xticks(list(positions), labels)
        daily.set_title(text("report_files.chart_daily", days=TREND_DAYS))
        daily.legend(loc="upper left", fontsize=9)

        month = content.history
        days = [row.day.strftime(DATE_LABEL) for row in month]
        totals = {"alerts": 0, "referrals": 0}
        series: dict[str, list[int]] = {"alerts": [], "referrals": []}
        for row in month:
            for name in totals:
                totals[name] += row.values[name]
                series[name].append(totals[name])
        cumulative.plot(
            days,
            [row.values["checks_total"] for row in month],
            color=COLORS[1],
            marker=".",
            label=text("report_files.figure_checks_total"),
        )
        cumulative.set_ylabel(text("report_files.figure_checks_total"), color=COLORS[1])
        other = cumulative.twinx()
        other.plot(days, series["alerts"], color=COLORS[0], marker=".", label=text("report_files.chart_alerts_sum"))
        other.plot(
            days, series["referrals"], color=COLORS[2], marker=".", label=text("report_files.chart_referrals_sum")
        )
        cumulative.set_xticks(range(0, len(days), 5), [days[i] for i in range(0, len(days), 5)])
        cumulative.set_title(text("report_files.chart_cumulative", days=len(month)))
        lines = cumulative.get_lines() + other.get_lines()
        cumulative.legend(lines, [line.get_label() for line in lines], loc="upper left", fontsize=9)

        steps = [text(REFERRAL_LABELS[status]) for status in REFERRAL_STATUSES]
        counts = [content.referrals[status] for status in REFERRAL_STATUSES]
        bars = referrals.barh(steps, counts, color=COLORS[2])
        referrals.bar_label(bars, labels=[str(v) if v else "" for v in counts], fontsize=8)
        referrals.invert_yaxis()
        referrals.set_title(text("report_files.chart_referrals"))

        for name, key, color, style in WATCHED:
            values = [row.values[name] for row in week]
            watched.plot(labels, values, marker="o", linestyle=style, label=text(key), color=color)
        watched.set_title(text("report_files.chart_watched", days=TREND_DAYS))
        watched.legend(loc="upper left", fontsize=9)
        # Counts are never negative; an all-zero series would otherwise sit mid-way on a -0.05..0.05 axis.
        # The headroom keeps the legends, top left, clear of the latest (usually highest) values.
        for axes in (daily, cumulative, other, watched):
            axes.set_ylim(0, max(axes.get_ylim()[1] * HEADROOM, 1))
        referrals.set_xlim(0, max(referrals.get_xlim()[1], 1))
        for axis in (daily.yaxis, cumulative.yaxis, other.yaxis, referrals.xaxis, watched.yaxis):
            axis.get_major_locator().set_params(integer=True)
        for axes in (daily, cumulative, referrals, watched):
            axes.spines[["top", "right"]].set_visible(False)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
