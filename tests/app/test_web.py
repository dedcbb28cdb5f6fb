"""The Starlette app over an ASGI transport: /healthz reports the database, the outbox and outages."""

from __future__ import annotations

from pathlib import Path

import httpx
from lianfang.app.features import FEATURES
from lianfang.app.web import create_web_app
from lianfang.bot.ports import SendError
from lianfang.bot.runtime import App
from sqlalchemy import create_engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

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


async def test_features_routes_are_served_beside_the_health_check(database_url: str) -> None:
    harness = Harness.create(database_url)

    def routes(app: App) -> list[BaseRoute]:
        async def hello(_request: Request) -> PlainTextResponse:
            return PlainTextResponse(app.org.name)

        return [Route("/hello", hello, methods=["GET"])]

    try:
        transport = httpx.ASGITransport(app=create_web_app(harness.app, features=[routes]))
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            assert (await http.get("/hello")).text == harness.org.name
            assert (await http.get("/healthz")).status_code == 200
        assert any(feature.routes is not None for feature in FEATURES)  # the dashboard's are served by default
    finally:
        harness.app.engine.dispose()
