"""The 15:00 → 15:30 loop on an injected clock: reminders, chasers, merged report, late report, catch-up."""

from __future__ import annotations

from datetime import date

from lianfang.models.reports import DailyReport, DailyReportVersion
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of

REPORTERS = {
    "coordination": "李娜",
    "screening": "周强",
    "supplies": "陈静",
    "publicity": "刘洋",
    "stability": "赵磊",
    "supervision": "孙悦",
}


async def setup_reporters(harness: Harness) -> dict[str, Chat]:
    """Join one reporter per group."""
    return {group: await harness.member(name, group, "reporter") for group, name in REPORTERS.items()}


async def fill_screening(chat: Chat) -> None:
    """Fill the 排查组 report: its figures come prefilled from the records; correct one of them at the summary."""
    started = await chat.tap("填报")
    assert keys_of(started)[0] == "daily.started_from_records"
    summary = texts_of(await chat.say("/skip"))
    assert "（1）今日核查户数：0" in summary and "转诊人数：0" in summary  # nothing recorded today
    assert keys_of(await chat.say("修改 1"))[0] == "daily.ask_field"
    await chat.say("126")
    assert keys_of(await chat.say("提交"))[0] == "daily.submitted"


async def test_reminders_go_to_every_reporter_once(harness: Harness) -> None:
    reporters = await setup_reporters(harness)
    assert await harness.tick("14:59") == []
    sent = await harness.tick("15:00")
    assert len(sent) == 6
    for chat in reporters.values():
        [reminder] = chat.unread()
        assert [line.key for line in reminder.lines] == ["reminder.title", "reminder.text"]
        assert [b.value for b in reminder.buttons] == ["/daily 2020-01-28", "/daily nil 2020-01-28"]
    assert await harness.tick("15:00") == []  # the ledger makes a second tick a no-op
    harness.advance(seconds=20)
    assert await harness.tick() == []


async def test_chasers_go_only_to_pending_and_report_lists_them(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    reporters = await setup_reporters(harness)
    await harness.tick("15:00")
    reporters["supervision"].catch_up()
    harness.at("15:05")
    await fill_screening(reporters["screening"])
    for group in ("coordination", "supplies", "publicity", "stability"):
        answer = await reporters[group].tap("无新情况")
        assert keys_of(answer) == ["daily.submitted"]
    await harness.tick("15:15")
    assert keys_of(reporters["supervision"].unread()) == ["reminder.chase_title", "reminder.chase"]
    assert reporters["screening"].unread() == []
    await harness.tick("15:25")
    assert keys_of(reporters["supervision"].unread()) == ["reminder.chase_title", "reminder.chase"]
    await harness.tick("15:30")
    [report] = leadership.unread()
    copy, *files = coordination.unread()  # then the report's files (see report_files)
    assert report.lines == copy.lines and all(message.document for message in files)
    text = texts_of([report])
    assert "2020-01-28" in text and "五里牌街道" in text
    assert text.index("一、疫情变化") < text.index("二、各工作组工作情况") < text.index("三、未报")
    missing = [line for line in report.lines if line.key == "report.missing_line"]
    assert len(missing) == 1 and missing[0].params["count"] == 2
    assert "执纪督查组" in texts_of([report]).split("\n")[-1]
    assert "126" in text and "周强" in text
    # group sections follow the org file's order
    headers = [line.params["group"].params["zh_CN"] for line in report.lines if line.key.startswith("report.group_")]
    assert headers == ["综合组", "排查组", "保障组", "宣传组", "社会稳定组", "执纪督查组"]
    assert await harness.tick("15:31") == []


async def test_late_report_posts_an_addendum_not_the_whole_report(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    reporters = await setup_reporters(harness)
    await harness.tick("15:00")
    await harness.tick("15:30")
    leadership.catch_up()
    harness.at("16:10")
    inspector = await harness.member("杨寿军", "supervision", "group_lead")
    for subject in ("排查组", "保障组"):  # two inspections today, both finding nothing
        await inspector.say("/inspect")
        await inspector.say(subject)
        await inspector.say("例行检查")
        await inspector.say("今天")
        await inspector.say("无")
        assert keys_of(await inspector.say("提交")) == ["supervision.inspection_clean"]
    chat = reporters["supervision"]
    started = await chat.tap("填报")
    assert keys_of(started)[0] == "daily.started_from_records"  # 督查次数 prefilled from today's inspections
    summary = texts_of(await chat.say("无"))
    assert "（1）督查次数：2" in summary
    answer = await chat.say("提交")
    assert keys_of(answer) == ["daily.submitted_late"]
    addendum = leadership.unread()
    assert len(addendum) == 1
    assert keys_of(addendum)[:2] == ["report.addendum_title", "report.group_header_late"]
    assert "疫情变化" not in texts_of(addendum)
    with Session(harness.app.engine) as session:
        report = session.exec(select(DailyReport).where(DailyReport.group_key == "supervision")).one()
        assert report.is_late and report.data == {"inspections": 2, "problems_found": "无"}


async def test_nil_report_double_tap_does_nothing_twice(harness: Harness) -> None:
    reporters = await setup_reporters(harness)
    await harness.tick("15:00")
    chat = reporters["stability"]
    assert keys_of(await chat.tap("无新情况")) == ["daily.submitted"]
    assert keys_of(await chat.tap("无新情况")) == ["daily.nil_already"]
    with Session(harness.app.engine) as session:
        assert len(session.exec(select(DailyReport)).all()) == 1


async def test_report_is_editable_until_the_deadline(harness: Harness) -> None:
    reporters = await setup_reporters(harness)
    await harness.tick("15:00")
    harness.at("15:02")
    chat = reporters["screening"]
    await fill_screening(chat)
    assert keys_of(await chat.say("/daily nil")) == ["daily.nil_would_replace"]
    answer = await chat.say("/daily")
    assert keys_of(answer)[:2] == ["daily.editing", "daily.started_from_records"]
    for value in ("补充核查", "修改 1", "130"):
        await chat.say(value)
    await chat.say("提交")
    with Session(harness.app.engine) as session:
        report = session.exec(select(DailyReport)).one()
        assert report.data["households_checked"] == 130 and not report.is_late


async def test_an_edit_after_the_deadline_is_a_correction_and_keeps_the_on_time_report(harness: Harness) -> None:
    admin, leadership, _ = await harness.bound_org_chats()
    reporters = await setup_reporters(harness)
    await harness.tick("15:00")
    harness.at("15:05")
    await fill_screening(reporters["screening"])
    await harness.tick("15:30")
    [report] = leadership.unread()
    assert "126" in texts_of([report])
    harness.at("16:20")
    chat = reporters["screening"]
    assert keys_of(await chat.say("/daily"))[:2] == ["correction.editing", "daily.started_from_records"]
    for value in ("/skip", "修改 1", "140"):
        await chat.say(value)
    assert keys_of(await chat.say("提交")) == ["correction.submitted"]
    [addendum] = leadership.unread()
    assert keys_of([addendum])[:2] == ["correction.title", "correction.header"]
    assert "【更正】" in texts_of([addendum]) and "16:20 更正" in texts_of([addendum]) and "140" in texts_of([addendum])
    with Session(harness.app.engine) as session:
        assert session.exec(select(DailyReport)).one().data["households_checked"] == 140
        [kept] = session.exec(select(DailyReportVersion)).all()
        assert kept.data["households_checked"] == 126 and not kept.is_late
    # /report shows what the leaders received at 15:30 and the correction
    shown = await admin.say("/report 2020-01-28")
    lines = texts_of(shown).split("\n")
    on_time = lines.index("【排查组】报送人：周强（15:05）")
    corrected = lines.index("【排查组】报送人：周强（16:20 更正）")
    assert on_time < corrected
    assert "126" in "\n".join(lines[on_time:corrected]) and "140" in "\n".join(lines[corrected:])


async def test_restart_catch_up_within_grace_and_skip_past_it(database_url: str) -> None:
    harness = Harness.create(database_url, catch_up_grace_minutes=20)
    await harness.app.start()
    _, leadership, _ = await harness.bound_org_chats()
    reporters = await setup_reporters(harness)
    # the instance was down over 15:00 and comes back at 15:12: reminder caught up, chasers still to come
    sent = await harness.tick("15:12")
    assert sum(1 for m in sent if m.lines[-1].key == "reminder.text") == 6
    # a second instance built on the same database (a restart) sends nothing twice
    restarted = Harness.create(database_url, catch_up_grace_minutes=20)
    restarted.clock.now = harness.clock.now
    assert await restarted.app.tick() == []
    # down again from 15:14 to 15:58: chasers are moot past the deadline, the report is within grace
    harness.at("15:45")
    sent = await harness.tick()
    assert keys_of(leadership.unread())[0] == "report.title"
    assert all(m.lines[-1].key != "reminder.chase" for m in sent)
    assert keys_of(reporters["screening"].unread()) == ["reminder.title", "reminder.text"]
    restarted.app.engine.dispose()
    await harness.app.stop()
    harness.app.engine.dispose()


async def test_report_past_grace_waits_for_the_quiet_hours_then_goes_out_marked_late(database_url: str) -> None:
    harness = Harness.create(database_url, catch_up_grace_minutes=60)
    await harness.app.start()
    _, leadership, coordination = await harness.bound_org_chats()
    reporters = await setup_reporters(harness)
    # down from before 15:00 until 23:55: quiet hours, so nothing goes out yet, and nothing is skipped for good
    assert await harness.tick("23:55") == []
    assert leadership.unread() == [] and coordination.unread() == []
    # a reporter answering in the night still counts, as a late report in the report to come
    harness.at("23:58")
    assert keys_of(await reporters["stability"].say("/daily nil")) == ["daily.submitted_late"]
    harness.at("06:59", date(2020, 1, 29))
    assert await harness.tick() == []
    harness.at("07:00", date(2020, 1, 29))
    await harness.tick()
    [report] = leadership.unread()
    assert keys_of([report])[:2] == ["report.title", "loop.report_delayed"]
    text = texts_of([report])
    assert "2020-01-28" in text and "延迟发送" in text and "原定 01-28 15:30" in text and "01-29 07:00" in text
    assert "停机" in text and "（23:58 补报）" in text
    [copy] = [m for m in coordination.unread() if m.lines[0].key == "report.title"]
    assert copy.lines == report.lines
    # 综合组 hears in one message which reminders were skipped
    [skipped] = [m for m in coordination.messages() if m.lines[0].key == "loop.skipped_title"]
    assert texts_of([skipped]).count("\n· ") == 3 and "01-28 15:00 填报提醒" in texts_of([skipped])
    assert "01-28 15:25 第 2 轮催报" in texts_of([skipped])
    # it goes once; a later 补报 is an addendum as usual
    assert await harness.tick("07:01") == []
    assert await harness.tick("15:00") != []  # the new day's loop runs as usual
    leadership.catch_up()
    harness.app.engine.dispose()


async def test_a_report_missed_by_a_short_night_outage_goes_out_at_once(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    await setup_reporters(harness)
    await harness.tick("15:00")
    # down from 15:20 until 21:00 (before the quiet hours): the report goes out at once, marked late
    await harness.tick("21:00")
    [report] = leadership.unread()
    assert keys_of([report])[1] == "loop.report_delayed"
    assert "原定 01-28 15:30" in texts_of([report]) and "01-28 21:00" in texts_of([report])
    [skipped] = [m for m in coordination.unread() if m.lines[0].key == "loop.skipped_title"]
    assert [line.params["step"].key for line in skipped.lines[1:]] == ["loop.step_chase", "loop.step_chase"]
    assert await harness.tick("21:01") == []


async def test_a_report_inside_the_grace_is_not_marked_late(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    await harness.tick("15:00")
    await harness.tick("15:50")
    [report] = leadership.unread()
    assert "loop.report_delayed" not in keys_of([report])
    assert all(m.lines[0].key != "loop.skipped_title" for m in coordination.messages())


async def test_no_reminders_on_a_holiday(database_url: str) -> None:
    from datetime import date

    from tests.org import load_test_org

    org = load_test_org()
    schedule = org.schedule.model_copy(update={"holidays": [date(2020, 1, 28)]})
    harness = Harness.create(database_url, org=org.model_copy(update={"schedule": schedule}))
    await harness.app.start()
    reporters = await setup_reporters(harness)
    assert await harness.tick("15:00") == []
    assert keys_of(await reporters["screening"].say("/daily")) == ["daily.not_working_day"]
    harness.app.engine.dispose()


async def test_report_command_preview_and_past_days(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    reporters = await setup_reporters(harness)
    harness.at("15:10")
    preview = await admin.say("/report")
    assert keys_of(preview)[:2] == ["report.title", "report.preview_note"]
    assert keys_of(await admin.say("/report 2020-02-30")) == ["report.bad_date"]
    assert keys_of(await admin.say("/report 2020-03-01")) == ["report.future_date"]
    past = await admin.say("报告 2020-01-27")
    assert "report.preview_note" not in keys_of(past)
    assert keys_of(await reporters["screening"].say("/report")) == ["common.not_allowed"]
    leader = await harness.member("王宏武", "coordination", "leader")
    assert keys_of(await leader.say("/report preview"))[0] == "report.title"


async def test_unreachable_reporter_is_reported_to_coordination(harness: Harness) -> None:
    _, _, coordination = await harness.bound_org_chats()
    harness.invite("supervision", "reporter", name="未加入")
    from lianfang.bot.db import session_scope
    from lianfang.models.members import create_member

    with session_scope(harness.app.engine) as session:
        create_member(
            session=session,
            name="孙悦",
            group_key="supervision",
            role="reporter",
            community=None,
            lang="zh_CN",
            now=harness.clock.now,
        )
    await harness.tick("15:00")
    notices = texts_of(coordination.unread())
    assert "孙悦" in notices
    assert "daily.no_reporter" in keys_of(coordination.messages())


async def test_after_downtime_only_the_latest_due_step_is_sent(harness: Harness) -> None:
    reporters = await setup_reporters(harness)
    sent = await harness.tick("15:26")  # down from before 15:00 until 15:26
    chat = reporters["supervision"]
    # one message, not a reminder and two chasers
    assert keys_of(chat.unread()) == ["reminder.chase_title", "reminder.chase"]
    assert sum(1 for m in sent if m.chat.chat_id == chat.chat_id) == 1


async def test_the_report_counts_key_persons_and_prefills_them_for_the_screening_group(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋2单元501 张三 36.5 无")
    await staff.say("/skip")
    await staff.tap("武汉旅居史")
    await staff.tap("居家观察")
    assert "observation.started" in keys_of(await staff.tap("提交"))
    report = await admin.say("/report")
    figures = {line.key: line.params for m in report for line in m.lines}
    assert figures["report.figures_observation"] == {"under": 1, "new": 1, "released": 0, "missed": 0, "lost": 0}
    reporter = await harness.member("周强", "screening", "reporter")
    await reporter.say("/daily")
    summary = texts_of(await reporter.say("/skip"))
    assert "（1）今日核查户数：1" in summary and "（2）新发现重点对象人数：1" in summary
