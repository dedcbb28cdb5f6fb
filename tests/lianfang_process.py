"""Run the real ``lianfang run`` as a subprocess against the fake Bot API, and read what it did."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.types import ChatRef, OutgoingMessage
from lianfang.models.outbox import OutboxMessage

from tests.environment import process_environment
from tests.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 20.0
"""Upper bound for anything the process should do (start, answer, a scheduled send); waits end as soon as it is done."""
START_SECONDS = 60.0
"""Upper bound for a process to start: importing everything takes long on a machine busy with other work."""
STOP_SECONDS = 8.0
POLL_INTERVAL = 0.02
JOB_STARTED = "Running job "
JOB_FINISHED = (" executed successfully", " raised an exception")
"""APScheduler's log lines for a job that starts and one that ends (logged because these runs set LIANFANG_LOG_JOBS)."""


def base_env(database_url: str, fake: FakeTelegram, **extra: str) -> dict[str, str]:
    """Return the environment of a ``lianfang`` process (see ``process_environment``), with the fake as Bot API."""
    env = process_environment()
    env.update(
        PYTHONPATH=str(ROOT),
        LIANFANG_DATABASE_URL=database_url,
        LIANFANG_TELEGRAM_TOKEN=TOKEN,
        LIANFANG_TELEGRAM_API_BASE_URL=fake.url,
        LIANFANG_TICK_SECONDS="1",
        LIANFANG_HTTP_PORT="0",
        LIANFANG_LOG_LEVEL="INFO",
        LIANFANG_LOG_JOBS="1",
    )
    env.update(extra)
    return env


@dataclass
class Running:
    """One ``lianfang run`` process and the fake it talks to."""

    process: subprocess.Popen[bytes]
    log: Path
    fake: FakeTelegram
    terminated_at: float | None = None

    def stderr(self) -> str:
        """Return what the process wrote to stderr so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def until(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        """Wait until a condition holds; fail early if the process died, and after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"lianfang exited ({self.process.returncode}) waiting for {what}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout:g}s:\n{self.tail()}")
            await asyncio.sleep(POLL_INTERVAL)

    def terminate(self) -> None:
        """Send SIGTERM, as a service manager does to stop the bot."""
        self.terminated_at = time.monotonic()
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the process with SIGKILL, as a crash or the OOM killer would: no cleanup at all."""
        self.process.kill()
        self.process.wait(timeout=STOP_SECONDS)

    async def stop(self) -> float:
        """Send SIGTERM between two scheduled jobs (unless sent already); check a quick clean exit, no traceback.

        SIGTERM waits for a job to finish because one that is running when the scheduler shuts down is
        cancelled with a traceback (see test_sigterm_while_the_1500_reminder_is_being_sent...): that race is
        tested there on purpose, and kept out of the other tests so that they do not fail at random.

        Returns:
            Seconds from SIGTERM to exit.
        """
        if self.terminated_at is None:
            await self.between_jobs()
        took = await self.exited()
        assert_no_traceback(self.stderr())
        return took

    async def exited(self) -> float:
        """Send SIGTERM (unless sent already), wait for the exit and check it is 0 within STOP_SECONDS."""
        if self.terminated_at is None:
            self.terminate()
        assert self.terminated_at is not None
        while self.process.poll() is None:
            waited = time.monotonic() - self.terminated_at
            assert waited < STOP_SECONDS, f"still running {STOP_SECONDS:g}s after SIGTERM:\n{self.tail()}"
            await asyncio.sleep(POLL_INTERVAL)  # keeps the fake answering while the process shuts down
        assert self.process.returncode == 0, self.stderr()
        return time.monotonic() - self.terminated_at

    async def between_jobs(self) -> None:
        """Wait until a scheduled job (the 1 s tick, the outbox drain) has just finished and none is running."""
        finished = _jobs_finished(self.stderr())

        def idle_after_a_job() -> bool:
            log = self.stderr()
            return _jobs_finished(log) > finished and log.count(JOB_STARTED) == _jobs_finished(log)

        await self.until(idle_after_a_job, "a moment between two scheduled jobs")

    def tail(self, chars: int = 3000) -> str:
        """Return the end of stderr, for failure messages."""
        return self.stderr()[-chars:]

    # -- talking to the bot -------------------------------------------------------------------------------

    async def exchange(self, chat_id: int, act: Callable[[], object], expect: str) -> list[dict[str, Any]]:
        """Do something (say, tap), then wait for a message to ``chat_id`` whose text or a button has ``expect``."""
        mark = len(self.fake.sent(chat_id))
        act()
        await self.until(
            lambda: any(shows(params, expect) for params in self.fake.sent(chat_id)[mark:]),
            f"message with {expect!r} in chat {chat_id}",
        )
        return self.fake.sent(chat_id)[mark:]

    async def say(self, chat_id: int, text: str, expect: str, **sender: Any) -> list[dict[str, Any]]:
        """Say something in a chat and wait for an answer there that shows ``expect``."""
        return await self.exchange(chat_id, lambda: self.fake.say(chat_id, text, **sender), expect)

    async def tap(self, chat_id: int, label: str, expect: str, taps: list[str]) -> list[dict[str, Any]]:
        """Tap a button in a private chat, remember the callback query's id, and wait for the answer."""

        def act() -> None:
            self.fake.tap(chat_id, label)
            taps.append(self.fake.updates[-1]["callback_query"]["id"])

        return await self.exchange(chat_id, act, expect)


def _jobs_finished(log: str) -> int:
    return sum(log.count(marker) for marker in JOB_FINISHED)


def assert_no_traceback(stderr: str) -> None:
    """Fail with the traceback's context when stderr has one."""
    context = stderr[max(0, stderr.find("Traceback") - 300) :]
    assert "Traceback" not in stderr, f"traceback on stderr after SIGTERM:\n{context}"


_runs = iter(range(1, 1000))


@contextlib.asynccontextmanager
async def lianfang_run(
    fake: FakeTelegram,
    env: dict[str, str],
    cwd: Path,
    clock_start: str,
    *,
    ready: str = "getUpdates",
    options: tuple[str, ...] = (),
) -> AsyncIterator[Running]:
    """Run ``lianfang [options] run`` on a simulated clock until the block ends; ready at its first ``ready`` call."""
    before = len(fake.calls_to(ready))
    log = cwd / f"run-{next(_runs)}.stderr"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "lianfang.app.cli", *options, "run"],
            env={**env, "LIANFANG_CLOCK_START": clock_start},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    running = Running(process, log, fake)
    try:
        await running.until(lambda: len(fake.calls_to(ready)) > before, f"{ready} call (start)", START_SECONDS)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


# -- reading what the bot sent ----------------------------------------------------------------------------


def labels(params: dict[str, Any]) -> list[str]:
    """Return the labels of a sent message's inline buttons."""
    markup = params.get("reply_markup") or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


def shows(params: dict[str, Any], expect: str) -> bool:
    """Tell whether a sent message has ``expect`` in its text or as a button label."""
    return expect in params["text"] or expect in labels(params)


def texts(fake: FakeTelegram, chat_id: int, containing: str = "") -> list[str]:
    """Return the texts of the messages delivered to a chat that contain a string."""
    return [params["text"] for params in fake.sent(chat_id) if containing in params["text"]]


def free_port() -> int:
    """Return a loopback port that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def queued_and_delivered(
    outbox: Sequence[OutboxMessage], fake: FakeTelegram
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Return the (chat, text) of every message part the outbox rows render to, and of every text the fake took."""
    renderer = TelegramAdapter(TOKEN, base_url=fake.url)
    queued = Counter(
        (message.chat_id, part.text)
        for message in outbox
        for part in renderer.render(
            OutgoingMessage.from_json(ChatRef(message.platform, message.chat_id), message.payload)
        )
    )
    delivered = Counter((params["chat_id"], params["text"]) for params in fake.sent())
    return queued, delivered
