"""GET /metrics after a short transcript: counters of what happened, facts of the database, and the token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx import AsyncClient as Client
from lianfang.app.web import create_metrics_app, create_web_app
from lianfang.bot.db import session_scope
from lianfang.bot.platforms.wecom import WECOM_PATH
from lianfang.bot.ports import SendError
from lianfang.bot.types import PLATFORM_MEMORY, PLATFORM_WECOM, ChatRef, Text
from lianfang.handlers.daily_report.report import FORM_DAILY
from prometheus_client.parser import text_string_to_metric_families

from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.handlers.daily_report.test_daily_loop import fill_screening, setup_reporters
from tests.platforms.wecom.support import CLIENT, STAFF, ZH, join, served_wecom, web

TOKEN = "metrics-token-for-tests"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
MEMORY = {"platform": PLATFORM_MEMORY}
WECOM = {"platform": PLATFORM_WECOM}
WECOM_RETRIES = 2


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse Prometheus text into {(sample name, sorted labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """Return one sample's value; 0 for a counter not yet seen."""
    return parsed.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await http.get("/metrics", headers=AUTHORIZED)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


async def test_metrics_count_a_day_of_reports(database_url: str) -> None:
    harness = Harness.create(database_url, metrics_token=TOKEN)
    transport = httpx.ASGITransport(app=create_web_app(harness.app))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            assert (await http.get("/metrics")).status_code == 401
            assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
            before = await scrape(http)
            assert value(before, "lianfang_reports_sent") == 0
            assert value(before, "lianfang_scheduler_leader") == 1

            _, leadership, _ = await harness.bound_org_chats()
            reporters = await setup_reporters(harness)
            await harness.tick("15:00")
            harness.at("15:05")
            await fill_screening(reporters["screening"])  # tap, /skip, 修改 1, 126, 提交: four answers
            # the platform makes the supervision reporter's chaser wait (429), then refuses another chat outright
            harness.adapter.refuse[reporters["supervision"].chat_id] = SendError(
                "flood", permanent=False, retry_after=3
            )
            harness.adapter.refuse[reporters["stability"].chat_id] = SendError("network: down", permanent=False)
            await harness.tick("15:15")
            harness.adapter.refuse.clear()
            harness.advance(seconds=5)
            await harness.app.drain()
            await harness.tick("15:30")
            assert leadership.unread()
            after = await scrape(http)
    finally:
        harness.app.engine.dispose()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("lianfang_updates_total", **MEMORY) >= 4 + 6  # the joins, binds and the form's answers
    assert grew("lianfang_form_steps_total", form=FORM_DAILY) >= 4
    assert grew("lianfang_outbox_sends_total", **MEMORY) >= 6 + 2  # six reminders, the report to two chats
    assert grew("lianfang_outbox_failures_total", **MEMORY) == 2
    assert grew("lianfang_outbox_throttled_total", **MEMORY) == 1
    assert grew("lianfang_handling_seconds_count", **MEMORY) == grew("lianfang_updates_total", **MEMORY)
    assert value(after, "lianfang_reports_sent") == 1
    assert value(after, "lianfang_outbox_backlog", **MEMORY) == 0
    assert value(after, "lianfang_outbox_oldest_age_seconds", **MEMORY) == 0
    assert value(after, "lianfang_alerts_unacknowledged") == 0
    assert value(after, "lianfang_db_up") == 1
    assert grew("lianfang_scheduler_ticks_total") == 3
    assert value(after, "lianfang_scheduler_last_tick_age_seconds") >= 0
    assert ("lianfang_db_pool_checked_out", ()) in after


async def test_metrics_are_not_served_without_a_token_or_port(database_url: str) -> None:
    harness = Harness.create(database_url)
    try:
        transport = httpx.ASGITransport(app=create_web_app(harness.app))
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            assert (await http.get("/metrics")).status_code == 404
        # the separate metrics port serves them to anyone who can reach it, and nothing else
        transport = httpx.ASGITransport(app=create_metrics_app(harness.app))
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            answer = await http.get("/metrics")
            assert answer.status_code == 200 and 'lianfang_outbox_backlog{platform="memory"} 0.0' in answer.text
            assert (await http.get("/healthz")).status_code == 404
    finally:
        harness.app.engine.dispose()


async def test_metrics_say_the_database_is_down(database_url: str, tmp_path) -> None:  # noqa: ANN001
    from sqlalchemy import create_engine

    harness = Harness.create(database_url)
    engine = harness.app.engine
    harness.app.engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    try:
        transport = httpx.ASGITransport(app=create_metrics_app(harness.app))
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            parsed = samples((await http.get("/metrics")).text)
        assert value(parsed, "lianfang_db_up") == 0
        assert not [name for name, _ in parsed if name == "lianfang_outbox_backlog"]
    finally:
        harness.app.engine.dispose()
        engine.dispose()


@asynccontextmanager
async def staff_on_wecom(
    database_url: str, fake_wecom: FakeWeCom
) -> AsyncIterator[tuple[Harness, Any, Client, Client]]:
    """Serve WeCom with a staff member joined; yield the harness, the adapter, a client of the web app and one of
    the metrics app; stop them all afterwards."""
    harness, wecom = await served_wecom(database_url, fake_wecom)
    metrics_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_metrics_app(harness.app)), base_url="http://bot.test"
    )
    try:
        async with web(harness, wecom) as http:
            await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
            yield harness, wecom, http, metrics_http
    finally:
        await metrics_http.aclose()
        await harness.app.stop()
        harness.app.engine.dispose()


async def test_metrics_count_wecom_retries_and_show_the_backlog_per_platform(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    async with staff_on_wecom(database_url, fake_wecom) as (harness, wecom, http, metrics_http):
        before = samples((await metrics_http.get("/metrics")).text)
        stuck, handle = asyncio.Event(), wecom.inbox.handle

        async def slow(payload: dict[str, str]) -> None:
            await stuck.wait()  # handling lags: WeCom got no answer in 5 s and sends the callback again
            await handle(payload)

        wecom.inbox.handle = slow
        params, body = CLIENT.encrypt(CLIENT.text(STAFF, "/help", msg_id=7050000000000008888))
        for _ in range(1 + WECOM_RETRIES):
            assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200
        stuck.set()
        await wecom.join()
        with session_scope(harness.app.engine) as session:  # a message for the memory chat nobody drains yet
            ctx = harness.app.dispatcher.context(session, harness.clock())
            ctx.send(ChatRef(PLATFORM_MEMORY, "waiting"), [Text.raw("通知")], ZH)
        await harness.app.deliverer.flush()  # the help reply, delivered, is marked sent
        harness.advance(seconds=90)
        after = samples((await metrics_http.get("/metrics")).text)

    assert len(fake_wecom.texts(STAFF)) == 2  # the join's answer and one help, not three
    retried = value(after, "lianfang_redeliveries_total", **WECOM) - value(
        before, "lianfang_redeliveries_total", **WECOM
    )
    assert retried == WECOM_RETRIES
    assert value(after, "lianfang_outbox_backlog", **MEMORY) == 1
    assert value(after, "lianfang_outbox_oldest_age_seconds", **MEMORY) == 90
    assert ("lianfang_outbox_backlog", (("platform", PLATFORM_WECOM),)) in after  # served, so shown at 0
    assert value(after, "lianfang_outbox_backlog", **WECOM) == 0


async def test_a_retry_after_the_first_was_handled_is_counted_and_not_answered_again(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    async with staff_on_wecom(database_url, fake_wecom) as (harness, wecom, http, metrics_http):
        before = samples((await metrics_http.get("/metrics")).text)
        params, body = CLIENT.encrypt(CLIENT.text(STAFF, "/help", msg_id=7050000000000009999))
        for _ in range(2):  # the second comes once the first was handled and its reply sent
            assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200
            await wecom.join()
            await harness.app.deliverer.flush()
        after = samples((await metrics_http.get("/metrics")).text)

    assert len(fake_wecom.texts(STAFF)) == 2  # the join's answer and one help
    assert (
        value(after, "lianfang_redeliveries_total", **WECOM) - value(before, "lianfang_redeliveries_total", **WECOM)
        == 1
    )
