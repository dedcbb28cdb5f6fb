"""An instance with the dashboard on, a browser for it, and how to get a login link from a chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from lianfang.app.web import create_web_app

from tests.fakes import Chat, Harness, keys_of

SECRET = "test-dashboard-secret-long-and-random-0123456789"
BASE_URL = "https://board.test"
LINK = re.compile(r"https://board\.test(/dashboard/login\?token=[A-Za-z0-9_\-.]+)")


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    """Return a running instance with the dashboard on, on a fresh database and a fixed clock."""
    h = Harness.create(database_url, dashboard_secret=SECRET, public_base_url=BASE_URL)
    await h.app.start()
    yield h
    await h.app.stop()
    h.app.engine.dispose()


def browser(harness: Harness) -> httpx.AsyncClient:
    """Return a browser (a cookie-keeping HTTP client) talking to the instance's web app in process."""
    transport = httpx.ASGITransport(app=create_web_app(harness.app))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


async def login_link(chat: Chat) -> str:
    """Ask for a login link in a private chat; return its path and query."""
    answer = await chat.say("看板")
    assert keys_of(answer) == ["dashboard.link"]
    found = LINK.search(str(answer[0].lines[0].params["link"]))
    assert found is not None
    return found.group(1)


@asynccontextmanager
async def logged_in(harness: Harness, chat: Chat) -> AsyncIterator[httpx.AsyncClient]:
    """Open a browser logged in as the member of a chat."""
    link = await login_link(chat)
    async with browser(harness) as http:
        answer = await http.get(link)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
        yield http
