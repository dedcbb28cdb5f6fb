"""What features add to the merged daily report, composed from their declarations."""

from __future__ import annotations

from datetime import date

import pytest
from lianfang.bot.context import Context
from lianfang.bot.feature import Feature
from lianfang.bot.report_parts import ReportPart, ReportParts, ReportSection
from lianfang.bot.types import Text

from tests.fakes import Harness, texts_of

DAY = date(2020, 1, 28)


def _count(value: int) -> object:
    return lambda _ctx, _day: value


def test_a_figure_name_declared_by_two_features_is_refused() -> None:
    one = Feature("one", report=ReportPart(figures={"visits_today": _count(1)}))  # type: ignore[dict-item]
    two = Feature("two", report=ReportPart(figures={"visits_today": _count(2)}))  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="visits_today"):
        ReportParts.of([one, two])


def test_figures_are_counted_by_name_and_unknown_names_left_out() -> None:
    parts = ReportParts.of(
        [
            Feature("one", report=ReportPart(figures={"a": _count(1)})),  # type: ignore[dict-item]
            Feature("plain"),
            Feature("two", report=ReportPart(figures={"b": _count(2)})),  # type: ignore[dict-item]
        ]
    )
    assert parts.figure_names == ("a", "b")
    assert parts.figure_values(None, DAY, ["b", "zzz"]) == {"b": 2}  # type: ignore[arg-type]


async def test_a_feature_section_follows_the_group_sections_of_the_merged_report(harness: Harness) -> None:
    def lines(_ctx: Context, day: date) -> list[Text]:
        return [Text.raw(f"{day.month}月{day.day}日 无新交办")]

    section = ReportSection(Text.raw("督办事项"), lines)
    nothing = ReportSection(Text.raw("空的一节"), lambda _ctx, _day: [])
    parts = (*harness.app.dispatcher.report_parts.parts, ReportPart(section=nothing), ReportPart(section=section))
    harness.app.dispatcher.report_parts = ReportParts(parts)
    await harness.member("周强", "screening", "reporter")
    leader = await harness.member("王宏武", "coordination", "leader")
    report = texts_of(await leader.say("/report"))
    assert report.index("二、各工作组工作情况") < report.index("三、督办事项") < report.index("四、未报")
    assert "空的一节" not in report  # a section with nothing to say that day is left out
    assert report.index("物资需求") < report.index("二、各工作组工作情况")  # the supplies feature's line, in 疫情变化
