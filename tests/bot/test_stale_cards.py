"""Cards carry their day: yesterday's reminder or follow-up list, tapped today, says which day it was for and does
nothing; the label typed today acts on today (issue 12, item 13)."""

from __future__ import annotations

from datetime import date, timedelta

from lianfang.bot.dated import split_day, undated
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.types import OutgoingMessage
from lianfang.models.drafts import Draft
from lianfang.models.observation import FollowUp
from lianfang.models.reports import DailyReport
from sqlmodel import Session, select

from tests.fake_telegram import FakeTelegram
from tests.fakes import TEST_DAY, Chat, Harness, keys_of, texts_of
from tests.handlers.observation.test_observation import observed
from tests.org import load_test_org
from tests.platforms.telegram.test_adapter import labels, polling, served, settle  # noqa: F401  (fixtures)

NEXT_DAY = TEST_DAY + timedelta(days=1)
STALE_KEYS = ["stale.card", "stale.nothing_changed", "stale.daily_today"]
STALE_ZH = ("这是 2020-01-28 的旧卡片", "今天是 2020-01-29，本次操作未做任何更改。")
TELEGRAM_REPORTER = 6021447312
CHOSEN = "✓ 无新情况"


def reports(harness: Harness) -> list[tuple[date, str, bool]]:
    """Return every stored daily report as (day, group, nil)."""
    with Session(harness.app.engine) as session:
        return sorted((r.day, r.group_key, r.is_nil) for r in session.exec(select(DailyReport)).all())


def drafts(harness: Harness) -> int:
    """Count the open form drafts."""
    with Session(harness.app.engine) as session:
        return len(session.exec(select(Draft)).all())


def values(message: OutgoingMessage) -> list[str]:
    """Return the button values of a message."""
    return [button.value for button in message.buttons]


async def reminded(harness: Harness, *languages: str) -> list[Chat]:
    """Join a 排查组 reporter per language (and a 综合组 one for a second), remind them at 15:00 on 01-28."""
    groups = ("screening", "coordination")
    chats = [
        await harness.member(f"报送员{index}", group, "reporter", language_code=lang)
        for index, (group, lang) in enumerate(zip(groups, languages, strict=False))
    ]
    await harness.tick("15:00")
    for chat in chats:
        [reminder] = chat.unread()
        assert values(reminder) == ["/daily 2020-01-28", "/daily nil 2020-01-28"]
    return chats


# -- the core, on an injected clock ------------------------------------------------------------------------


async def test_yesterdays_nil_button_tapped_today_says_its_day_and_files_nothing(harness: Harness) -> None:
    [reporter] = await reminded(harness, "zh-CN")
    harness.at("09:00", NEXT_DAY)
    [answer] = await reporter.tap("无新情况")
    assert keys_of([answer]) == STALE_KEYS
    assert answer.lines[0].params == {"day": "2020-01-28"} and answer.lines[1].params == {"today": "2020-01-29"}
    text = reporter.text([answer])
    assert all(part in text for part in STALE_ZH)
    assert reports(harness) == []
    # the answer offers today's buttons, and those work
    assert values(answer) == ["/daily 2020-01-29", "/daily nil 2020-01-29"]
    assert keys_of(await reporter.tap("无新情况")) == ["daily.submitted"]
    assert reports(harness) == [(NEXT_DAY, "screening", True)]


async def test_yesterdays_fill_button_opens_no_form(harness: Harness) -> None:
    [reporter] = await reminded(harness, "zh-CN")
    harness.at("09:00", NEXT_DAY)
    for message in reversed(reporter.messages()):  # the reminder card is the only message with buttons
        if message.buttons:
            stale_fill = message.buttons[0].value
            break
    assert stale_fill == "/daily 2020-01-28"
    assert keys_of(await reporter.say(stale_fill, button=True)) == STALE_KEYS
    assert drafts(harness) == 0 and reports(harness) == []
    assert keys_of(await reporter.say("12")) == ["common.not_understood"]  # no question is open


async def test_the_english_reader_gets_the_same_answer_in_english(harness: Harness) -> None:
    _, english = await reminded(harness, "zh-CN", "en")
    harness.at("09:00", NEXT_DAY)
    answer = await english.tap("Nothing new")
    assert keys_of(answer) == STALE_KEYS
    text = english.text(answer)
    assert "This card was for 2020-01-28" in text and "Today is 2020-01-29; nothing was changed." in text
    assert reports(harness) == []


async def test_the_same_day_tap_still_reports(harness: Harness) -> None:
    [reporter] = await reminded(harness, "zh-CN")
    harness.at("15:05")
    assert keys_of(await reporter.tap("无新情况")) == ["daily.submitted"]
    assert reports(harness) == [(TEST_DAY, "screening", True)]


async def test_the_label_typed_on_the_next_day_reports_for_that_day(harness: Harness) -> None:
    reporter, english = await reminded(harness, "zh-CN", "en")
    harness.at("09:00", NEXT_DAY)  # the 01-28 card is still the latest message with that label
    assert keys_of(await reporter.say("无新情况")) == ["daily.submitted"]
    assert keys_of(await english.say("Nothing new")) == ["daily.submitted"]
    assert reports(harness) == [(NEXT_DAY, "coordination", True), (NEXT_DAY, "screening", True)]


async def test_typed_words_mean_today_and_a_typed_date_is_checked(harness: Harness) -> None:
    reporter, other = await reminded(harness, "zh-CN", "zh-CN")
    harness.at("09:00", NEXT_DAY)
    assert keys_of(await reporter.say("/daily nil 2020-01-28")) == STALE_KEYS
    assert keys_of(await reporter.say("日报　无")) == ["daily.submitted"]
    assert keys_of(await other.say("/daily nil 2020-01-29")) == ["daily.submitted"]
    assert reports(harness) == [(NEXT_DAY, "coordination", True), (NEXT_DAY, "screening", True)]


async def test_on_a_day_off_the_stale_answer_offers_no_buttons(database_url: str) -> None:
    org = load_test_org()
    schedule = org.schedule.model_copy(update={"holidays": [NEXT_DAY]})
    harness = Harness.create(database_url, org=org.model_copy(update={"schedule": schedule}))
    await harness.app.start()
    try:
        [reporter] = await reminded(harness, "zh-CN")
        harness.at("09:00", NEXT_DAY)
        [answer] = await reporter.tap("无新情况")
        assert keys_of([answer]) == ["stale.card", "stale.nothing_changed"] and answer.buttons == ()
        assert reports(harness) == []
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()


async def test_yesterdays_follow_up_button_records_nothing_and_shows_todays_list(harness: Harness) -> None:
    staff, _, _, observation = await observed(harness)
    harness.at("09:00", NEXT_DAY)
    await harness.tick()
    [listed] = [m for m in staff.unread() if m.buttons]
    assert values(listed) == [f"/followup {observation.id} 2020-01-29"]
    harness.at("09:00", NEXT_DAY + timedelta(days=1))
    answer = await staff.say(values(listed)[0], button=True)
    assert keys_of(answer)[:3] == ["stale.card", "stale.nothing_changed", "observation.list_title"]
    assert "这是 2020-01-29 的旧卡片" in texts_of(answer)
    assert values(answer[-1]) == [f"/followup {observation.id} 2020-01-30"]
    assert drafts(harness) == 0
    opened = await staff.say(values(answer[-1])[0], button=True)  # today's button opens today's follow-up
    assert "observation.ask_status" in keys_of(opened) and drafts(harness) == 1
    with Session(harness.app.engine) as session:
        assert session.exec(select(FollowUp)).all() == []


def test_a_dated_value_splits_into_its_arguments_and_day() -> None:
    assert split_day("nil 2020-01-28") == ("nil", date(2020, 1, 28))
    assert split_day("2020-01-28") == ("", date(2020, 1, 28))
    assert split_day("nil") == ("nil", None)
    assert split_day("nil 2020-13-45") == ("nil 2020-13-45", None)  # no real day: left for the command
    assert split_day("12") == ("12", None)
    assert undated("/daily nil 2020-01-28") == "/daily nil" and undated("/ack 3") == "/ack 3"


# -- the platforms ------------------------------------------------------------------------------------------


async def test_a_telegram_tap_on_yesterdays_card(
    served: tuple[Harness, TelegramAdapter],  # noqa: F811
    fake: FakeTelegram,
    polling: object,  # noqa: F811
) -> None:
    harness, telegram = served
    code = harness.invite("screening", "reporter", name="周强")
    await settle(fake, telegram, fake.say(TELEGRAM_REPORTER, f"/join {code}", name="强 周"))
    harness.at("15:00")
    await harness.app.tick()
    reminder = fake.sent(TELEGRAM_REPORTER)[-1]
    callbacks = [button["callback_data"] for button in reminder["reply_markup"]["inline_keyboard"][0]]
    assert callbacks == ["/daily 2020-01-28", "/daily nil 2020-01-28"]

    harness.at("09:00", NEXT_DAY)
    await settle(fake, telegram, fake.tap(TELEGRAM_REPORTER, "无新情况"))
    answer = fake.sent(TELEGRAM_REPORTER)[-1]
    assert all(part in answer["text"] for part in STALE_ZH)
    assert labels(answer) == [["填报", "无新情况"]]
    assert reports(harness) == []
    old_card = fake.messages[(str(TELEGRAM_REPORTER), reminder["message_id"])]
    assert CHOSEN not in old_card.text  # the tap was refused: yesterday's card does not say it was chosen

    await settle(fake, telegram, fake.tap(TELEGRAM_REPORTER, "无新情况"))  # today's button, on the answer
    assert "已于 09:00 报送" in fake.sent(TELEGRAM_REPORTER)[-1]["text"]
    assert reports(harness) == [(NEXT_DAY, "screening", True)]
    assert fake.messages[(str(TELEGRAM_REPORTER), answer["message_id"])].text.endswith(CHOSEN)
    assert CHOSEN not in fake.messages[(str(TELEGRAM_REPORTER), reminder["message_id"])].text


def test_the_words_a_wecom_member_is_told_to_type_carry_no_day(harness: Harness) -> None:
    # Typed words mean now, so the text beside a dated card must not teach yesterday's date.
    assert harness.app.dispatcher.in_words("/daily nil 2020-01-28") == "日报 无"
    assert harness.app.dispatcher.in_words("/daily 2020-01-28") == "日报"
