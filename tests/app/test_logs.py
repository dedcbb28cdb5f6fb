"""LIANFANG_LOG_FORMAT=json: one JSON object per line with the update's id, and no personal data at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from lianfang.app.drill.command import run_drill
from lianfang.app.drill.player import Options
from lianfang.bot import logs

from tests.paths import ROOT
from tests.privacy_scan import leaks, load_persons

DRILLS = ROOT / "examples" / "drills"
PERSONAL_DRILLS = ("demo.drill", "screening.drill", "referral.drill")
"""The drills that record residents: checks, the screening list with ID numbers and phones, referrals."""
FIELDS = {"time", "level", "logger", "message", "request_id"}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Capture the root logger's INFO and above as JSON lines, as ``run`` does with LIANFANG_LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logs.install(logs.FORMAT_JSON, logging.StreamHandler(stream))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_record_is_one_json_object_with_its_update_id(json_log: io.StringIO) -> None:
    log = logging.getLogger("lianfang.test")
    with logs.request("telegram", "4711"):
        log.info("handled %s", "一条消息")
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        log.warning("outside an update", exc_info=True)
    first, second = (json.loads(line) for line in json_log.getvalue().splitlines())
    assert set(first) == FIELDS and first["message"] == "handled 一条消息" and first["level"] == "INFO"
    assert first["request_id"] == "telegram:4711" and first["logger"] == "lianfang.test"
    assert second["request_id"] == logs.NO_REQUEST and "ValueError: bad" in second["exception"]


@pytest.mark.parametrize("name", PERSONAL_DRILLS)
def test_a_drill_logs_no_personal_data(name: str, database_url: str, json_log: io.StringIO) -> None:
    out = io.StringIO()
    assert run_drill(DRILLS / name, out, Options(database_url=database_url, quiet=True)) == 0, out.getvalue()
    lines = json_log.getvalue().splitlines()
    assert lines, "the drill logged nothing at INFO: the scan would prove nothing"
    entries = [json.loads(line) for line in lines]
    assert all(set(entry) >= FIELDS for entry in entries)
    assert any(entry["request_id"] != logs.NO_REQUEST for entry in entries)
    persons, members = load_persons(database_url)
    assert persons, f"{name} recorded nobody: the scan would prove nothing"
    # the message and any traceback; not the time, whose milliseconds may read like a house number
    texts = [f"{entry['message']}\n{entry.get('exception', '')}" for entry in entries]
    found = leaks(texts, persons, members)
    assert not found, "personal data in the logs:\n" + "\n".join(found)


def test_the_text_format_carries_the_update_id() -> None:
    stream = io.StringIO()
    handler = logs.install(logs.FORMAT_TEXT, logging.StreamHandler(stream))
    try:
        with logs.request("wecom", None):
            logging.getLogger("lianfang.test").warning("slow")
        logging.getLogger("lianfang.test").warning("idle")
    finally:
        logging.getLogger().removeHandler(handler)
    inside, outside = stream.getvalue().splitlines()
    assert " WARNING lianfang.test [wecom:local-" in inside and inside.endswith("]: slow")
    assert outside.endswith(" WARNING lianfang.test: idle")
