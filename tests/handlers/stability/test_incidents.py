"""Incidents (事件): recorded by form, masked in groups, urgent ones raised as acknowledged alerts, status by button."""

from __future__ import annotations

import io

from lianfang.models.incidents import Incident
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of


async def stability_team(harness: Harness) -> tuple[Chat, Chat, Chat, Chat]:
    """Return (a 社会稳定组 officer, the 社会稳定组 chat, the leadership chat, a leader)."""
    admin, leadership, _ = await harness.bound_org_chats()
    await harness.group("g-stability", admin).say("/bind group stability")
    officer = await harness.member("谭仕武", "stability", "group_lead")
    group = harness.group("g-stability", officer)
    group.catch_up()
    leader = await harness.member("王宏武", "coordination", "leader")
    return officer, group, leadership, leader


async def test_a_rumour_is_recorded_masked_in_the_group_and_handled_by_button(harness: Harness) -> None:
    officer, group, leadership, _ = await stability_team(harness)
    await officer.say("事件")
    await officer.tap("造谣传谣")
    await officer.tap("东风社区")
    await officer.say("东风小区3栋2单元501")
    await officer.say("/skip")
    await officer.say("微信群转发“东风小区封城”谣言，已辟谣并批评教育")
    await officer.say("李建国 13812345678")
    await officer.tap("不紧急")
    saved = await officer.say("提交")
    assert keys_of(saved) == ["incident.saved"]
    notice = texts_of(group.unread())
    assert "造谣传谣" in notice and "李*" in notice and "李建国" not in notice and "13812345678" not in notice
    assert "501" not in notice and "谣言" not in notice  # the description stays private
    assert leadership.unread() == []  # not urgent

    assert keys_of(await officer.tap("已处置")) == ["incident.recorded"]
    assert keys_of(await officer.say("事件 1 已处置")) == ["incident.not_now"]
    assert "已处置" in texts_of(group.unread())
    with Session(harness.app.engine) as session:
        incident = session.exec(select(Incident)).one()
        assert (incident.kind, incident.status, incident.urgent, incident.occurred) == (
            "rumour",
            "handled",
            False,
            "08:00",
        )


async def test_refusing_isolation_raises_an_acknowledged_alert(harness: Harness) -> None:
    officer, _, leadership, leader = await stability_team(harness)
    await officer.say("/incident")
    await officer.tap("拒不配合隔离")
    await officer.tap("朝阳社区")
    await officer.say("朝阳新村5栋101")
    await officer.say("09:40")
    await officer.say("居家观察人员外出拒不返回")
    await officer.say("王强")
    summary = await officer.say("提交")
    assert keys_of(summary)[0] == "incident.saved"  # urgent by kind: no urgency question
    alert = leadership.unread()
    assert keys_of(alert)[0] == "incident.alert_title"
    assert "王*" in texts_of(alert) and "王强" not in texts_of(alert)
    assert alert[0].buttons  # the acknowledge button, as for a fever case
    private = texts_of(leader.unread())
    assert "王强" in private and "居家观察人员外出拒不返回" in private
    assert keys_of(await leader.tap("✅ 确认收到"))[0].startswith("alert.")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert keys_of(await staff.say("事件 1")) == ["incident.unknown"]
    assert keys_of(await staff.say("事件 列表")) == ["incident.not_allowed"]
    assert keys_of(await officer.say("事件 列表"))[0] == "incident.list_title"


async def test_the_incidents_are_exported_in_full_only_to_roles_that_see_full_data(harness: Harness) -> None:
    officer, _, _, leader = await stability_team(harness)
    await officer.say("事件")
    await officer.tap("哄抬物价")
    await officer.tap("新华社区")
    await officer.say("新华综合市场")
    await officer.say("/skip")
    await officer.say("口罩每只卖 20 元")
    await officer.say("=赵六")
    await officer.tap("不紧急")
    await officer.say("提交")
    answer = await leader.say("事件 导出")
    assert keys_of(answer) == ["incident_export.sent"]
    assert answer[0].document is not None and answer[0].document.data
    sheet = load_workbook(io.BytesIO(answer[0].document.data))["事件"]
    assert [cell.value for cell in sheet[2]][2:8] == [
        "哄抬物价",
        "新华社区",
        "新华综合市场",
        "08:00",
        "口罩每只卖 20 元",
        "'=赵六",
    ]
    clerk = await harness.member("钱七", "stability", "staff")
    assert keys_of(await clerk.say("事件 导出")) == ["incident_export.not_allowed"]
