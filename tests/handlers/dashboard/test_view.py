"""The page's data and who sees what: the whole picture for overseers and group leads, a community for field staff."""

from __future__ import annotations

from datetime import date

from lianfang.bot.db import session_scope
from lianfang.handlers.dashboard import Dashboard, build_dashboard
from lianfang.handlers.dashboard.sparkline import sparkline
from lianfang.models.audit import audit_entries
from lianfang.models.members import Member
from sqlmodel import select

from tests.fakes import Harness, keys_of
from tests.handlers.alerts.test_alerts import raise_fever_alert
from tests.handlers.dashboard.conftest import logged_in


def board_of(harness: Harness, name: str, day: date | None = None) -> Dashboard:
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        member = session.exec(select(Member).where(Member.name == name)).one()
        return build_dashboard(ctx, member, day or ctx.today)


async def test_a_leader_sees_every_group_figure_and_alert_in_full_and_the_view_is_audited(harness: Harness) -> None:
    await harness.bound_org_chats()
    await harness.member("王宏武", "coordination", "leader")
    reporter = await harness.member("李娜", "publicity", "reporter")
    await raise_fever_alert(harness)
    assert keys_of(await reporter.say("/daily nil"))[0].startswith("daily.")
    harness.at("10:15")
    board = board_of(harness, "王宏武")
    assert board.whole and board.full_data and board.scope == "全街道"
    assert board.countdown == "距截止还有 5 小时 15 分"
    states = {group.name: group.state for group in board.groups}
    assert states["宣传组"] == "reported" and states["排查组"] == "pending" and len(states) == 6
    figures = {figure.label: figure for figure in board.figures}
    assert figures["排查人数"].value == 1 and figures["排查人数"].series == (0, 0, 0, 0, 0, 0, 1)
    assert figures["发热/症状预警"].value == 1 and figures["新增转诊"].value == 1
    assert dict(board.referrals)["已转诊"] == 1
    assert len(board.alerts) == 1 and "张三" in " ".join(board.alerts[0].lines)
    with session_scope(harness.app.engine) as session:
        audited = [entry for entry in audit_entries(session=session) if entry.detail.startswith("dashboard")]
        assert [(entry.actor, entry.detail) for entry in audited] == [
            ("王宏武", f"dashboard 2020-01-28 alerts {board.alerts[0].number}")
        ]
    harness.at("16:00")
    late = {group.name: group.state for group in board_of(harness, "王宏武").groups}
    assert late["排查组"] == "missed" and late["宣传组"] == "reported"


async def test_field_staff_see_their_community_masked_and_nothing_of_the_rest(harness: Harness) -> None:
    await harness.bound_org_chats()
    await raise_fever_alert(harness)
    await harness.member("赵敏", "screening", "staff", "dongfeng")
    mine = board_of(harness, "张伟")
    assert not mine.whole and not mine.full_data and mine.scope == "朝阳社区"
    assert [group.name for group in mine.groups] == ["排查组"]
    assert mine.figures == [] and mine.referrals == [] and mine.supervision == [] and mine.summary == []
    lines = " ".join(mine.alerts[0].lines)
    assert len(mine.alerts) == 1 and "张三" not in lines and "3栋2单元501" not in lines and "张*" in lines
    other = board_of(harness, "赵敏")
    assert other.scope == "东风社区" and other.alerts == []
    with session_scope(harness.app.engine) as session:
        assert not [entry for entry in audit_entries(session=session) if entry.detail.startswith("dashboard")]


async def test_a_group_lead_sees_the_whole_picture_with_the_data_the_role_allows(harness: Harness) -> None:
    await harness.bound_org_chats()
    await raise_fever_alert(harness)
    await harness.member("刘洋", "supplies", "group_lead")
    board = board_of(harness, "刘洋")
    assert board.whole and board.full_data and len(board.groups) == 6 and board.figures
    assert "张三" in " ".join(board.alerts[0].lines)


async def test_the_page_shows_the_panels_and_a_field_worker_gets_a_smaller_one(harness: Harness) -> None:
    _admin, _leadership, _coordination = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    await raise_fever_alert(harness)
    staff = await harness.member("钱七", "screening", "staff", "chaoyang")
    async with logged_in(harness, leader) as http:
        page = (await http.get("/dashboard")).text
        for panel in ('id="groups"', 'id="figures"', 'id="alerts"', 'id="referrals"', 'id="observation"'):
            assert panel in page
        assert 'id="coverage"' in page and 'id="supplies"' in page and 'id="supervision"' in page
        assert page.count('<svg class="spark"') == 4 and "<script" not in page and "http" not in page.split("<body>")[1]
        assert "张三" in page and "距截止还有" in page
        past = (await http.get("/dashboard", params={"day": "2020-01-27"})).text
        assert "距截止还有" not in past and "张三" not in past and "回到今天" in past
    async with logged_in(harness, staff) as http:
        page = (await http.get("/dashboard")).text
        assert 'id="figures"' not in page and 'id="referrals"' not in page and "朝阳社区" in page
        assert "张三" not in page and "张*" in page


def test_a_sparkline_scales_to_its_largest_value_and_escapes_its_label() -> None:
    svg = str(sparkline([0, 5, 10], label='<"a">'))
    assert svg.startswith('<svg class="spark"') and 'points="3.0,29.0 60.0,16.0 117.0,3.0"' in svg
    assert "&lt;&#34;a&#34;&gt;" in svg
    assert 'points="3.0,29.0 117.0,29.0"' in str(sparkline([0, 0], label="x"))  # a flat zero line, no division
    assert str(sparkline([], label="x")) == ""
