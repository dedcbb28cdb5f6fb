"""A real ``lianfang run`` on the fake Bot API: JSON log lines, and /metrics on a port of its own."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from tests.app.test_metrics import samples, value
from tests.fake_telegram import FakeTelegram
from tests.lianfang_process import base_env, lianfang_run

CHAT = 5550101
START = "2020-01-28T10:00:00"
ERROR_PREFIX = "lianfang: "
"""What the CLI prints to stderr itself (not a log record), e.g. when it creates a SQLite database."""


def free_port() -> int:
    """Return a port that was free a moment ago on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_json_logs_and_the_metrics_port(fake: FakeTelegram, database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **base_env(database_url, fake),
        "LIANFANG_LOG_FORMAT": "json",
        "LIANFANG_METRICS_PORT": str(port),
    }
    async with lianfang_run(fake, env, tmp_path, START) as bot:
        await bot.exchange(CHAT, lambda: fake.say(CHAT, "/help"), "")
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"http://127.0.0.1:{port}/metrics")
            assert answer.status_code == 200
            parsed = samples(answer.text)
            webhook_port_metrics = await http.get(f"http://127.0.0.1:{port}/healthz")
        await bot.stop()
        log = bot.stderr()
    assert value(parsed, "lianfang_updates_total", platform="telegram") >= 1
    assert value(parsed, "lianfang_outbox_sends_total", platform="telegram") >= 1
    assert value(parsed, "lianfang_scheduler_leader") == 1
    assert webhook_port_metrics.status_code == 404  # the metrics port serves nothing else
    records = [json.loads(line) for line in log.splitlines() if line and not line.startswith(ERROR_PREFIX)]
    assert records and all({"time", "level", "logger", "message", "request_id"} <= set(r) for r in records)
    assert any(
        record["message"] == "scheduler started" or "scheduler started" in record["message"] for record in records
    )
