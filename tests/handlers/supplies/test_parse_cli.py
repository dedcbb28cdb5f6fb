"""``lianfang parse supply`` as an operator or a scorer runs it: one text, or JSON lines on stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lianfang.app.cli import EXIT_INVALID, EXIT_OK, main


@pytest.fixture
def cli(offline_cli: Path) -> Path:
    """Run the command line on the bundled org file, with no database needed."""
    return offline_cli


def test_one_text_prints_the_items_urgency_community_and_purpose(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "supply", "东风社区急需外科口罩两千只、84消毒液5桶，用于卡点值守"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == {
        "items": [
            {"item": "医用外科口罩", "quantity": 2000, "unit": "只"},
            {"item": "84消毒液", "quantity": 5, "unit": "桶"},
        ],
        "urgent": True,
        "community": "dongfeng",
        "purpose": "卡点值守",
    }


def test_parse_check_still_works_beside_it(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "check", "3栋2单元501张三 37.9"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["name"] == "张三"


def test_json_lines_give_one_object_per_line_and_name_a_bad_line(
    cli: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        json.dumps({"text": "新华苑需要手套500副"}, ensure_ascii=False),
        "not json",
        json.dumps({"text": "收到👍"}, ensure_ascii=False),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["parse", "supply", "--jsonl"]) != EXIT_OK
    captured = capsys.readouterr()
    printed = [json.loads(line) for line in captured.out.splitlines()]
    empty = {"items": [], "urgent": None, "community": None, "purpose": None}
    assert printed == [
        {
            "items": [{"item": "手套", "quantity": 500, "unit": "副"}],
            "urgent": None,
            "community": "xinhua",
            "purpose": None,
        },
        empty,
        empty,
    ]
    assert "line 2" in captured.err


def test_no_text_is_a_usage_error(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "supply"]) == EXIT_INVALID
    assert "needs a TEXT" in capsys.readouterr().err
