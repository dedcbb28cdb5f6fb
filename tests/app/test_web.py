"""The Starlette app over an ASGI transport: /healthz reports the database, the outbox and outages."""

from __future__ import annotations

from pathlib import Path

import httpx
from lianfang.app.web import create_web_app
from lianfang.bot.ports import SendError
from sqlalchemy import create_engine

from tests.fakes import Harness


def client(harness: Harness) -> httpx.AsyncClient:
    """Return an HTTP client talking to the web app in process, serving no platform."""
    transport = httpx.ASGITransport(app=create_web_app(harness.app))
    return httpx.AsyncClient(transport=transport, base_url="http://bot.test")


async def test_healthz_reports_the_database(database_url: str, tmp_path: Path) -> None:
    harness = Harness.create(database_url)
    engine = harness.app.engine
    try:
        async with client(harness) as http:
            answer = await http.get("/healthz")
            assert answer.status_code == 200
            assert answer.json() == {
                "status": "ok",
                "database": True,
                "scheduler_leader": True,
                "outages": [],
                "outbox_backlog": 0,
                "outbox_oldest_seconds": 0,
                "unreachable_chats": [],
            }
            reporter = await harness.member("周强", "screening", "reporter")
            harness.adapter.refuse[reporter.chat_id] = SendError("network: down", permanent=False)
            await harness.tick("15:00")
            harness.advance(minutes=2)
            body = (await http.get("/healthz")).json()
            assert body["outbox_backlog"] == 1 and body["outbox_oldest_seconds"] == 120
            harness.app.engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
            answer = await http.get("/healthz")
            assert answer.status_code == 503
            assert answer.json() == {"status": "error", "database": False, "scheduler_leader": True, "outages": []}
    finally:
        harness.app.engine.dispose()
        engine.dispose()
