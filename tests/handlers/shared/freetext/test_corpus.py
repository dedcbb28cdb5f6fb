"""The parser against the development corpus: per-field accuracy and exact matches, by the issue's thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lianfang.handlers.shared.freetext import FIELDS, parse_check

CORPUS = Path(__file__).with_name("corpus.jsonl")
COMPOUNDS = ("朝阳新村", "朝阳小区", "东风小区", "东风新村", "新华苑", "新华小区")
"""The compounds of ``examples/wulipai.toml``, which the corpus's messages name."""
FIELD_ACCURACY = 0.95
EXACT_MATCH = 0.80
FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _scored(field: str, value: Any) -> Any:
    """Return a value as the scorer compares it: an address without spaces and with full-width ASCII folded."""
    if field == "address" and value is not None:
        return "".join(value.translate(FULLWIDTH).split())
    return value


def test_the_corpus_is_large_and_labelled_by_the_contract() -> None:
    rows = _rows()
    assert len(rows) >= 400
    assert len({row["text"] for row in rows}) == len(rows)
    for row in rows:
        assert set(row["gold"]) == set(FIELDS)


def test_field_accuracy_and_exact_match_reach_the_issues_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows()
    right = dict.fromkeys(FIELDS, 0)
    exact = 0
    for row in rows:
        got = parse_check(row["text"], COMPOUNDS).as_json()
        hits = [_scored(f, got[f]) == _scored(f, row["gold"][f]) for f in FIELDS]
        for field, hit in zip(FIELDS, hits, strict=True):
            right[field] += hit
        exact += all(hits)
    per_field = {field: right[field] / len(rows) for field in FIELDS}
    overall = sum(right.values()) / (len(rows) * len(FIELDS))
    with capsys.disabled():
        shown = ", ".join(f"{field} {share:.1%}" for field, share in per_field.items())
        print(f"\nfree text on {len(rows)} messages: {shown}; fields {overall:.1%}, exact {exact / len(rows):.1%}")
    assert overall >= FIELD_ACCURACY
    assert exact / len(rows) >= EXACT_MATCH
