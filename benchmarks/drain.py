"""Benchmark draining a big outbox to a rate-limited platform: total time against the rate limit's floor.

10,000 messages (1,000 with ``--quick``), each to its own private chat with its own text, are queued in the
outbox of a real App (bundled org, temporary SQLite file unless ``--database-url``), then drained by its
Deliverer through the Telegram adapter to the fake Bot API on 127.0.0.1 (``tests/fake_telegram.py``). The fake
enforces a rate limit: a token bucket of ``rate`` messages a second (one second's worth of burst), answering 429
with ``retry_after`` beyond it, as Telegram does. The adapter's send pace is set to the same overall
rate (production keeps Telegram's 30/s). The floor is the least time the platform allows: the first second's
burst at once, then ``rate`` a second, so (messages - rate) / rate. The run also checks that every message
arrived exactly once, and counts the 429s (each one's message is retried by the outbox after ``retry_after``).

Run: python benchmarks/drain.py [--quick] [--rate N]. Each result is one JSON line (``emit`` in run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# First: benchmarks.run takes this folder off sys.path, so benchmarks/telegram.py cannot shadow the package.
from benchmarks.run import emit  # noqa: E402, I001

from sqlalchemy import insert  # noqa: E402

from lianfang.bot.platforms.telegram.adapter import TelegramAdapter  # noqa: E402
from lianfang.app.cli import build_app  # noqa: E402
from lianfang.app.features import FIGURES, ORG_SECTIONS  # noqa: E402
from lianfang.app.platforms import Settings  # noqa: E402
from lianfang.bot.db import session_scope  # noqa: E402
from lianfang.bot.org import default_org_path, load_org  # noqa: E402
from lianfang.bot.types import PLATFORM_TELEGRAM, ChatRef, OutgoingMessage, Text  # noqa: E402
from lianfang.models.base import to_db_time  # noqa: E402
from lianfang.models.outbox import STATUS_PENDING, OutboxMessage, backlog  # noqa: E402
from tests.fake_telegram import TOKEN, TOO_MANY_REQUESTS, Failure, FakeTelegram  # noqa: E402

BENCH = "outbox_drain_seconds"
TARGET = "<= 1.1x the rate-limit floor, 0 lost, 0 duplicated"
TARGET_RATIO = 1.1
MESSAGES = 10_000
QUICK_MESSAGES = 500
RATE = 100.0
"""Messages a second the fake platform accepts (and the adapter's limiter is set to)."""
RETRY_AFTER_SECONDS = 1
TOO_MANY_TEXT = f"Too Many Requests: retry after {RETRY_AFTER_SECONDS}"
FIRST_CHAT_ID = 7_000_000_000
IDLE_SECONDS = 0.02
"""How long the bench waits before draining again when only retries (after a 429) are left."""
TIMEOUT_FACTOR = 5.0
INSERT_CHUNK = 2_000
LANG = "zh_CN"


@dataclass
class RateLimitedFake(FakeTelegram):
    """The fake Bot API with a token-bucket rate limit on sendMessage, counting each text it accepted."""

    rate: float = RATE
    received: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    _tokens: float = 0.0
    _filled_at: float = 0.0

    def __post_init__(self) -> None:
        self._tokens, self._filled_at = self.rate, time.monotonic()

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | Failure:
        now = time.monotonic()
        self._tokens = min(self.rate, self._tokens + (now - self._filled_at) * self.rate)
        self._filled_at = now
        if self._tokens < 1:
            self.refused += 1
            return Failure(TOO_MANY_REQUESTS, TOO_MANY_TEXT, RETRY_AFTER_SECONDS)
        self._tokens -= 1
        self.received[str(params["text"])] += 1
        return super()._api_sendMessage(params)


def payload(number: int) -> dict[str, Any]:
    """Return the outbox payload of message ``number``: a text no other message has."""
    chat = ChatRef(PLATFORM_TELEGRAM, str(FIRST_CHAT_ID + number))
    return OutgoingMessage(chat, (Text.raw(f"msg-{number:05d}"),), LANG).to_json()


async def outbox_drain(url: str, messages: int, rate: float) -> dict[str, float]:
    """Queue ``messages`` and drain them to the rate-limited fake; return the figures."""
    fake = RateLimitedFake(rate=rate)
    await fake.start()
    app = build_app(Settings(_env_file=None, database_url=url), load_org(default_org_path(), ORG_SECTIONS, FIGURES))
    app.add_adapter(TelegramAdapter(TOKEN, base_url=fake.url, overall_rate=int(rate)))
    try:
        await app.start()
        now = to_db_time(app.clock())
        with app.engine.begin() as connection:
            for start in range(0, messages, INSERT_CHUNK):
                rows = [
                    {
                        "platform": PLATFORM_TELEGRAM,
                        "chat_id": str(FIRST_CHAT_ID + n),
                        "payload": payload(n),
                        "status": STATUS_PENDING,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for n in range(start, min(messages, start + INSERT_CHUNK))
                ]
                connection.execute(insert(OutboxMessage), rows)
        floor = max(0.0, messages - rate) / rate  # the bucket starts full: one second's worth goes at once
        deadline = time.perf_counter() + floor * TIMEOUT_FACTOR + 30
        started = time.perf_counter()
        while True:
            await app.deliverer.drain()
            with session_scope(app.engine) as session:
                waiting, _ = backlog(session=session)
            if not waiting or time.perf_counter() > deadline:
                break
            await asyncio.sleep(IDLE_SECONDS)  # only 429'd messages are left, each due after retry_after
        total = time.perf_counter() - started
    finally:
        await app.stop()
        app.engine.dispose()
        await fake.stop()
    expected = {str(payload(n)["lines"][0]["params"]["text"]) for n in range(messages)}
    return {
        "total": total,
        "floor": floor,
        "lost": len(expected - set(fake.received)),
        "duplicated": sum(count - 1 for count in fake.received.values()),
        "refused": fake.refused,
    }


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MESSAGES} messages instead of {MESSAGES}")
    parser.add_argument("--rate", type=float, default=RATE, help="messages per second the fake platform accepts")
    parser.add_argument("--database-url", help="run on this database instead of a temporary SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    messages = QUICK_MESSAGES if args.quick else MESSAGES
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(outbox_drain(args.database_url or f"sqlite:///{folder}/drain.db", messages, args.rate))
    emit_drain(messages, args.rate, figures)


def emit_drain(messages: int, rate: float, figures: dict[str, float]) -> None:
    """Print the drain result line."""
    emit(
        BENCH,
        figures["total"],
        "s",
        TARGET_RATIO,
        on="ratio",
        goal=TARGET,
        messages=messages,
        rate=rate,
        floor=round(figures["floor"], 2),
        ratio=round(figures["total"] / figures["floor"], 3),
        lost=int(figures["lost"]),
        duplicated=int(figures["duplicated"]),
        refused_429=int(figures["refused"]),
    )


if __name__ == "__main__":
    main()
