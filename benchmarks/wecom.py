"""Benchmark WeCom callbacks per second through the whole path against a bare floor, and the acknowledgement latency.

lianfang runs as in production: the real web app on 127.0.0.1 (uvicorn), the WeCom adapter, the App on a
temporary SQLite file, and the in-repo fake WeCom API for ``message/send``. Members of 朝阳新村 walk through the
``/check`` form, each callback encrypted and signed as WeCom's servers do (``tests/fake_wecom.py``). A callback is
done when it was checked, decrypted, acknowledged, deduplicated, handled and its reply sent.

The floor is a bare Starlette handler on the same kind of server: it checks the signature, decrypts (the same
wechatpy crypto) and acknowledges after one SQLite insert of the MsgId (WAL, synchronous=NORMAL). Both receive the
same callbacks, one in flight per member, members side by side.

The durable floor is the least an exactly-once WeCom app must do: the same bare handler stores the MsgId and its
reply in one SQLite transaction before it acknowledges, then sends the reply through ``message/send`` (httpx, one
kept token) and marks it sent. Its ratio (``ratio_durable``) is the one that compares like with like: the bare floor
neither handles a message nor replies, so no app that answers its members can come near it.

The acknowledgement latency is then measured at a fixed rate (200 callbacks/s by default), each POST timed from
send to answer: WeCom retries a callback not answered within 5 s.

Run: python benchmarks/wecom.py [--quick]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
import httpx
from lianfang.app.web import create_web_app
from lianfang.bot.platforms.wecom import WECOM_PATH, wecom_adapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from benchmarks.run import LOWER
from benchmarks.telegram import FLOOR_REPLY, DurableStore
from tests.fake_wecom import AGENT_ID, CORP_ID, SECRET, FakeWeCom, WeComClient, _flat
from tests.fakes import Harness
from tests.loopback import start_loopback, stop_loopback
from tests.platforms.wecom.support import SETTINGS

BENCH = "wecom_callbacks_per_second"
TARGET = "time per callback <= 1.5x a bare signed, decrypted and stored acknowledgement; ack p99 < 100 ms"
POST_ATTEMPTS = 3
TARGET_RATIO = 1.5
ACK_P99_TARGET_MS = 100.0
MEMBERS = 20
STEPS_EACH = 27
QUICK_STEPS_EACH = 9
RATE = 200
RATE_SECONDS = 5.0
QUICK_RATE_SECONDS = 2.0
UNPACED = ((60.0, 1_000_000),)
"""WeCom's per-member limits are paced in the adapter; the benchmark measures the code, not the pacing."""
CHECK_ANSWERS = ("/check", "3栋2单元501", "张三", "/skip", "36.5", "无", "1", "4", "提交")
"""One pass through /check, as typed (the same steps as ``benchmarks/telegram.py``)."""
OK = 200

Posts = list[list[tuple[dict[str, str], bytes]]]
"""Encrypted callbacks (query parameters, body) per member, in the order the member sends them."""


class Poster:
    """Post callbacks over kept-alive HTTP/1.1 connections, as WeCom's servers do.

    A plain client: httpx's connection pool costs more per request than the floor itself once dozens of
    connections are open, and would be measured instead of the servers.
    """

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened: list[asyncio.StreamWriter] = []

    async def post(self, params: dict[str, str], body: bytes) -> int:
        """Post one callback; return the status code once the answer is read."""
        query = "&".join(f"{key}={value}" for key, value in params.items())
        head = f"POST {WECOM_PATH}?{query} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n\r\n"
        for _ in range(POST_ATTEMPTS):
            reader, writer = self.idle.pop() if self.idle else await self._connect()
            writer.write(head.encode() + body)
            try:
                status_line = await reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                break
            # The server closed this connection while it was idle (uvicorn's keep-alive timeout): use another.
            writer.close()
        else:
            raise ConnectionError("the server closed every connection the callback was posted on")
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        self.idle.append((reader, writer))
        return int(status_line.split()[1])

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened.append(writer)
        return reader, writer

    async def close(self) -> None:
        """Close every connection."""
        for writer in self.opened:
            writer.close()


def member_ids(count: int) -> list[str]:
    """Return the WeCom UserIDs of the simulated members."""
    return [f"Staff{n:03d}" for n in range(count)]


def encrypted(client: WeComClient, members: Sequence[str], steps: int, offset: int = 0) -> Posts:
    """Encrypt each member's next ``steps`` form answers ahead of time, so client work is not timed."""
    return [
        [client.encrypt(client.text(member, CHECK_ANSWERS[(offset + n) % len(CHECK_ANSWERS)])) for n in range(steps)]
        for member in members
    ]


async def post_all(poster: Poster, posts: Posts) -> None:
    """Post every member's callbacks, one in flight per member, members side by side."""

    async def one_member(queue: list[tuple[dict[str, str], bytes]]) -> None:
        for params, body in queue:
            if await poster.post(params, body) != OK:
                raise RuntimeError("a callback was refused")

    await asyncio.gather(*(one_member(queue) for queue in posts))


async def paced(poster: Poster, posts: Posts, rate: float) -> list[float]:
    """Post callbacks at a fixed rate, members in turn; return each acknowledgement's latency in ms."""
    order = [queue[n] for n in range(max(map(len, posts))) for queue in posts if n < len(queue)]
    latencies: list[float] = []

    async def timed(params: dict[str, str], body: bytes) -> None:
        started = time.perf_counter()
        if await poster.post(params, body) != OK:
            raise RuntimeError("a callback was refused")
        latencies.append((time.perf_counter() - started) * 1000)

    tasks = []
    started = time.perf_counter()
    for n, (params, body) in enumerate(order):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(timed(params, body)))
    await asyncio.gather(*tasks)
    return latencies


async def answered_seconds(
    poster: Poster,
    client: WeComClient,
    fake: FakeWeCom,
    join: Callable[[], Awaitable[None]],
    members: list[str],
    quick: bool,
) -> tuple[float, int]:
    """Warm up, then time the members' callbacks until every one is answered through ``message/send``.

    Return (seconds, callbacks timed); ``join`` waits until the server under test has sent every reply. The
    client goes on numbering the MsgIds of the callbacks it made before.
    """
    await post_all(poster, encrypted(client, members, len(CHECK_ANSWERS)))  # warm up
    await join()
    steps = QUICK_STEPS_EACH if quick else STEPS_EACH
    posts = encrypted(client, members, steps)
    replies = len(fake.sent())
    started = time.perf_counter()
    await post_all(poster, posts)
    await join()
    seconds = time.perf_counter() - started
    if len(fake.sent()) - replies < steps * MEMBERS:
        raise RuntimeError("a callback went unanswered: the run measured less than it claims")
    return seconds, steps * MEMBERS


def paced_steps(quick: bool) -> int:
    """Return how many callbacks each member sends in the fixed-rate run."""
    return int(RATE * (QUICK_RATE_SECONDS if quick else RATE_SECONDS) / MEMBERS) + 1


def p99(latencies: list[float]) -> float:
    """Return the 99th percentile."""
    return statistics.quantiles(latencies, n=100)[98]


async def lianfang(folder: str, quick: bool) -> tuple[float, int, list[float]]:
    """Return (seconds for the timed callbacks, how many, ack latencies at the fixed rate) for lianfang."""
    fake = FakeWeCom()
    await fake.start()
    settings = {**SETTINGS, "wecom_api_base_url": fake.url}
    harness = Harness.create(f"sqlite:///{folder}/bench.db", **settings)
    wecom = wecom_adapter(harness.app, member_limits=UNPACED)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    server, task, base = await start_loopback(create_web_app(harness.app, wecom))
    client, members, poster = WeComClient(), member_ids(MEMBERS), Poster(base)
    try:
        await post_all(poster, [[client.encrypt(client.text(m, join_text(harness, m)))] for m in members])
        await wecom.join()
        seconds, callbacks = await answered_seconds(poster, client, fake, wecom.join, members, quick)
        latencies = await paced(poster, encrypted(client, members, paced_steps(quick)), RATE)
        await wecom.join()
        return seconds, callbacks, latencies
    finally:
        await poster.close()
        await stop_loopback(server, task)
        await harness.app.stop()
        harness.app.engine.dispose()
        await fake.stop()


def join_text(harness: Harness, member: str) -> str:
    """Return the /join message of a new staff member of 朝阳新村."""
    return f"/join {harness.invite('screening', 'staff', 'chaoyang', member)}"


def _decrypted(crypto: WeChatCrypto, request: Request, body: bytes) -> dict[str, str] | None:
    """Return a callback's fields once its signature checks out and it decrypts; None otherwise."""
    params = request.query_params
    try:
        return _flat(crypto.decrypt_message(body, params["msg_signature"], params["timestamp"], params["nonce"]))
    except (InvalidSignatureException, KeyError):
        return None


def floor_app(path: str) -> tuple[Starlette, sqlite3.Connection]:
    """Return the bare floor: check the signature, decrypt, store the MsgId once, acknowledge."""
    client = WeComClient()
    crypto = WeChatCrypto(client.token, client.aes_key, client.corp_id)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("CREATE TABLE processed (msg_id TEXT PRIMARY KEY)")

    async def callback(request: Request) -> Response:
        fields = _decrypted(crypto, request, await request.body())
        if fields is None:
            return Response(status_code=403)
        db.execute("INSERT OR IGNORE INTO processed (msg_id) VALUES (?)", (fields["MsgId"],))
        return PlainTextResponse("")

    return Starlette(routes=[Route(WECOM_PATH, callback, methods=["POST"])]), db


class DurableFloor:
    """The durable floor: store the MsgId and the reply in one transaction, acknowledge, then send and mark sent."""

    def __init__(self, path: str, api_url: str) -> None:
        client = WeComClient()
        self.crypto = WeChatCrypto(client.token, client.aes_key, client.corp_id)
        self.store = DurableStore(path)
        self.http = httpx.AsyncClient(base_url=f"{api_url}/cgi-bin/")
        self.token = ""
        self.sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Get the access token once, as an app keeps it for two hours."""
        answer = await self.http.get("gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})
        self.token = answer.json()["access_token"]

    def asgi(self) -> Starlette:
        """Return the floor's web app."""
        return Starlette(routes=[Route(WECOM_PATH, self.callback, methods=["POST"])])

    async def callback(self, request: Request) -> Response:
        """Store, acknowledge, and leave the reply to a task of its own (the acknowledgement does not wait)."""
        fields = _decrypted(self.crypto, request, await request.body())
        if fields is None:
            return Response(status_code=403)
        reply_id = self.store.take(int(fields["MsgId"]), fields["FromUserName"], FLOOR_REPLY)
        if reply_id is not None:
            task = asyncio.create_task(self.reply(reply_id, fields["FromUserName"]))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)
        return PlainTextResponse("")

    async def reply(self, reply_id: int, user: str) -> None:
        """Send one reply through message/send, then mark it sent."""
        body = {"touser": user, "msgtype": "text", "agentid": AGENT_ID, "text": {"content": FLOOR_REPLY}}
        answer = await self.http.post("message/send", params={"access_token": self.token}, json=body)
        if answer.json()["errcode"] != 0:
            raise RuntimeError("the durable floor's reply was refused")
        self.store.sent(reply_id)

    async def join(self) -> None:
        """Wait until every reply is sent."""
        while self.sending:
            await asyncio.gather(*self.sending)

    async def close(self) -> None:
        """Close the client and the database."""
        await self.http.aclose()
        self.store.db.close()


async def floor(folder: str, quick: bool) -> tuple[float, list[float]]:
    """Return (seconds for the same number of callbacks, ack latencies at the fixed rate) for the floor."""
    asgi, db = floor_app(f"{folder}/floor.db")
    server, task, base = await start_loopback(asgi)
    client, members, poster = WeComClient(), member_ids(MEMBERS), Poster(base)
    try:
        await post_all(poster, encrypted(client, members, len(CHECK_ANSWERS)))  # warm up
        posts = encrypted(client, members, QUICK_STEPS_EACH if quick else STEPS_EACH)
        started = time.perf_counter()
        await post_all(poster, posts)
        seconds = time.perf_counter() - started
        latencies = await paced(poster, encrypted(client, members, paced_steps(quick)), RATE)
        return seconds, latencies
    finally:
        await poster.close()
        await stop_loopback(server, task)
        db.close()


async def durable_floor(folder: str, quick: bool) -> float:
    """Return the seconds the durable floor takes for the same callbacks, every reply delivered."""
    fake = FakeWeCom()
    await fake.start()
    durable = DurableFloor(f"{folder}/durable.db", fake.url)
    await durable.start()
    server, task, base = await start_loopback(durable.asgi())
    client, members, poster = WeComClient(), member_ids(MEMBERS), Poster(base)
    try:
        seconds, _ = await answered_seconds(poster, client, fake, durable.join, members, quick)
        return seconds
    finally:
        await poster.close()
        await stop_loopback(server, task)
        await durable.close()
        await fake.stop()


async def measure(quick: bool) -> dict[str, Any]:
    """Run both sides; return the result line."""
    with tempfile.TemporaryDirectory() as folder:
        core, callbacks, acks = await lianfang(folder, quick)
        bare, bare_acks = await floor(folder, quick)
        durable = await durable_floor(folder, quick)
    return {
        "bench": BENCH,
        "value": round(callbacks / core, 1),
        "unit": "callbacks/s",
        "target": TARGET_RATIO,
        "on": "ratio",
        "better": LOWER,
        "goal": TARGET,
        "floor": round(callbacks / bare, 1),
        "ratio": round(core / bare, 2),
        "floor_durable": round(callbacks / durable, 1),
        "ratio_durable": round(core / durable, 2),
        "ack_p99_ms": round(p99(acks), 1),
        "ack_p99_target_ms": ACK_P99_TARGET_MS,
        "ack_p50_ms": round(statistics.median(acks), 1),
        "floor_ack_p99_ms": round(p99(bare_acks), 1),
        "rate": RATE,
        "callbacks": callbacks,
        "members": MEMBERS,
    }


def main() -> None:
    """Print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer callbacks and a shorter fixed-rate run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(measure(args.quick)), ensure_ascii=False))


if __name__ == "__main__":
    main()
