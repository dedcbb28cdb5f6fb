"""Benchmark updates per second through the whole Telegram path, against a bare python-telegram-bot floor.

Both sides long-poll the same fake Bot API on 127.0.0.1 (``tests/fake_telegram.py``) and get the same update
payloads: text messages from one staff member in a private chat, walking through the ``/check`` form over and
over. lianfang handles them with the real App (bundled org, temporary SQLite file): TelegramAdapter →
dispatcher → form runner → outbox → sendMessage. The floor is a bare PTB ``Application`` (no persistence, no
JobQueue) with one ``MessageHandler`` that answers each update with one fixed ``send_message``. An update counts
as done when its reply has been recorded by the fake.

A second floor replays, with the same bare handler, the very replies lianfang sent (HTML text, inline keyboards):
it shows how much of the difference is the bigger reply rather than lianfang's own work (database, outbox).

The durable floor is the least an exactly-once bot must do: the same bare handler first commits one SQLite
transaction (WAL, synchronous=NORMAL, the pragmas lianfang uses) that inserts the update id into a unique table
and the reply into an outbox table, then sends the reply and marks it sent. Its ratio (``ratio_durable``) is the
one the target is set against; the bare ratio stays beside it. The durable floor also runs with lianfang's very
replies (``ratio_durable_same_replies``), which leaves lianfang's own work as the difference.

Each side runs in rounds, taking turns (see ``measure``), and the lines give the totals.

The adapter's send pace is switched off: it paces sends at Telegram's real 30 messages/s, which would
measure Telegram's limit rather than our code, and the floor has none.

Run: python benchmarks/telegram.py [--quick]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter, api_url
from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.fake_telegram import TOKEN, FakeTelegram, chat, user
from tests.fakes import Harness

BENCH = "telegram_updates_per_second"
TARGET = "time per update <= 1.5x a durable bare PTB handler"
UPDATES = 500
QUICK_UPDATES = 100
ROUNDS = 3
"""Rounds of ``UPDATES`` for each side, taking turns (one round in a quick run)."""
WARMUP_UPDATES = 50
POLL_SECONDS = 1
"""The fake cuts long polls at 1 s anyway; an idle poller is never on the timed path."""
DONE_TIMEOUT_SECONDS = 120.0

STAFF = 5120337881
STAFF_NAME = "张伟"
CHECK_ANSWERS = ("/check", "3栋2单元501", "张三", "/skip", "36.5", "无", "1", "4", "提交")
"""One pass through /check by a staff member of 朝阳新村, as typed (the same steps as ``benchmarks/run.py``)."""
FLOOR_REPLY = "ok"
FIRST_MESSAGE_ID = 10_000
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


@dataclass
class CountingFake(FakeTelegram):
    """The fake Bot API, able to wake a waiter once a chat has received a given number of messages."""

    _sent_to: dict[str, int] = field(default_factory=dict)
    _goal: tuple[str, int, asyncio.Event] | None = None

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        result = super()._api_sendMessage(params)
        chat_id = str(params["chat_id"])
        self._sent_to[chat_id] = self._sent_to.get(chat_id, 0) + 1
        self._check_goal()
        return result

    def forget(self) -> None:
        """Drop what the fake recorded: each side starts on the same heap, not on the records of those before it (a
        heap grown by thousands of replies with keyboards makes every garbage collection slower)."""
        for records in (self.calls, self.messages, self.delivered, self.delivered_at, self._sent_to):
            records.clear()

    def sent_count(self, chat_id: int) -> int:
        """Return how many messages a chat has received."""
        return self._sent_to.get(str(chat_id), 0)

    async def until_sent(self, chat_id: int, total: int, timeout: float = DONE_TIMEOUT_SECONDS) -> None:
        """Wait until a chat has received ``total`` messages in all."""
        event = asyncio.Event()
        self._goal = (str(chat_id), total, event)
        self._check_goal()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        finally:
            self._goal = None

    def _check_goal(self) -> None:
        if self._goal is not None:
            chat_id, total, event = self._goal
            if self._sent_to.get(chat_id, 0) >= total:
                event.set()


def message_update(text: str, message_id: int) -> dict[str, Any]:
    """Return a private text message from the staff member, as Telegram sends it (the fake numbers the update)."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": user(STAFF, STAFF_NAME),
        "chat": chat(STAFF),
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"message": message}


def payloads(count: int, start: int = 0) -> list[dict[str, Any]]:
    """Return ``count`` updates continuing the /check loop from step ``start``."""
    return [
        message_update(CHECK_ANSWERS[(start + n) % len(CHECK_ANSWERS)], FIRST_MESSAGE_ID + start + n)
        for n in range(count)
    ]


async def push(fake: CountingFake, updates: Sequence[dict[str, Any]], replies: int) -> float:
    """Queue updates, wait until ``replies`` more messages reached the staff chat; return the seconds taken."""
    goal = fake.sent_count(STAFF) + replies
    started = time.perf_counter()
    for update in updates:
        fake.queue(update)
    await fake.until_sent(STAFF, goal)
    return time.perf_counter() - started


async def settle(fake: CountingFake) -> None:
    """Wait until every queued update was confirmed, so the next poller starts from an empty queue."""
    await fake.wait_for(lambda: not fake.updates, timeout=DONE_TIMEOUT_SECONDS)


async def lianfang_seconds(fake: CountingFake, url: str, warmup: int, timed: int) -> float:
    """Return the seconds lianfang takes for ``timed`` updates, after joining and ``warmup`` updates."""
    harness = Harness.create(url)
    telegram = TelegramAdapter(TOKEN, base_url=fake.url, rate_limit=False)
    harness.app.add_adapter(telegram)
    await harness.app.start()
    poller = asyncio.create_task(telegram.poll(timeout=POLL_SECONDS))
    try:

        async def replies_to(update: dict[str, Any]) -> int:
            """Send one update and wait until everything it caused was delivered; return the staff's replies."""
            before = fake.sent_count(STAFF)
            await push(fake, [update], 1)
            await settle(fake)
            await telegram.join()
            await harness.app.drain()
            return fake.sent_count(STAFF) - before

        code = harness.invite("screening", "staff", "chaoyang", STAFF_NAME)
        await replies_to(message_update(f"/join {code}", FIRST_MESSAGE_ID - 1))
        # Count the replies to each step once (one each today) rather than assume it.
        per_step = [await replies_to(update) for update in payloads(len(CHECK_ANSWERS))]

        def replies(count: int, start: int) -> int:
            return sum(per_step[(start + n) % len(per_step)] for n in range(count))

        start = 0  # the calibration pass ended where the loop begins
        await push(fake, payloads(warmup, start), replies(warmup, start))
        start += warmup
        seconds = await push(fake, payloads(timed, start), replies(timed, start))
        await settle(fake)
        await telegram.join()
        return seconds
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await harness.app.stop()
        harness.app.engine.dispose()


def replies_in_turn(replies: Sequence[dict[str, Any]] = ()) -> Iterator[dict[str, Any]]:
    """Return the floor's replies, endlessly: a fixed text, or each of ``replies`` in turn (sendMessage parameters
    as the fake recorded them: HTML text, inline keyboards)."""
    return itertools.cycle(replies or [{"text": FLOOR_REPLY}])


async def send_reply(bot: Any, chat_id: int, reply: dict[str, Any]) -> None:
    """Send one reply of ``replies_in_turn`` as a bare handler would."""
    markup, preview = reply.get("reply_markup"), reply.get("link_preview_options")
    await bot.send_message(
        chat_id,
        reply["text"],
        parse_mode=reply.get("parse_mode"),
        reply_markup=InlineKeyboardMarkup.de_json(markup, bot) if markup else None,
        link_preview_options=LinkPreviewOptions(**preview) if preview else None,
    )


async def floor_seconds(fake: CountingFake, warmup: int, timed: int, replies: Sequence[dict[str, Any]] = ()) -> float:
    """Return the seconds a bare PTB Application takes for ``timed`` updates, after ``warmup`` updates.

    Each update is answered with a fixed text, or with the next of ``replies`` when given.
    """
    upcoming = replies_in_turn(replies)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await send_reply(context.bot, update.effective_chat.id, next(upcoming))

    return await _bare_seconds(fake, warmup, timed, answer)


async def _bare_seconds(fake: CountingFake, warmup: int, timed: int, answer: Handler) -> float:
    application = Application.builder().token(TOKEN).base_url(api_url(fake.url)).job_queue(None).build()
    application.add_handler(MessageHandler(filters.ALL, answer))
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(timeout=POLL_SECONDS)
    await application.start()
    try:
        await push(fake, payloads(warmup), warmup)
        seconds = await push(fake, payloads(timed, warmup), timed)
        await settle(fake)
        return seconds
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


class DurableStore:
    """The durable floor's database: processed update ids and an outbox, in one SQLite file."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE processed (update_id INTEGER PRIMARY KEY)")
        self.db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, chat_id INTEGER, text TEXT, sent INTEGER)")

    def take(self, update_id: int, chat_id: int | str, text: str) -> int | None:
        """Record an update and queue its reply in one transaction; return the reply's id, None if seen before."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT INTO processed (update_id) VALUES (?)", (update_id,))
        except sqlite3.IntegrityError:
            self.db.execute("ROLLBACK")
            return None
        (reply_id,) = self.db.execute(
            "INSERT INTO outbox (chat_id, text, sent) VALUES (?, ?, 0) RETURNING id", (chat_id, text)
        ).fetchone()
        self.db.execute("COMMIT")
        return int(reply_id)

    def sent(self, reply_id: int) -> None:
        """Mark a reply sent (its own transaction)."""
        self.db.execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply_id,))


async def durable_floor_seconds(
    fake: CountingFake, warmup: int, timed: int, path: str, replies: Sequence[dict[str, Any]] = ()
) -> float:
    """Return the seconds a bare PTB Application that stores each update and its reply takes for ``timed`` updates.

    The reply is a fixed text, or the next of ``replies`` when given.
    """
    store = DurableStore(path)
    upcoming = replies_in_turn(replies)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        reply = next(upcoming)
        reply_id = store.take(update.update_id, update.effective_chat.id, reply["text"])
        if reply_id is not None:
            await send_reply(context.bot, update.effective_chat.id, reply)
            store.sent(reply_id)

    try:
        return await _bare_seconds(fake, warmup, timed, answer)
    finally:
        store.db.close()


async def measure(quick: bool) -> tuple[list[float], int]:
    """Return the seconds of lianfang, the floor, the floor with lianfang's replies, the durable floor and the
    durable floor with lianfang's replies; and the updates timed.

    Each side runs in ``ROUNDS`` rounds, taking turns, and its seconds are summed: on a shared machine the speed
    drifts within a minute, and taking turns lets every side meet the same drift.
    """
    timed = QUICK_UPDATES if quick else UPDATES
    seconds = [0.0] * 5
    fake = CountingFake()
    await fake.start()
    try:
        for _ in range(1 if quick else ROUNDS):
            with tempfile.TemporaryDirectory() as folder:
                fake.forget()
                core = await lianfang_seconds(fake, f"sqlite:///{folder}/bench.db", WARMUP_UPDATES, timed)
                sent = [params for params in fake.delivered if params["chat_id"] == str(STAFF)]
                replies = sent[-(WARMUP_UPDATES + timed) :]
                sides = (
                    partial(floor_seconds, fake, WARMUP_UPDATES, timed),
                    partial(floor_seconds, fake, WARMUP_UPDATES, timed, replies),
                    partial(durable_floor_seconds, fake, WARMUP_UPDATES, timed, f"{folder}/floor.db"),
                    partial(durable_floor_seconds, fake, WARMUP_UPDATES, timed, f"{folder}/same.db", replies),
                )
                taken = [core]
                for side in sides:
                    fake.forget()
                    taken.append(await side())
            for index, each in enumerate(taken):
                seconds[index] += each
    finally:
        await fake.stop()
    return seconds, timed * (1 if quick else ROUNDS)


def run(quick: bool) -> list[dict[str, Any]]:
    """Run the benchmark; return its result lines as dicts."""
    (core, floor, same, durable, durable_same), timed = asyncio.run(measure(quick))
    return [
        {
            "bench": BENCH,
            "value": round(timed / core, 1),
            "unit": "updates/s",
            "target": TARGET,
            "floor": round(timed / floor, 1),
            "ratio": round(core / floor, 2),
            "floor_same_replies": round(timed / same, 1),
            "ratio_same_replies": round(core / same, 2),
            "floor_durable": round(timed / durable, 1),
            "ratio_durable": round(core / durable, 2),
            "floor_durable_same_replies": round(timed / durable_same, 1),
            "ratio_durable_same_replies": round(core / durable_same, 2),
            "updates": timed,
        }
    ]


def main() -> None:
    """Print each result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"time {QUICK_UPDATES} updates instead of {UPDATES}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for result in run(args.quick):
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
