"""One feature's failing scheduled job does not hold back the others; it is run again on the next tick."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from lianfang.bot.context import Context
from lianfang.bot.jobs import Job, JobRuntime, in_one_transaction
from lianfang.bot.types import PLATFORM_MEMORY, ChatRef, OutgoingMessage, Text
from lianfang.scheduler.jobs import Ticker

from tests.fakes import Harness, keys_of


class Flaky:
    """A step that fails the first time it runs and works afterwards."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("a bug in one feature")
        return []


async def test_a_failing_job_is_logged_and_the_jobs_after_it_still_run(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    chat = ChatRef(PLATFORM_MEMORY, reporter.chat_id)

    def remind(ctx: Context) -> None:
        ctx.send(chat, [Text("daily.title")], "zh_CN")

    flaky = Flaky()
    ticker = Ticker((Job("flaky", flaky), Job("remind", in_one_transaction(remind))))
    with caplog.at_level(logging.ERROR, logger="lianfang.scheduler.jobs"):
        sent = ticker(harness.app.dispatcher, harness.clock())
    assert keys_of(sent) == ["daily.title"]  # the job after the failing one ran and its message is queued
    assert "scheduled job flaky failed" in caplog.text
    again = ticker(harness.app.dispatcher, harness.clock())
    assert flaky.runs == 2 and keys_of(again) == ["daily.title"]  # the next tick runs the failed job again
