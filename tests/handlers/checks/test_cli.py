"""``lianfang parse check`` as an operator or a scorer runs it: one text, or JSON lines on stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lianfang.app.cli import EXIT_INVALID, EXIT_OK, main
from lianfang.handlers.shared.freetext import FIELDS


@pytest.fixture
def cli(offline_cli: Path) -> Path:
    """Run the command line on the bundled org file, with no database needed."""
    return offline_cli


def test_one_text_prints_exactly_the_contracts_keys(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["parse", "check", "朝阳新村3栋2单元501张三 体温三十七度九 有点咳 1月20号从武汉回来的 已居家观察"])
        == EXIT_OK
    )
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == list(FIELDS)
    assert printed == {
        "address": "朝阳新村3栋2单元501",
        "name": "张三",
        "phone": None,
        "temperature": 37.9,
        "symptoms": ["咳嗽"],
        "history": "wuhan",
        "measure": "home",
    }


def test_json_lines_give_one_object_per_line_and_name_a_bad_line(
    cli: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        json.dumps({"text": "5-1-302 李桂芳 +86 138 1234 5678 36.4 无症状"}, ensure_ascii=False),
        "not json",
        json.dumps({"text": "收到👍"}, ensure_ascii=False),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["parse", "check", "--jsonl"]) != EXIT_OK
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert [result["phone"] for result in results] == ["13812345678", None, None]
    assert results[0]["symptoms"] == [] and results[2] == dict.fromkeys(FIELDS)
    assert "line 2" in captured.err


def test_no_text_is_a_plain_error(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "check"]) == EXIT_INVALID
    assert "TEXT" in capsys.readouterr().err
