"""Telegram adapter against the fake Bot API on loopback: polling end to end, taps, rendering, errors, serve()."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lianfang.app.features import GROUP_COMMANDS, MENU, PRIVATE_COMMANDS
from lianfang.app.serve import serve
from lianfang.app.web import create_web_app
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import t
from lianfang.bot.platforms.telegram.adapter import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_MESSAGE_CHARS,
    REASON_FORBIDDEN,
    TOKEN_PREFIX,
    TelegramAdapter,
)
from lianfang.bot.ports import Outcome, SendError
from lianfang.bot.types import PLATFORM_TELEGRAM, Button, ChatRef, IncomingMessage, OutgoingMessage, Text
from lianfang.handlers.shared.audiences import leadership_chats
from lianfang.models.checks import CheckResult
from lianfang.models.members import ChatBinding
from lianfang.models.outbox import STATUS_FAILED, STATUS_SENT, OutboxMessage
from sqlmodel import Session, select

from tests.fake_telegram import (
    BOT_USERNAME,
    CANNOT_INITIATE,
    TOKEN,
    TOO_MANY_REQUESTS,
    FakeTelegram,
)
from tests.fakes import Chat, Harness, keys_of
from tests.paths import PAYLOADS as PAYLOADS_ROOT

PAYLOADS = PAYLOADS_ROOT / "telegram"
STAFF = 5120337881
REPORTER = 6021447312
GROUP = -1001744325510
ZH = "zh_CN"


class Recorder:
    """A dispatch callable that keeps what it was given."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []

    async def __call__(self, msg: IncomingMessage) -> Outcome:
        self.received.append(msg)
        return Outcome()


@pytest.fixture
async def adapter(fake: FakeTelegram) -> AsyncIterator[tuple[TelegramAdapter, Recorder]]:
    """A started adapter on the fake, dispatching into a recorder instead of the core."""
    telegram = TelegramAdapter(TOKEN, base_url=fake.url)
    recorder = Recorder()
    await telegram.start(recorder)
    yield telegram, recorder
    await telegram.stop()


@pytest.fixture
async def served(database_url: str, fake: FakeTelegram) -> AsyncIterator[tuple[Harness, TelegramAdapter]]:
    """A real App with the bundled org, serving Telegram through the fake."""
    harness = Harness.create(database_url)
    telegram = TelegramAdapter(TOKEN, base_url=fake.url)
    harness.app.add_adapter(telegram)
    await harness.app.start()
    yield harness, telegram
    await harness.app.stop()
    harness.app.engine.dispose()


@pytest.fixture
async def polling(served: tuple[Harness, TelegramAdapter]) -> AsyncIterator[asyncio.Task[None]]:
    """Poll the fake in the background."""
    task = asyncio.create_task(served[1].poll(timeout=5))
    yield task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def settle(fake: FakeTelegram, telegram: TelegramAdapter, update_id: int) -> None:
    """Wait until the poller has taken an update and the adapter has handled it."""
    await fake.wait_for(lambda: fake.confirmed > update_id)
    await telegram.join()


def labels(params: dict[str, Any]) -> list[list[str]]:
    """Return the button labels of a sent message, row by row."""
    markup = params.get("reply_markup") or {}
    return [[button["text"] for button in row] for row in markup.get("inline_keyboard", [])]


def message(
    chat_id: int, *lines: Text, buttons: tuple[Button, ...] = (), mentions: tuple[str, ...] = ()
) -> OutgoingMessage:
    """Build an outgoing Chinese message for a Telegram chat."""
    return OutgoingMessage(ChatRef(PLATFORM_TELEGRAM, str(chat_id)), lines, ZH, buttons, mentions)


def queue(harness: Harness, chat_id: int, *texts: str) -> None:
    """Put messages in the outbox as a handler would."""
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        for text in texts:
            ctx.send(ChatRef(PLATFORM_TELEGRAM, str(chat_id)), [Text.raw(text)], ZH)


def outbox(harness: Harness) -> list[OutboxMessage]:
    """Return the Telegram outbox rows, oldest first."""
    with Session(harness.app.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.platform == PLATFORM_TELEGRAM)).all()
        return sorted(rows, key=lambda row: row.id or 0)


# -- end to end -------------------------------------------------------------------------------------------


async def test_polling_end_to_end_join_check_and_reminder(
    served: tuple[Harness, TelegramAdapter], fake: FakeTelegram, polling: asyncio.Task[None]
) -> None:
    harness, telegram = served
    assert fake.calls[0].method == "getMe"

    await settle(fake, telegram, fake.say(STAFF, "/start"))
    [hello] = fake.sent(STAFF)
    assert hello["parse_mode"] == "HTML" and "/join" in hello["text"]

    code = harness.invite("screening", "staff", "chaoyang", "张伟")
    await settle(fake, telegram, fake.say(STAFF, f"/join@{BOT_USERNAME} {code}"))
    assert "张伟" in fake.sent(STAFF)[-1]["text"]

    before = len(fake.sent(STAFF))
    await settle(fake, telegram, fake.say(STAFF, "/check 3栋<2>单元501 张三 37.9 咳嗽"))
    asked = fake.sent(STAFF)[before:]
    assert labels(asked[-1]) == [[t("form.button_skip", ZH)]]
    for label in ("跳过", "武汉旅居史", "转诊发热门诊"):
        await settle(fake, telegram, fake.tap(STAFF, label))
    summary = fake.sent(STAFF)[-1]
    assert "3栋&lt;2&gt;单元501" in summary["text"] and "<2>" not in summary["text"]  # escaped HTML
    assert summary["text"].startswith("<b>")
    assert [label for row in labels(summary) for label in row] == ["提交", "返回上一项", "取消"]
    await settle(fake, telegram, fake.tap(STAFF, "提交"))

    taps = 4
    assert len(fake.calls_to("answerCallbackQuery")) == taps
    edits = fake.calls_to("editMessageText")
    assert len(edits) == taps and all("reply_markup" not in call.params for call in edits)
    assert edits[-1].params["text"].endswith("✓ 提交")
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert (record.address, record.history, record.measure) == ("3栋<2>单元501", "wuhan", "referred")

    reporter_code = harness.invite("screening", "reporter", name="周强")
    await settle(fake, telegram, fake.say(REPORTER, f"/join {reporter_code}", name="强 周"))
    harness.at("15:00")
    await harness.app.tick()
    reminder = fake.sent(REPORTER)[-1]
    assert labels(reminder) == [["填报", "无新情况"]]
    callbacks = [b["callback_data"] for b in reminder["reply_markup"]["inline_keyboard"][0]]
    assert callbacks == ["/daily 2020-01-28", "/daily nil 2020-01-28"]
    assert reminder["text"].startswith("<b>今日工作信息报送提醒</b>") and "15:30" in reminder["text"]


async def test_polling_skips_updates_it_cannot_use_and_keeps_going(
    served: tuple[Harness, TelegramAdapter], fake: FakeTelegram, polling: asyncio.Task[None]
) -> None:
    _, telegram = served
    for name in ("sticker", "edited_message", "my_chat_member", "left_chat_member"):
        payload = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
        del payload["update_id"]
        fake.queue(payload)
    await settle(fake, telegram, fake.say(STAFF, "/help"))
    assert len(fake.sent()) == 1 and fake.sent()[0]["chat_id"] == str(STAFF)
    assert fake.calls_to("getUpdates")[0].params["allowed_updates"] == ["message", "callback_query"]


# -- errors and the outbox --------------------------------------------------------------------------------


async def test_429_storm_loses_nothing_and_repeats_nothing(
    served: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, _ = served
    texts = [f"通知 {n}" for n in range(10)]
    queue(harness, STAFF, *texts)
    fake.flood(4, retry_after=1)
    assert await harness.app.deliverer.drain() == 6
    waiting = [row for row in outbox(harness) if row.status != STATUS_SENT]
    assert len(waiting) == 4 and all(row.error and row.error.startswith("rate_limited") for row in waiting)
    assert await harness.app.deliverer.drain() == 0  # not before retry_after
    harness.advance(seconds=2)
    assert await harness.app.deliverer.drain() == 4
    assert sorted(params["text"] for params in fake.sent(STAFF)) == sorted(texts)
    assert all(row.status == STATUS_SENT for row in outbox(harness))
    assert len(fake.calls_to("sendMessage")) == 14


async def test_user_who_never_started_the_bot_fails_for_good_as_forbidden(
    served: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, telegram = served
    fake.block(REPORTER, CANNOT_INITIATE)
    with pytest.raises(SendError) as raised:
        await telegram.send(message(REPORTER, Text.raw("提醒")))
    assert raised.value.permanent and raised.value.reason == "forbidden: bot can't initiate conversation with a user"
    queue(harness, REPORTER, "提醒")
    assert await harness.app.deliverer.drain() == 0
    [row] = outbox(harness)
    assert row.status == STATUS_FAILED and row.error and row.error.startswith(REASON_FORBIDDEN)


async def test_bad_request_is_permanent_and_network_trouble_is_not(
    adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram
) -> None:
    telegram, _ = adapter
    fake.reject(GROUP)
    with pytest.raises(SendError) as raised:
        await telegram.send(message(GROUP, Text.raw("预警")))
    assert raised.value.permanent and raised.value.reason == "bad_request: Chat not found"
    fake.fail("sendMessage", 502, "Bad Gateway")
    with pytest.raises(SendError) as raised:
        await telegram.send(message(STAFF, Text.raw("hi")))
    assert not raised.value.permanent and raised.value.reason.startswith("network")
    fake.flood(1, retry_after=7)
    with pytest.raises(SendError) as raised:
        await telegram.send(message(STAFF, Text.raw("hi")))
    assert not raised.value.permanent and raised.value.retry_after == 7


async def test_a_long_message_is_split_and_a_retry_sends_only_the_missing_part(
    adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram
) -> None:
    telegram, _ = adapter
    lines = tuple(Text.raw(f"{n}" * 3000) for n in range(1, 4))
    long = message(STAFF, *lines, buttons=(Button(Text("daily.button_fill"), "/daily"),))
    fake.fail("sendMessage", TOO_MANY_REQUESTS, "Too Many Requests: retry after 1", retry_after=1, after=1)
    with pytest.raises(SendError):
        await telegram.send(long)
    await telegram.send(long)
    sent = fake.sent(STAFF)
    assert [params["text"].replace("<b>", "").replace("</b>", "") for params in sent] == [
        "1" * 3000,
        "2" * 3000,
        "3" * 3000,
    ]
    assert all(len(params["text"]) <= MAX_MESSAGE_CHARS + len("<b></b>") for params in sent)
    assert [bool(params.get("reply_markup")) for params in sent] == [False, False, True]


# -- button taps ------------------------------------------------------------------------------------------


async def test_a_double_tap_is_dispatched_once(adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram) -> None:
    telegram, recorder = adapter
    buttons = (Button(Text("daily.button_fill"), "/daily"), Button(Text("daily.button_nil"), "/daily nil"))
    await telegram.send(message(STAFF, Text("reminder.title"), buttons=buttons))
    first, second = fake.tap(STAFF, "无新情况"), fake.tap(STAFF, "无新情况")
    for update_id in (first, second):
        await telegram.feed(telegram.parse(next(u for u in fake.updates if u["update_id"] == update_id)))
    await telegram.join()
    assert [(m.text, m.is_button, m.event_id) for m in recorder.received] == [("/daily nil", True, str(first))]
    assert len(fake.calls_to("answerCallbackQuery")) == 2
    [edit] = fake.calls_to("editMessageText")
    assert edit.params["text"] == "今日工作信息报送提醒\n✓ 无新情况"
    assert next(iter(fake.messages.values())).reply_markup is None


async def test_a_command_for_another_bot_in_a_shared_group_is_left_to_it(
    adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram
) -> None:
    telegram, recorder = adapter
    texts = ("/help@other_bot", "／help＠other_bot", f"/report@{BOT_USERNAME}", "／report＠LIANFANG_TEST_BOT")
    for update_id in [fake.say(GROUP, text, user_id=STAFF) for text in texts]:
        await telegram.feed(telegram.parse(next(u for u in fake.updates if u["update_id"] == update_id)))
    await telegram.join()
    assert [m.text for m in recorder.received] == list(texts[2:])


async def test_group_keyboards_stay_for_everyone_in_the_group(
    adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram
) -> None:
    telegram, recorder = adapter
    buttons = (Button(Text("lang.name_zh"), "/lang zh"), Button(Text("lang.name_en"), "/lang en"))
    await telegram.send(message(GROUP, Text("lang.choose"), buttons=buttons))
    for person in (STAFF, REPORTER, STAFF):
        fake.tap(GROUP, "English", user_id=person)
        await telegram.handle_update(telegram.parse(fake.updates[-1]))
    assert [(m.user_id, m.text, m.is_private) for m in recorder.received] == [
        (str(STAFF), "/lang en", False),
        (str(REPORTER), "/lang en", False),
    ]
    assert len(fake.calls_to("answerCallbackQuery")) == 3
    assert not fake.calls_to("editMessageText") and not fake.calls_to("editMessageReplyMarkup")


async def test_long_button_values_travel_as_tokens_that_expire_with_the_process(
    adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram
) -> None:
    telegram, recorder = adapter
    value = "#7:" + "需要重点关注的特殊人群" * 3
    assert len(value.encode()) > MAX_CALLBACK_DATA_BYTES
    await telegram.send(message(STAFF, Text.raw("请选择"), buttons=(Button(Text.raw("特殊人群"), value),)))
    _, data = fake.find_button(STAFF, "特殊人群")
    assert data.startswith(TOKEN_PREFIX) and len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
    fake.tap(STAFF, "特殊人群")
    await telegram.handle_update(telegram.parse(fake.updates[-1]))
    assert recorder.received[-1].text == value
    await telegram.send(message(STAFF, Text.raw("请再选一次"), buttons=(Button(Text.raw("特殊人群"), value),)))

    restarted = TelegramAdapter(TOKEN, base_url=fake.url)
    after_restart = Recorder()
    await restarted.start(after_restart)
    try:
        fake.tap(STAFF, "特殊人群")
        await restarted.handle_update(restarted.parse(fake.updates[-1]))
    finally:
        await restarted.stop()
    assert after_restart.received == []
    answer = fake.calls_to("answerCallbackQuery")[-1].params
    assert answer["text"] == t("telegram.button_expired", ZH) and answer["show_alert"] == "true"


# -- rendering --------------------------------------------------------------------------------------------


async def test_rendering_escapes_everything_and_lays_out_buttons(adapter: tuple[TelegramAdapter, Recorder]) -> None:
    telegram, _ = adapter
    [part] = telegram.render(message(GROUP, Text.raw("<b>张三 & 李四</b>"), mentions=("5120337881", 'evil"')))
    assert part.text == '&lt;b&gt;张三 &amp; 李四&lt;/b&gt;\n<a href="tg://user?id=5120337881">👤</a>'
    [part] = telegram.render(message(STAFF, Text.raw("标题"), Text.raw("正文 <x>")))
    assert part.text == "<b>标题</b>\n正文 &lt;x&gt;"
    short = telegram.keyboard([Button(Text.raw("是"), "#1:yes"), Button(Text.raw("否"), "#1:no")], ZH)
    assert short is not None and [len(row) for row in short.inline_keyboard] == [2]
    mixed = [Button(Text.raw("确诊/疑似病例接触史"), "#2:contact"), Button(Text.raw("无"), "#2:none")]
    wide = telegram.keyboard(mixed, ZH)
    assert wide is not None and [len(row) for row in wide.inline_keyboard] == [1, 1]


async def test_private_buttons_become_deep_links(adapter: tuple[TelegramAdapter, Recorder]) -> None:
    telegram, _ = adapter
    base = f"https://t.me/{BOT_USERNAME}"
    assert telegram.deep_link("/join AB12CD34") == f"{base}?start=join_AB12CD34"
    assert telegram.deep_link("/check") == f"{base}?start=check"
    assert telegram.deep_link("/check 3栋 张三") == f"{base}?start=check"  # Chinese cannot ride along
    assert telegram.deep_link("/daily " + "x" * 80) == f"{base}?start=daily"
    assert telegram.deep_link("/!!") == base
    markup = telegram.keyboard([Button(Text("common.open_private"), "/check 3栋", private=True)], ZH)
    assert markup is not None
    [[button]] = markup.inline_keyboard
    assert button.url == f"{base}?start=check" and button.callback_data is None


async def test_command_menus_in_both_languages_and_a_chinese_default(
    adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram
) -> None:
    telegram, _ = adapter
    await telegram.set_commands(PRIVATE_COMMANDS, GROUP_COMMANDS, MENU.labels(), default_lang=ZH)
    calls = [call.params for call in fake.calls_to("setMyCommands")]
    menus = {(call["scope"]["type"], call.get("language_code")): call["commands"] for call in calls}
    assert set(menus) == {
        (scope, code) for scope in ("all_private_chats", "all_group_chats") for code in ("zh", "en", None)
    }
    assert [c["command"] for c in menus[("all_group_chats", None)]] == ["bind", "report", "coverage", "help"]
    private_zh = {c["command"]: c["description"] for c in menus[("all_private_chats", "zh")]}
    assert list(private_zh) == list(PRIVATE_COMMANDS) and private_zh["check"] == t("menu.check", ZH)
    assert menus[("all_private_chats", None)] == menus[("all_private_chats", "zh")]
    assert menus[("all_private_chats", "en")][0]["description"] == t("menu.start", "en")


# -- payloads ---------------------------------------------------------------------------------------------

EXPECTED = {
    "private_text": dict(chat_id="5120337881", text="朝阳新村7栋302 <李四> & 家人", is_private=True),
    "group_command": dict(chat_id="-1001744325510", text="/report@lianfang_test_bot 2020-01-28", is_private=False),
    "callback_query": dict(chat_id="5120337881", text="/daily nil", is_private=True, is_button=True),
    "photo_caption": dict(chat_id="5120337881", text="36.8", is_private=True),
    "document": dict(chat_id="5120337881", text="", is_private=True),
}


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("*.json")), ids=lambda path: path.stem)
async def test_every_recorded_payload_is_handled(
    path: Path, adapter: tuple[TelegramAdapter, Recorder], fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram, recorder = adapter
    data = json.loads(path.read_text(encoding="utf-8"))
    if "callback_query" in data:
        fake.callback_ids.add(data["callback_query"]["id"])
    await telegram.feed(telegram.parse(data))
    await telegram.join()
    assert not [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
    expected = EXPECTED.get(path.stem)
    if expected is None:
        assert recorder.received == []
        return
    [msg] = recorder.received
    assert msg.platform == PLATFORM_TELEGRAM and msg.event_id == str(data["update_id"])
    assert msg.user_id == "5120337881" and msg.display_name == "伟 张"
    assert {name: getattr(msg, name) for name in expected} == expected
    assert msg.is_button == bool(expected.get("is_button"))
    if path.stem == "callback_query":
        assert len(fake.calls_to("answerCallbackQuery")) == 1
    if path.stem == "document":
        assert msg.attachment is not None and msg.attachment.file_name == "五里牌街道返长人员排查名单0128.xlsx"
        assert msg.attachment.size == 10842 and msg.attachment.data is None  # fetched only when the core asks
    elif path.stem == "photo_caption":  # the photo is an attachment, its caption still the text
        assert msg.attachment is not None and msg.attachment.file_name == "AQADbqkxG2p-6VV4.jpg"
        assert msg.attachment.size == 1203 and msg.attachment.mime_type == "image/jpeg" and msg.attachment.photo
    else:
        assert msg.attachment is None


# -- offline and serve() ----------------------------------------------------------------------------------


async def test_the_real_api_is_unreachable_from_tests() -> None:
    telegram = TelegramAdapter(TOKEN)
    with pytest.raises(Exception, match="offline"):
        await telegram.start(Recorder())


async def test_serve_with_a_bad_token_fails_and_cleans_up(database_url: str, fake: FakeTelegram) -> None:
    harness = Harness.create(database_url, telegram_token="7000001:wrong", telegram_api_base_url=fake.url + "/bot")
    try:
        with pytest.raises(Exception, match="Unauthorized|token"):
            await asyncio.wait_for(serve(harness.app), 10)
    finally:
        harness.app.engine.dispose()
    assert [call.method for call in fake.calls] == []  # refused before any method ran


def _serving(database_url: str, fake: FakeTelegram, **settings: object) -> Harness:
    return Harness.create(database_url, telegram_token=TOKEN, telegram_api_base_url=fake.url, http_port=0, **settings)


async def test_serve_polls_answers_and_stops_on_sigterm(database_url: str, fake: FakeTelegram) -> None:
    harness = _serving(database_url, fake)
    task = asyncio.create_task(serve(harness.app))
    try:
        await fake.wait_for(lambda: bool(fake.calls_to("getUpdates")))
        fake.say(STAFF, "/help")
        await fake.wait_for(lambda: bool(fake.sent(STAFF)))
        assert [c.method for c in fake.calls][:1] == ["getMe"]
        assert fake.calls_to("deleteWebhook") and len(fake.calls_to("setMyCommands")) == 6
        if threading.current_thread() is threading.main_thread():
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(task, 10)
        else:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        if not task.done():
            task.cancel()
        harness.app.engine.dispose()
    assert not fake.calls_to("setWebhook")


async def test_serve_sets_the_webhook_and_stops_on_cancel(database_url: str, fake: FakeTelegram) -> None:
    secret = "Webhook_secret-2020"
    url = "https://bot.example.org/telegram"
    harness = _serving(database_url, fake, telegram_webhook_url=url, telegram_webhook_secret=secret)
    task = asyncio.create_task(serve(harness.app))
    try:
        await fake.wait_for(lambda: bool(fake.calls_to("setWebhook")))
        [call] = fake.calls_to("setWebhook")
        assert call.params["url"] == url and call.params["secret_token"] == secret
        assert call.params["allowed_updates"] == ["message", "callback_query"]
        await asyncio.sleep(0.1)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        harness.app.engine.dispose()
    assert not fake.calls_to("getUpdates") and not fake.calls_to("deleteWebhook")


# -- bound group chats that move or drop the bot ----------------------------------------------------------

ADMIN = 5230551234
SUPERGROUP = -1009876543210


async def bind_leadership_over_telegram(harness: Harness, fake: FakeTelegram, telegram: TelegramAdapter) -> Chat:
    """Have an admin join and bind GROUP as the leadership chat over Telegram; add a leader on another platform."""
    code = harness.invite("coordination", "admin", name="龙雅俐")
    await settle(fake, telegram, fake.say(ADMIN, f"/join {code}", name="雅俐 龙"))
    await settle(fake, telegram, fake.say(GROUP, "/bind leadership", user_id=ADMIN, name="雅俐 龙"))
    return await harness.member("王宏武", "coordination", "leader")


async def test_a_group_upgraded_to_a_supergroup_is_followed_and_the_admins_are_told(
    served: tuple[Harness, TelegramAdapter], fake: FakeTelegram, polling: asyncio.Task[None]
) -> None:
    harness, telegram = served
    leader = await bind_leadership_over_telegram(harness, fake, telegram)
    fake.migrate(GROUP, SUPERGROUP)
    harness.at("15:30")
    await harness.app.tick()
    # the merged report went to the old id, was refused with migrate_to_chat_id, and went again to the new one
    [report] = fake.sent(SUPERGROUP)
    assert "2020-01-28" in report["text"] and "各工作组" in report["text"]
    with Session(harness.app.engine) as session:
        [binding] = session.exec(select(ChatBinding)).all()
        assert binding.chat_id == str(SUPERGROUP) and binding.unreachable_since is None
    notice = fake.sent(ADMIN)[-1]["text"]
    assert "领导小组群" in notice and "超级群" in notice
    assert keys_of(leader.unread()) == ["chat.migrated"]
    # later messages go straight to the new chat; the admins are told once
    queue_to_leadership(harness, "预警测试")
    await harness.app.deliverer.drain()
    assert fake.sent(SUPERGROUP)[-1]["text"] == "预警测试"
    assert keys_of(leader.unread()) == []


async def test_a_bot_removed_from_a_bound_chat_is_reported_at_once_and_in_healthz(
    served: tuple[Harness, TelegramAdapter], fake: FakeTelegram, polling: asyncio.Task[None]
) -> None:
    harness, telegram = served
    leader = await bind_leadership_over_telegram(harness, fake, telegram)
    fake.kick(GROUP)
    harness.at("15:30")
    await harness.app.tick()
    assert all("2020-01-28" not in params["text"] for params in fake.sent(GROUP))
    notice = fake.sent(ADMIN)[-1]["text"]
    assert "无法向领导小组群（telegram）发送消息" in notice and "kicked" in notice and "/bind" in notice
    assert keys_of(leader.unread()) == ["chat.unreachable"]
    # a second refused message does not repeat the notice
    queue_to_leadership(harness, "预警测试")
    await harness.app.deliverer.drain()
    assert keys_of(leader.unread()) == []
    transport = httpx.ASGITransport(app=create_web_app(harness.app, None))
    async with httpx.AsyncClient(transport=transport, base_url="http://lianfang") as http:
        [lost] = (await http.get("/healthz")).json()["unreachable_chats"]
    assert (lost["platform"], lost["kind"], lost["group"]) == ("telegram", "leadership", "")
    assert "kicked" in lost["reason"]
    # the bot is added back and the chat bound again: reachable, and healthz clears
    fake.chat_failures.clear()
    await settle(fake, telegram, fake.say(GROUP, "/bind leadership", user_id=ADMIN, name="雅俐 龙"))
    async with httpx.AsyncClient(transport=transport, base_url="http://lianfang") as http:
        assert (await http.get("/healthz")).json()["unreachable_chats"] == []


def queue_to_leadership(harness: Harness, text: str) -> None:
    """Queue a message for the bound leadership chat, as an alert would."""
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        [chat] = leadership_chats(ctx)
        ctx.send(chat, [Text.raw(text)], ZH)
