"""Durability of the real ``lianfang run``: ``kill -9`` in the middle of hundreds of submissions, and a leader handover.

Users are simulated as people behave: each answers the bot's latest question, and says the same thing again when
no answer comes (the process was down). Delivery is at least once: a message whose send reached the platform but
whose "sent" mark died with the process goes again once its lease runs out. The tests assert exactly that.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from lianfang.bot.db import session_scope
from lianfang.bot.types import PLATFORM_TELEGRAM
from lianfang.models.events import ProcessedEvent
from lianfang.models.inbox import InboxEvent
from lianfang.models.outbox import STATUS_SENT, OutboxMessage
from lianfang.models.supplies import SupplyNeed
from sqlalchemy import func
from sqlmodel import select

from tests.fake_telegram import FakeTelegram
from tests.fakes import Harness
from tests.lianfang_process import POLL_INTERVAL, base_env, free_port, lianfang_run, queued_and_delivered, texts

USERS = 10
SUBMISSIONS_EACH = 20
KILLS = 4
KILL_AFTER_SECONDS = (1.0, 4.0)
"""Each run lives a random time in this range before ``kill -9``."""
IN_FLIGHT_AT_A_KILL = USERS + 1
"""Messages a kill can leave sent but not marked: a reply is marked with the next message's transaction (or within
50 ms), a user answers only once the reply came, and sends go one at a time per chat (a chat's updates are handled
in order) beside the drain's one send; chats are handled side by side."""
LEASE_SECONDS = 2
SETTLE_SECONDS = 0.5
RESEND_SECONDS = 3.0
"""A simulated user who hears nothing back for this long says the same thing again."""
FINISH_SECONDS = 120.0
"""Upper bound for all submissions to be done; the run ends as soon as they are."""
STAFF_BASE = 5_300_000_000
MORNING = datetime(2020, 1, 28, 10, 0)

ACK = re.compile(r"物资需求第 (\d+) 号")
CONFIRM_SUMMARY = "以上信息无误"
CONFIRM_AGAIN = "请回复“提交”确认"
ASK_REASON = "请简要说明用途"
NO_FORM = "当前没有正在填写的表单"
WELCOME = "欢迎您"
SUBMIT = "提交"


def leases(seconds: int) -> dict[str, str]:
    """Return the environment that shortens both leases a kill leaves behind: a send's and a received update's."""
    return {"LIANFANG_OUTBOX_LEASE_SECONDS": str(seconds), "LIANFANG_INBOX_LEASE_SECONDS": str(seconds)}


def reason_of(user: int, number: int) -> str:
    """Return the purpose that makes one submission recognisable in the database."""
    return f"批次{user}-{number}号"


@dataclass
class User:
    """One simulated staff member filing supply needs one after another."""

    index: int
    code: str
    fake: FakeTelegram
    done: int = 0
    submitted: bool = False
    joined: bool = False
    acks: set[int] = field(default_factory=set)
    last_said: str = ""
    read: int = 0
    said_at: float = 0.0

    @property
    def chat_id(self) -> int:
        return STAFF_BASE + self.index

    def say(self, words: str) -> None:
        self.last_said = words
        self.said_at = time.monotonic()
        self.fake.say(self.chat_id, words, name=f"员工{self.index}")

    def next_submission(self) -> None:
        self.say(f"/supply 口罩 {1000 + self.done} 只 不急")

    @property
    def reason(self) -> str:
        return reason_of(self.index, self.done)

    def react(self, answer: str) -> bool:
        """Answer the bot's message the way a careful person would; return False for one that asks nothing new.

        Stale copies of earlier messages (sent again after a kill) and notices are ignored; if nothing useful
        comes back, ``run`` says the last thing again.
        """
        if self.submitted:
            # Once "提交" is said, this submission is never filed again: say "提交" until it is acknowledged.
            # "No form open" means it was stored and its acknowledgement is on its way, so just wait for it.
            if NO_FORM in answer:
                return False
            self.say(SUBMIT)
        elif (
            CONFIRM_SUMMARY in answer
            and self.reason in answer
            or CONFIRM_AGAIN in answer
            and self.last_said == self.reason
        ):
            self.submitted = True
            self.say(SUBMIT)
        elif ASK_REASON in answer and self.joined:
            self.say(self.reason)
        elif WELCOME in answer and not self.joined:
            self.joined = True
            self.next_submission()
        else:
            return False
        return True

    def advance(self) -> None:
        self.submitted = False
        self.done += 1
        if self.done < SUBMISSIONS_EACH:
            self.next_submission()

    async def run(self) -> None:
        """Join, then file every submission; the bot may be killed and restarted at any moment."""
        self.say(f"/join {self.code}")
        while self.done < SUBMISSIONS_EACH:
            sent = self.fake.sent(self.chat_id)
            fresh, self.read = sent[self.read :], len(sent)
            answers = []
            for params in fresh:
                ack = ACK.search(params["text"])
                if ack is None:
                    answers.append(params["text"])
                elif int(ack.group(1)) not in self.acks:
                    self.acks.add(int(ack.group(1)))
                    if self.submitted:  # a new number is this user's one outstanding submission
                        answers = []
                        self.advance()
            reacted = any(self.react(answer) for answer in reversed(answers))
            if not reacted and time.monotonic() - self.said_at > RESEND_SECONDS:
                self.say(self.last_said)
            await asyncio.sleep(POLL_INTERVAL)


async def test_kill_9_at_random_moments_stores_every_submission_once_and_delivers_every_message(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    harness = Harness.create(database_url, outbox_lease_seconds=LEASE_SECONDS)
    users = [User(n, harness.invite("supplies", "staff", "chaoyang", f"员工{n}"), fake) for n in range(USERS)]
    env = base_env(database_url, fake, **leases(LEASE_SECONDS))
    started = time.monotonic()

    def clock_start() -> str:
        # Each run goes on from where the last one stopped, as a real clock would.
        return (MORNING + timedelta(seconds=time.monotonic() - started)).isoformat()

    drivers = asyncio.gather(*(user.run() for user in users))
    kills: list[float] = []
    restarted_at: list[float] = []
    try:
        for _ in range(KILLS):
            async with lianfang_run(fake, env, tmp_path, clock_start()) as bot:
                await asyncio.sleep(rng.uniform(*KILL_AFTER_SECONDS))
                bot.kill()
                kills.append(round(time.monotonic() - started, 1))
                # Let the fake serve what the dead process had written to its socket before the next one starts.
                await asyncio.sleep(SETTLE_SECONDS)
            restarted_at.append(time.monotonic())
        async with lianfang_run(fake, env, tmp_path, clock_start()) as bot:
            await asyncio.wait_for(asyncio.shield(drivers), FINISH_SECONDS)
            await bot.until(lambda: outbox_settled(harness), "every outbox message sent", timeout=FINISH_SECONDS)
            await bot.stop()
    finally:
        drivers.cancel()
        await asyncio.gather(drivers, return_exceptions=True)
    context = f"(seed {seed}, kill -9 at {kills} s)"

    with session_scope(harness.app.engine) as session:
        rows = session.exec(select(SupplyNeed.id, SupplyNeed.reason)).all()
        outbox = session.exec(select(OutboxMessage)).all()
    # Every submission stored exactly once: no purpose twice, and every one of every user there.
    reasons = Counter(reason for _, reason in rows)
    assert max(reasons.values()) == 1, f"stored twice: {[r for r, n in reasons.items() if n > 1]} {context}"
    expected = {reason_of(user.index, n) for user in users for n in range(SUBMISSIONS_EACH)}
    assert set(reasons) == expected, context
    # Every stored submission acknowledged to its user, and every acknowledgement names a stored one.
    assert set().union(*(user.acks for user in users)) == {number for number, _ in rows}, context

    # Every outbox message delivered at least once; duplicates only for sends a kill caught in flight.
    assert all(message.status == STATUS_SENT for message in outbox), context
    queued, delivered = queued_and_delivered(outbox, fake)
    assert not queued - delivered, f"never delivered: {list((queued - delivered).items())[:5]} {context}"
    twice = delivered - queued
    assert sum(twice.values()) <= KILLS * IN_FLIGHT_AT_A_KILL, f"delivered again: {twice} {context}"
    # A message goes again only from a process started after its first send: never twice from one live process.
    arrivals: dict[tuple[str, str], list[float]] = {}
    for params, at in zip(fake.sent(), fake.delivered_at, strict=True):
        arrivals.setdefault((params["chat_id"], params["text"]), []).append(at)
    for key in twice:
        first, last = arrivals[key][0], arrivals[key][-1]
        assert any(first < restart < last for restart in restarted_at), f"sent twice by one process: {key} {context}"
    harness.app.engine.dispose()


def outbox_settled(harness: Harness) -> bool:
    """Tell whether every outbox message is sent (none waiting, none being sent)."""
    with session_scope(harness.app.engine) as session:
        waiting = session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != STATUS_SENT)
        ).one()
    return waiting == 0


# -- handover ---------------------------------------------------------------------------------------------

HANDOVER_SECONDS = 10.0
"""The requirement: when the leader dies, another instance leads within 10 seconds."""
FIRST_CLOCK = "2020-01-28T14:59:00"
SECOND_CLOCK = "2020-01-28T14:59:52"
"""The second instance's clock reaches 15:00 a few seconds after it starts; the first's is far from it, so the
leader (the first, normally) is killed before anything is due and the survivor's takeover is what sends it."""
REMINDER_LOG = "reminder sent to 1 reporter(s) of screening"
REMINDER_TEXT = "前报送"
REPORTER = 6_021_447_312
REPORTER_NAME = "周强"
QUIET_SECONDS = 2.0


async def health(port: int) -> dict[str, object] | None:
    """Return an instance's /healthz body, or None while it does not answer."""
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=1.0) as http:
            return (await http.get(f"http://127.0.0.1:{port}/healthz")).json()
    except httpx.HTTPError:
        return None


async def leaders(ports: list[int]) -> list[int]:
    """Return the ports of the instances whose /healthz says they lead the scheduler."""
    bodies = await asyncio.gather(*(health(port) for port in ports))
    return [port for port, body in zip(ports, bodies, strict=True) if body and body.get("scheduler_leader")]


async def test_killing_the_leader_hands_the_scheduler_over_within_10_seconds(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    harness = Harness.create(database_url)
    code = harness.invite("screening", "reporter", None, REPORTER_NAME)
    ports = [free_port(), free_port()]
    envs = [base_env(database_url, fake, LIANFANG_HTTP_PORT=str(port)) for port in ports]
    async with lianfang_run(fake, envs[0], tmp_path, FIRST_CLOCK) as first:
        await first.say(REPORTER, f"/join {code}", WELCOME, name=REPORTER_NAME)
        if harness.app.engine.dialect.name != "postgresql":
            # SQLite: one instance is assumed, and it always leads.
            assert await leaders(ports[:1]) == ports[:1]
            await first.stop()
            return
        async with lianfang_run(fake, envs[1], tmp_path, SECOND_CLOCK) as second:
            runs = {ports[0]: first, ports[1]: second}
            deadline = time.monotonic() + HANDOVER_SECONDS
            while len(found := await leaders(ports)) != 1:
                assert time.monotonic() < deadline, f"leaders: {found}"
                await asyncio.sleep(POLL_INTERVAL)
            [leader] = found
            [survivor] = [port for port in ports if port != leader]
            runs[leader].kill()
            killed_at = time.monotonic()
            while await leaders([survivor]) != [survivor]:
                took = time.monotonic() - killed_at
                assert took < HANDOVER_SECONDS, f"no new leader {took:.1f}s after kill -9:\n{runs[survivor].tail()}"
                await asyncio.sleep(POLL_INTERVAL)
            # The new leader does what was due: the 15:00 reminder, once.
            await runs[survivor].until(lambda: bool(texts(fake, REPORTER, REMINDER_TEXT)), "the 15:00 reminder")
            await asyncio.sleep(QUIET_SECONDS)
            assert len(texts(fake, REPORTER, REMINDER_TEXT)) == 1
            assert REMINDER_LOG in runs[survivor].stderr() and REMINDER_LOG not in runs[leader].stderr()
            await runs[survivor].stop()
    harness.app.engine.dispose()


# -- updates confirmed to Telegram, then kill -9: users who never say anything twice ------------------------

SCRIPTED_USERS = 6
SCRIPTED_SUBMISSIONS = 6
SCRIPT_GAP_SECONDS = 0.25
"""A user sends the next line of their script this long after the last, whatever the bot answered (or not)."""
SCRIPTED_KILLS = 3
WEBHOOK_RETRY_SECONDS = 0.1
"""Telegram posts an update again when its webhook did not answer 200; here after this long."""
WEBHOOK_SECRET = "Durable_webhook-2020"
REPLIES_PER_SUBMISSION = 3
"""``/supply ...`` asks the purpose, the purpose gets the summary to confirm, ``提交`` the acknowledgement."""


def script(index: int, code: str) -> list[str]:
    """Return everything one user says, in order: join, then each submission's three lines."""
    lines = [f"/join {code}"]
    for number in range(SCRIPTED_SUBMISSIONS):
        lines += [f"/supply 口罩 {1000 + number} 只 不急", reason_of(index, number), SUBMIT]
    return lines


async def post_until_answered(http: httpx.AsyncClient, update: dict[str, object]) -> None:
    """Post one update to the webhook as Telegram does: again and again until it is answered 200."""
    while True:
        try:
            answer = await http.post(
                "/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            )
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass  # the process is down or starting: Telegram tries again later
        await asyncio.sleep(WEBHOOK_RETRY_SECONDS)


async def scripted_kills_then_finish(
    fake: FakeTelegram, database_url: str, tmp_path: Path, *, webhook: bool
) -> tuple[Harness, list[list[str]], str]:
    """Drive scripted users through kills at random moments, then one clean run until everything is handled."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    harness = Harness.create(database_url, outbox_lease_seconds=LEASE_SECONDS)
    scripts = [script(n, harness.invite("supplies", "staff", "chaoyang", f"员工{n}")) for n in range(SCRIPTED_USERS)]
    port = free_port()
    extra = leases(LEASE_SECONDS)
    if webhook:
        extra |= {
            "LIANFANG_HTTP_PORT": str(port),
            "LIANFANG_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "LIANFANG_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    env = base_env(database_url, fake, **extra)
    ready = "setWebhook" if webhook else "getUpdates"
    started = time.monotonic()
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=RESEND_SECONDS)

    async def user(index: int) -> None:
        for line in scripts[index]:
            # queued for getUpdates either way; in webhook mode it is also posted, and taken off the queue
            update_id = fake.say(STAFF_BASE + index, line, name=f"员工{index}")
            if webhook:
                update = next(u for u in fake.updates if u["update_id"] == update_id)
                fake.updates.remove(update)
                await post_until_answered(http, update)
            await asyncio.sleep(SCRIPT_GAP_SECONDS)

    def clock_start() -> str:
        return (MORNING + timedelta(seconds=time.monotonic() - started)).isoformat()

    users = asyncio.gather(*(user(n) for n in range(SCRIPTED_USERS)))
    kills: list[float] = []
    try:
        for _ in range(SCRIPTED_KILLS):
            async with lianfang_run(fake, env, tmp_path, clock_start(), ready=ready) as bot:
                await asyncio.sleep(rng.uniform(*KILL_AFTER_SECONDS))
                bot.kill()
                kills.append(round(time.monotonic() - started, 1))
                await asyncio.sleep(SETTLE_SECONDS)
        total = sum(len(lines) for lines in scripts)
        async with lianfang_run(fake, env, tmp_path, clock_start(), ready=ready) as bot:
            await asyncio.wait_for(asyncio.shield(users), FINISH_SECONDS)
            await bot.until(lambda: handled_count(harness) == total, "every update handled", timeout=FINISH_SECONDS)
            await bot.until(lambda: outbox_settled(harness), "every outbox message sent", timeout=FINISH_SECONDS)
            await bot.stop()
    finally:
        users.cancel()
        await asyncio.gather(users, return_exceptions=True)
        await http.aclose()
    return harness, scripts, f"(seed {seed}, kill -9 at {kills} s)"


def handled_count(harness: Harness) -> int:
    """Return how many Telegram updates the core has handled."""
    with session_scope(harness.app.engine) as session:
        return session.exec(
            select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.platform == PLATFORM_TELEGRAM)
        ).one()


def assert_each_handled_once(harness: Harness, scripts: list[list[str]], context: str) -> None:
    """Check every update was handled, in order per user, and none twice: each submission stored once, each
    user answered exactly once per line said."""
    with session_scope(harness.app.engine) as session:
        reasons = Counter(session.exec(select(SupplyNeed.reason)).all())
        replies = Counter(session.exec(select(OutboxMessage.chat_id)).all())
        kept = session.exec(select(func.count()).select_from(InboxEvent)).one()
    expected = {reason_of(user, n) for user in range(len(scripts)) for n in range(SCRIPTED_SUBMISSIONS)}
    assert set(reasons) == expected, f"lost: {sorted(expected - set(reasons))} {context}"
    assert max(reasons.values()) == 1, f"stored twice: {[r for r, n in reasons.items() if n > 1]} {context}"
    # one answer per update: a lost update leaves one missing, an update handled twice queues its answer again
    for index, lines in enumerate(scripts):
        assert replies[str(STAFF_BASE + index)] == len(lines), f"user {index}: {replies} {context}"
    assert kept == 0, f"{kept} update(s) left in the inbox {context}"


async def test_kill_9_loses_no_polled_update_confirmed_to_telegram_and_handles_none_twice(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    harness, scripts, context = await scripted_kills_then_finish(fake, database_url, tmp_path, webhook=False)
    # Telegram forgets an update once a getUpdates offset passes it: all of them were confirmed, and handled.
    last_update = max(call.params.get("offset") or 0 for call in fake.calls_to("getUpdates"))
    assert fake.confirmed == last_update and not fake.updates, context
    assert_each_handled_once(harness, scripts, context)
    harness.app.engine.dispose()


async def test_kill_9_loses_no_webhook_update_answered_200_and_handles_none_twice(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    harness, scripts, context = await scripted_kills_then_finish(fake, database_url, tmp_path, webhook=True)
    assert not fake.calls_to("getUpdates"), context
    assert_each_handled_once(harness, scripts, context)
    harness.app.engine.dispose()
