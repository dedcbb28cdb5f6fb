"""A reporter on leave is not reminded or chased: their stand-in is, and the merged report marks 代报."""

from __future__ import annotations

from tests.fakes import Harness, keys_of, texts_of
from tests.org import load_test_org


async def test_the_stand_in_is_reminded_and_chased_and_the_report_marks_daibao(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    zhou = await harness.member("周强", "screening", "reporter")
    lead = await harness.member("董晓波", "screening", "group_lead")
    await zhou.say("/leave 2020-01-28 2020-01-29 发热就医")
    await lead.tap("批准")
    zhou.catch_up()
    lead.catch_up()
    await harness.tick("15:00")
    assert zhou.unread() == []  # on leave: no reminder
    [reminder] = lead.unread()
    assert keys_of([reminder]) == ["reminder.title", "reminder.text", "leave.standing_in"]
    assert "周强 请假，今天由您代报" in texts_of([reminder])
    await harness.tick("15:15")
    assert zhou.unread() == [] and keys_of(lead.unread())[0] == "reminder.chase_title"
    harness.at("15:20")
    assert keys_of(await lead.say("/daily nil")) == ["daily.submitted"]
    await harness.tick("15:30")
    [report] = leadership.unread()
    assert "【排查组】报送人：周强（代报：董晓波）" in texts_of([report])
    # The day after the leave, the reporter is reminded again and reports as usual: no mark.
    harness.advance(days=2)
    harness.at("15:00")
    await harness.tick()
    assert keys_of(zhou.unread()) == ["reminder.title", "reminder.text"] and lead.unread() == []
    assert keys_of(await zhou.say("/daily nil")) == ["daily.submitted"]
    await harness.tick("15:30")
    text = texts_of(leadership.unread())
    assert "【排查组】报送人：周强（" in text and "代报" not in text


async def test_the_backup_reporter_stands_in_first_even_as_staff(database_url: str) -> None:
    org = load_test_org()
    groups = [
        group.model_copy(update={"backup_reporter": "王敏"}) if group.key == "publicity" else group
        for group in org.groups
    ]
    harness = Harness.create(database_url, org=org.model_copy(update={"groups": groups}))
    await harness.app.start()
    liu = await harness.member("刘洋", "publicity", "reporter")
    await harness.member("高峰", "publicity", "reporter")
    lead = await harness.member("谭芳", "publicity", "group_lead")
    backup = await harness.member("王敏", "publicity", "staff")
    assert keys_of(await backup.say("/daily nil")) == ["daily.not_reporter"]  # nobody is away yet
    await liu.say("/leave 2020-01-28 2020-01-28 外出")
    await lead.tap("批准")
    await harness.tick("15:00")
    assert keys_of(backup.unread())[-1] == "leave.standing_in"
    assert keys_of(await backup.say("/daily nil")) == ["daily.submitted"]
    harness.app.engine.dispose()
