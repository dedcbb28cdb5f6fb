"""The 督办 figures and the 督办事项 section of the merged 15:30 report."""

from __future__ import annotations

from datetime import date

from lianfang.bot.db import session_scope
from lianfang.handlers.supervision import count_closed, count_open, count_overdue, section_lines

from tests.fakes import Harness, keys_of, texts_of


async def test_the_report_section_counts_open_overdue_closed_and_new(harness: Harness) -> None:
    _admin, leadership, _coordination = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("刘洋", "screening", "group_lead")
    harness.at("08:00", date(2020, 1, 27))
    await leader.say("/supervise 排查组 1月27日 12:00 联系 13812345678 核对名单")
    await leader.say("提交")
    harness.at("09:00", date(2020, 1, 28))
    for line in ("排查组 1月30日 完成朝阳新村核查", "排查组 1月29日 东风小区消杀"):
        await leader.say(f"/supervise {line}")
        await leader.say("提交")
    await lead.say("督办 3 办结 已消杀")
    await leader.say("督办 3 确认")
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        day = ctx.today
        assert (count_open(ctx, day), count_overdue(ctx, day), count_closed(ctx, day)) == (2, 1, 1)
        lines = section_lines(ctx, day)
        assert keys_of_lines(lines) == ["supervision.report_counts", "supervision.report_overdue"]
        assert lines[0].params == {"open": 2, "overdue": 1, "closed": 1, "new": 2}
        assert section_lines(ctx, date(2020, 1, 20)) == []
    leadership.catch_up()
    await harness.tick("15:30")
    report = texts_of(leadership.unread())
    assert "督办事项" in report and "在办 2 项，其中超期 1 项；今日办结 1 项，新交办 2 项" in report
    assert "13812345678" not in report and "138****5678" in report
    assert keys_of(await lead.say("/supervise 1"))[0] == "supervision.card_title"


def keys_of_lines(lines: list) -> list[str]:  # noqa: ANN001
    return [line.key for line in lines]
