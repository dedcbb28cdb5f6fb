"""The screening ledger in chat: today's list, verification by button, alerts, access, masking and audit."""

from __future__ import annotations

from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.handlers.screening.importing import import_list
from lianfang.models.alerts import Alert
from lianfang.models.audit import ACTION_VIEW, CHANNEL_PRIVATE, AuditEntry
from lianfang.models.screening import STATUS_UNREACHED, STATUS_VERIFIED, ScreeningTarget, ScreeningVisit
from sqlmodel import Session, col, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.screening_files import id_number, write_csv

LI = id_number(birth="19900101", seq="123")
WANG = id_number(birth="19851231", seq="246")
ZHAO = id_number(birth="19620615", seq="357")


def load_list(harness: Harness, tmp_path: Path) -> dict[str, int]:
    """Import three people: two in 东风社区, one in 朝阳社区; return their target ids by name."""
    path = write_csv(
        tmp_path / "list.csv",
        ["姓名", "身份证号", "联系电话", "现住址", "事由", "抵达日期"],
        [
            ["李四", LI, "13812345678", "东风小区3栋201", "武汉返长", "2020-01-23"],
            ["王五", WANG, "13912345678", "东风新村1栋102", "武汉返长", "2020-01-24"],
            ["赵六", ZHAO, "", "朝阳新村7栋302", "密切接触者", ""],
        ],
    )
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        import_list(ctx, path, batch="b1", actor="cli:test")
    with Session(harness.app.engine) as session:
        return {t.name: t.id for t in session.exec(select(ScreeningTarget)) if t.id is not None}


def target(harness: Harness, target_id: int) -> ScreeningTarget:
    """Return a target as stored."""
    with Session(harness.app.engine) as session:
        found = session.get(ScreeningTarget, target_id)
        assert found is not None
        return found


def audit(harness: Harness) -> list[AuditEntry]:
    """Return the audit log."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))


async def verify_reached(chat: Chat, temperature: str, symptoms: str, measure: str) -> None:
    """Answer the verification form for someone reached at home, up to the summary."""
    await chat.tap("是")
    await chat.tap("是")
    await chat.say(temperature)
    await chat.say(symptoms)
    await chat.tap(measure)
    await chat.say("/skip")


async def test_staff_list_is_masked_and_a_button_records_the_verification(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    listed = await staff.say("/tasks")
    assert keys_of(listed) == [
        "screening.tasks_title",
        "screening.task_line",
        "screening.task_line",
        "screening.tasks_hint",
    ]
    text = texts_of(listed)
    assert "今日待核查 2 人" in text and "李*" in text and "李四" not in text and "东风小区3栋201" in text
    assert LI not in text and "赵" not in text  # another community's target is not listed
    assert [b.value for b in listed[0].buttons] == [f"/verify {ids['李四']}", f"/verify {ids['王五']}"]

    opened = await staff.tap("1. 李*")
    assert keys_of(opened)[:5] == [
        "screening.card_person",
        "screening.card_address",
        "screening.card_id",
        "screening.card_phone",
        "screening.card_reason",
    ]
    card = texts_of(opened)
    assert "李*，男，30 岁" in card and "4301**********" in card and "138****5678" in card
    assert "screening.ask_reached" in keys_of(opened)
    await verify_reached(staff, "36.5", "无", "居家观察")
    saved = await staff.say("提交")
    assert keys_of(saved) == ["screening.verified", "observation.started", "screening.remaining"]
    assert saved[0].lines[2].params == {"count": 1}
    li = target(harness, ids["李四"])
    assert (li.status, li.due_on) == (STATUS_VERIFIED, None)
    with Session(harness.app.engine) as session:
        visit = session.exec(select(ScreeningVisit)).one()
        assert (visit.reached, visit.at_home, visit.temperature, visit.symptoms, visit.measure, visit.is_alert) == (
            True,
            True,
            36.5,
            "无",
            "home",
            False,
        )
    assert audit(harness)[1:] == []  # staff see masked data only: nothing to audit beyond the import
    again = await staff.say("任务")
    assert keys_of(again).count("screening.task_line") == 1


async def test_fever_on_verification_raises_the_masked_alert(harness: Harness, tmp_path: Path) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['王五']}")
    await verify_reached(staff, "38.2", "咳嗽", "转诊发热门诊")
    saved = await staff.say("提交")
    assert keys_of(saved) == ["screening.verified", "check.saved_alert", "referral.opened", "screening.remaining"]
    alert = texts_of(leadership.unread())
    assert alert.startswith(f"⚠️【健康监测预警】排查对象第 {ids['王五']} 号")
    assert "王*" in alert and "王五" not in alert and "38.2" in alert and "咳嗽" in alert
    assert "139****5678" in alert and "东风新村1栋***" in alert
    assert keys_of(coordination.unread())[0] == "screening.alert_title"
    with Session(harness.app.engine) as session:
        visit = session.exec(select(ScreeningVisit)).one()
        assert visit.is_alert and visit.measure == "referred"
        raised = session.exec(select(Alert)).one()  # waiting for acknowledgement like any alert
        assert (raised.visit_id, raised.check_id, raised.acked_at) == (visit.id, None, None)


async def test_not_reached_stays_on_the_list(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['李四']}")
    summary = await staff.tap("否")
    assert keys_of(summary)[0] == "screening.ask_notes"
    await staff.say("电话无人接听，明天再去")
    saved = await staff.say("提交")
    assert keys_of(saved) == ["screening.unreached", "screening.remaining"] and saved[0].lines[1].params == {"count": 2}
    li = target(harness, ids["李四"])
    assert li.status == STATUS_UNREACHED and li.due_on is not None
    listed = texts_of(await staff.say("/tasks"))
    assert "未联系上" in listed
    with Session(harness.app.engine) as session:
        visit = session.exec(select(ScreeningVisit)).one()
        assert (visit.reached, visit.at_home, visit.temperature, visit.notes) == (
            False,
            None,
            None,
            "电话无人接听，明天再去",
        )


async def test_the_task_list_shows_the_numbers_verify_takes(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    ids = load_list(harness, tmp_path)
    number = ids["赵六"]
    assert number != 1  # the only target of this list, the third of the import
    listed = await staff.say("/tasks")
    text = texts_of(listed)
    assert f"第 {number} 号：赵*" in text and "1. 赵*" not in text
    assert [b.value for b in listed[0].buttons] == [f"/verify {number}"]
    typed = await staff.say(f"/verify {number}")  # the number the list shows opens the same person
    assert keys_of(typed)[0] == "screening.card_person" and "赵*" in texts_of(typed)


async def test_staff_cannot_open_another_communitys_target(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    for ref in (str(ids["赵六"]), "99999", "abc", ""):
        answer = await staff.say(f"/verify {ref}")
        assert keys_of(answer) == ["screening.target_unknown"]
    assert "赵" not in texts_of(staff.messages())


async def test_leaders_see_full_records_and_each_view_is_audited(harness: Harness, tmp_path: Path) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    ids = load_list(harness, tmp_path)
    opened = await leader.say(f"/verify {ids['赵六']}")
    card = texts_of(opened)
    assert "赵六" in card and ZHAO in card
    views = [e for e in audit(harness) if e.action == ACTION_VIEW]
    assert [(e.actor, e.channel, e.target_id) for e in views] == [("王宏武", CHANNEL_PRIVATE, ids["赵六"])]


async def test_tasks_only_in_private_and_empty_list(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    assert keys_of(await staff.say("/tasks")) == ["screening.tasks_none"]
    assert "/tasks" in texts_of(await staff.say("/help"))
    group = harness.group("g-screening", staff)
    assert keys_of(await group.say("/tasks")) == ["common.private_only"]
    assert keys_of(await group.say("/verify 1")) == ["common.private_only"]


async def test_a_full_data_role_sees_its_list_in_full_and_the_view_is_audited(harness: Harness, tmp_path: Path) -> None:
    lead = await harness.member("刘组长", "screening", "group_lead", "dongfeng")
    ids = load_list(harness, tmp_path)
    listed = texts_of(await lead.say("/tasks"))
    assert "李四" in listed and "王五" in listed
    views = [(e.actor, e.target_id) for e in audit(harness) if e.action == ACTION_VIEW]
    assert views == [("刘组长", ids["李四"]), ("刘组长", ids["王五"])]


async def test_the_export_carries_the_latest_verification(harness: Harness, tmp_path: Path) -> None:
    from lianfang.handlers.screening.export import export_ledger
    from openpyxl import load_workbook

    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['李四']}")
    await staff.tap("否")
    await staff.say("/skip")
    await staff.say("提交")
    harness.advance(hours=2)
    await staff.say(f"/verify {ids['李四']}")
    await verify_reached(staff, "36.6", "无", "居家观察")
    await staff.say("提交")
    out = tmp_path / "ledger.xlsx"
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        summary = export_ledger(ctx, out, actor="cli:test", community="dongfeng")
    assert summary.rows == 2 and summary.sheets == {"东风社区": 2}
    rows = list(load_workbook(out, read_only=True)["东风社区"].iter_rows(min_row=2, values_only=True))
    assert list(rows[0][10:]) == ["王芳", "2020-01-28 10:00", "是", 36.6, "无", "居家观察", None]
    assert rows[1][1] == "王五" and list(rows[1][10:]) == ["王芳", None, None, None, None, None, None]


async def test_verify_with_free_text_answers_what_it_says(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    opened = await staff.say(f"/verify {ids['李四']} 体温三十六度五 冇咳冇烧 叫他别出门")
    assert keys_of(opened)[-2] == "screening.ask_at_home"  # reached, temperature, symptoms and measure understood
    await staff.tap("是")
    await staff.say("/skip")
    saved = await staff.say("提交")
    assert keys_of(saved)[0] == "screening.verified"
    with Session(harness.app.engine) as session:
        visit = session.exec(select(ScreeningVisit)).one()
        assert (visit.reached, visit.temperature, visit.symptoms, visit.measure) == (True, 36.5, "无", "home")
    assert keys_of(await staff.say("/verify 999 体温36.5")) == ["screening.target_unknown"]
