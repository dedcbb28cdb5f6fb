"""Hostile HTTP against a real uvicorn server on loopback: endless uploads, slow clients, stale WeCom callbacks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from lianfang.app.serve import QuietServer, http_config, listen
from lianfang.app.web import create_web_app
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import t
from lianfang.bot.platforms.telegram import SECRET_HEADER
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom import WECOM_PATH, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.models.events import ProcessedEvent
from sqlalchemy import func
from sqlmodel import select

from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_wecom import AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, SECRET, FakeWeCom, WeComClient
from tests.fakes import Harness

WEBHOOK_SECRET = "Webhook_secret-2020"
HEADER_SECONDS = 0.5
BODY_SECONDS = 0.5
KEEP_ALIVE_SECONDS = 0.3
MAX_CONNECTIONS = 60
MAX_HEADER_BYTES = 4096
WINDOW_SECONDS = 600
LIMITS: dict[str, Any] = {
    "http_header_timeout_seconds": HEADER_SECONDS,
    "http_body_timeout_seconds": BODY_SECONDS,
    "http_keep_alive_seconds": KEEP_ALIVE_SECONDS,
    "http_max_connections": MAX_CONNECTIONS,
    "http_max_header_bytes": MAX_HEADER_BYTES,
    "wecom_callback_window_seconds": WINDOW_SECONDS,
}
PLATFORMS: dict[str, Any] = {
    "telegram_token": TOKEN,
    "telegram_webhook_url": "https://bot.example.org/telegram",
    "telegram_webhook_secret": WEBHOOK_SECRET,
    "wecom_corp_id": CORP_ID,
    "wecom_agent_id": AGENT_ID,
    "wecom_secret": SECRET,
    "wecom_token": CALLBACK_TOKEN,
    "wecom_aes_key": AES_KEY,
}
SLOW_CLIENTS = 50
TRICKLE_SECONDS = 0.1
PATIENT_HEADER_SECONDS = 2.0
"""A header deadline long enough that no idle client is dropped while the server is busy opening the others."""
CUT_OFF_SECONDS = 3.0
"""How long a test waits for the server to act on a limit that is well under a second."""
CHUNK = b"x" * 16_384
STRANGER = "ZhangWei"
CLIENT = WeComClient()


@dataclass
class Served:
    """An instance serving Telegram's webhook and WeCom's callback over a real uvicorn server on loopback."""

    harness: Harness
    wecom: WeComAdapter
    telegram: TelegramAdapter
    port: int

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a raw TCP connection to the server."""
        return await asyncio.open_connection("127.0.0.1", self.port)

    def processed(self) -> int:
        """Count the deliveries recorded as processed."""
        with session_scope(self.harness.app.engine) as session:
            return session.exec(select(func.count()).select_from(ProcessedEvent)).one()


@pytest.fixture
def limits() -> dict[str, Any]:
    """Return the HTTP settings of the server under test (a test may parametrize its own)."""
    return LIMITS


@pytest.fixture
async def served(
    database_url: str, fake: FakeTelegram, fake_wecom: FakeWeCom, limits: dict[str, Any]
) -> AsyncIterator[Served]:
    """Serve the real web app with short limits, its platforms pointed at the fakes."""
    harness = Harness.create(
        database_url, telegram_api_base_url=fake.url, wecom_api_base_url=fake_wecom.url, **PLATFORMS, **limits
    )
    telegram = TelegramAdapter(TOKEN, base_url=fake.url)
    wecom = wecom_adapter(harness.app)
    harness.app.add_adapter(telegram)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    server = QuietServer(http_config(create_web_app(harness.app, telegram, wecom), harness.app.settings))
    listener = listen("127.0.0.1", 0)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Served(harness, wecom, telegram, listener.getsockname()[1])
    finally:
        server.should_exit = True
        await task
        await harness.app.stop()
        harness.app.engine.dispose()


async def status_of(reader: asyncio.StreamReader) -> int | None:
    """Return the status code of the server's answer, or None if it closed the connection without one."""
    line = await asyncio.wait_for(reader.readline(), CUT_OFF_SECONDS)
    return int(line.split()[1]) if line else None


async def closed_by_server(reader: asyncio.StreamReader, within: float = CUT_OFF_SECONDS) -> bool:
    """Tell whether the server closes the connection within ``within`` seconds (whatever it answered before)."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65_536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def healthz(served: Served) -> int:
    """Return the status of a GET /healthz on a new connection."""
    async with httpx.AsyncClient(base_url=served.url, timeout=CUT_OFF_SECONDS) as http:
        return (await http.get("/healthz")).status_code


def request_head(served: Served, path: str, *extra: str) -> bytes:
    """Return a POST's request line and headers for a route: WeCom's query string, or Telegram's secret."""
    if path == WECOM_PATH:
        params, _ = CLIENT.encrypt(CLIENT.text(STRANGER, "/help"))
        target, headers = f"{path}?{httpx.QueryParams(params)}", []
    else:
        target, headers = path, [f"{SECRET_HEADER}: {WEBHOOK_SECRET}"]
    lines = [f"POST {target} HTTP/1.1", "Host: bot.example.org", *headers, *extra, "", ""]
    return "\r\n".join(lines).encode()


async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send ``data`` a byte at a time, slowly, for no longer than the cut-off or until the server hangs up."""
    for byte in data[: int(CUT_OFF_SECONDS / TRICKLE_SECONDS)]:
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(TRICKLE_SECONDS)


# -- item 6: a body is read only up to its limit ------------------------------------------------------------


@pytest.mark.parametrize(("path", "chunks"), [(WECOM_PATH, 16), ("/telegram", 128)], ids=["wecom", "telegram"])
async def test_an_endless_chunked_upload_is_refused_at_the_limit(served: Served, path: str, chunks: int) -> None:
    """A chunked POST (no Content-Length) is answered 413 once it passes the limit, before it ends."""
    reader, writer = await served.connect()
    writer.write(request_head(served, path, "Transfer-Encoding: chunked"))
    try:
        for _ in range(chunks):  # twice the route's limit, and the upload never ends: no closing 0-chunk
            writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            await writer.drain()
    except ConnectionError:
        pass  # the server may hang up before the last chunks are written
    assert await status_of(reader) == 413
    assert await closed_by_server(reader)
    writer.close()
    assert await healthz(served) == 200
    assert served.processed() == 0


# -- item 7: slow clients are cut off -----------------------------------------------------------------------


async def test_clients_that_trickle_or_never_send_headers_are_cut_off(served: Served) -> None:
    """Fifty slow clients, half silent and half trickling a header byte at a time, are all disconnected in time."""
    connections = [await served.connect() for _ in range(SLOW_CLIENTS)]
    head = request_head(served, WECOM_PATH)
    trickling = connections[: SLOW_CLIENTS // 2]

    trickles = [asyncio.create_task(trickle(writer, head)) for _, writer in trickling]
    assert await healthz(served) == 200  # meanwhile the bot still answers
    cut_off = await asyncio.gather(*(closed_by_server(reader) for reader, _ in connections))
    await asyncio.gather(*trickles)
    for _, writer in connections:
        writer.close()
    assert all(cut_off)  # within the cut-off, while the trickles would have gone on


async def test_a_body_that_trickles_is_answered_408(served: Served) -> None:
    reader, writer = await served.connect()
    writer.write(request_head(served, WECOM_PATH, "Content-Length: 1000"))
    sending = asyncio.create_task(trickle(writer, b"<xml>" * 200))
    assert await status_of(reader) == 408
    assert await closed_by_server(reader)
    await sending
    writer.close()
    assert served.processed() == 0


@pytest.mark.parametrize("limits", [{**LIMITS, "http_header_timeout_seconds": PATIENT_HEADER_SECONDS}])
async def test_past_the_connection_limit_requests_get_503_until_idle_clients_are_dropped(served: Served) -> None:
    idle = [await served.connect() for _ in range(MAX_CONNECTIONS)]
    await asyncio.sleep(0.05)  # let the server accept them all
    assert await healthz(served) == 503
    within = PATIENT_HEADER_SECONDS + CUT_OFF_SECONDS
    assert all(await asyncio.gather(*(closed_by_server(reader, within) for reader, _ in idle)))
    for _, writer in idle:
        writer.close()
    assert await healthz(served) == 200


async def test_an_idle_kept_alive_connection_is_closed(served: Served) -> None:
    reader, writer = await served.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot.example.org\r\n\r\n")
    assert await status_of(reader) == 200
    assert await closed_by_server(reader)  # uvicorn's default would keep it 5 s
    writer.close()


async def test_headers_growing_past_the_limit_are_refused(served: Served) -> None:
    """Header bytes past the limit, still without their end, are not buffered: 400 and the connection closed."""
    reader, writer = await served.connect()
    head = request_head(served, WECOM_PATH, "X-Padding: " + "a" * MAX_HEADER_BYTES)
    writer.write(head.removesuffix(b"\r\n\r\n"))
    assert await status_of(reader) == 400
    assert await closed_by_server(reader)
    writer.close()


# -- item 8: WeCom callbacks expire -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset", [-366 * 86400, -(WINDOW_SECONDS + 60), WINDOW_SECONDS + 60], ids=["a-year-old", "just-old", "future"]
)
async def test_a_callback_signed_outside_the_window_is_refused(
    served: Served, fake_wecom: FakeWeCom, offset: int
) -> None:
    timestamp = str(int(time.time()) + offset)
    params, body = CLIENT.encrypt(CLIENT.text(STRANGER, "/help"), timestamp=timestamp)
    async with httpx.AsyncClient(base_url=served.url, timeout=CUT_OFF_SECONDS) as http:
        assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 403
        await served.wecom.join()
    assert fake_wecom.sent() == []
    assert served.processed() == 0


async def test_a_callback_signed_within_the_window_is_answered(served: Served, fake_wecom: FakeWeCom) -> None:
    timestamp = str(int(time.time()) - WINDOW_SECONDS + 60)
    params, body = CLIENT.encrypt(CLIENT.text(STRANGER, "/help"), timestamp=timestamp)
    async with httpx.AsyncClient(base_url=served.url, timeout=CUT_OFF_SECONDS) as http:
        assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200
        await served.wecom.join()
    [reply] = fake_wecom.sent(STRANGER)
    assert reply["text"]["content"] == t("common.stranger", "zh_CN")
    assert served.processed() == 1


async def test_a_url_verification_signed_outside_the_window_is_refused(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=CUT_OFF_SECONDS) as http:
        assert (await http.get(WECOM_PATH, params=CLIENT.echo("12345"))).text == "12345"
        old = CLIENT.echo("12345", timestamp=str(int(time.time()) - WINDOW_SECONDS - 60))
        assert (await http.get(WECOM_PATH, params=old)).status_code == 403
