"""The supply reader against its labelled corpus: field accuracy, exact matches, and nothing invented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lianfang.handlers.shared.freetext import community_words, parse_supply

CORPUS = Path(__file__).with_name("supply_corpus.jsonl")
ITEMS = ("医用外科口罩", "N95口罩", "84消毒液", "75%酒精", "体温枪", "防护服")
"""The ``[[supplies.items]]`` of ``examples/wulipai.toml``."""
COMMUNITIES = community_words(
    [
        ("chaoyang", "朝阳社区", ["朝阳新村", "朝阳小区"]),
        ("dongfeng", "东风社区", ["东风小区", "东风新村"]),
        ("xinhua", "新华社区", ["新华苑", "新华小区"]),
    ]
)
FIELDS = ("items", "urgent", "community", "purpose")
FIELD_ACCURACY = 0.95
EXACT_MATCH = 0.90


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _read(text: str) -> dict[str, Any]:
    return parse_supply(text, items=ITEMS, communities=COMMUNITIES).as_json()


def test_the_corpus_is_large_and_labelled_by_the_contract() -> None:
    rows = _rows()
    assert len(rows) >= 100
    assert len({row["text"] for row in rows}) == len(rows)
    assert sum(len(row["gold"]["items"]) >= 2 for row in rows) >= 25
    assert sum(not row["gold"]["items"] for row in rows) >= 5
    for row in rows:
        assert set(row["gold"]) == set(FIELDS)


def test_field_accuracy_and_exact_match(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows()
    right = dict.fromkeys(FIELDS, 0)
    exact = 0
    for row in rows:
        got = _read(row["text"])
        hits = [got[field] == row["gold"][field] for field in FIELDS]
        for field, hit in zip(FIELDS, hits, strict=True):
            right[field] += hit
        exact += all(hits)
    overall = sum(right.values()) / (len(rows) * len(FIELDS))
    with capsys.disabled():
        shown = ", ".join(f"{field} {right[field] / len(rows):.1%}" for field in FIELDS)
        print(f"\nsupply text on {len(rows)} messages: {shown}; fields {overall:.1%}, exact {exact / len(rows):.1%}")
    assert overall >= FIELD_ACCURACY
    assert exact / len(rows) >= EXACT_MATCH


def test_no_item_or_quantity_is_invented() -> None:
    """Every item read is in the message's labels, and every quantity read is the labelled one: a miss is asked
    for in chat, a wrong item or number would be requested."""
    for row in _rows():
        gold = {item["item"]: item for item in row["gold"]["items"]}
        for item in _read(row["text"])["items"]:
            assert item["item"] in gold, (row["text"], item)
            if item["quantity"] is not None:
                assert item["quantity"] == gold[item["item"]]["quantity"], (row["text"], item)
            if item["unit"] is not None:
                assert item["unit"] == gold[item["item"]]["unit"], (row["text"], item)
