"""The supply reader case by case: items, quantities, units, urgency, community and purpose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lianfang.handlers.shared.freetext import community_words, parse_supply
from lianfang.handlers.shared.freetext.supply import han_number, read_quantity

ITEMS = ("医用外科口罩", "N95口罩", "84消毒液")
COMMUNITIES = community_words([("dongfeng", "东风社区", ["东风小区"]), ("xinhua", "新华社区", ["新华苑"])])


def _items(text: str) -> list[tuple[str, int | None, str | None]]:
    reading = parse_supply(text, items=ITEMS, communities=COMMUNITIES)
    return [(item.item, item.quantity, item.unit) for item in reading.items]


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("两千", 2000),
        ("一万五千", 15000),
        ("一万五", 15000),
        ("两千五", 2500),
        ("五百", 500),
        ("三十", 30),
        ("十", 10),
        ("贰仟", 2000),
        ("二十五", 25),
        ("一百零五", 105),
    ],
)
def test_chinese_numbers(word: str, value: int) -> None:
    assert han_number(word) == value


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("2000", 2000),
        ("2,000", 2000),
        ("1.5万", 15000),
        ("2千", 2000),
        ("0", None),
        ("99999999999", None),
        ("1.5", None),
    ],
)
def test_quantities_in_range_and_whole(word: str, value: int | None) -> None:
    assert read_quantity(word) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("口罩2000只、消毒液50瓶", [("口罩", 2000, "只"), ("消毒液", 50, "瓶")]),
        ("急需2000只口罩和两箱消毒液", [("口罩", 2000, "只"), ("消毒液", 2, "箱")]),
        ("外科口罩：1万只", [("医用外科口罩", 10000, "只")]),
        ("需要N95 200只", [("N95口罩", 200, "只")]),
        ("口罩、手套各500副", [("口罩", 500, "副"), ("手套", 500, "副")]),
        ("口罩 数量3000只", [("口罩", 3000, "只")]),
        ("84消毒液5桶", [("84消毒液", 5, "桶")]),
        ("防护服只剩2套了，需要50套", [("防护服", 50, "套")]),
        ("口罩用完了，急需2000只", [("口罩", 2000, "只")]),
    ],
)
def test_items_with_their_quantities(text: str, expected: list[tuple[str, int | None, str | None]]) -> None:
    assert _items(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("口罩2月5日前送到", [("口罩", None, None)]),  # a date is no quantity
        ("口罩 13812345678", [("口罩", None, None)]),  # nor a phone number
        ("东风小区3栋口罩", [("口罩", None, None)]),  # nor a building
        ("口罩已收到2000只", []),
        ("手套够了", []),
        ("不缺口罩，缺消毒液30瓶", [("消毒液", 30, "瓶")]),
        ("库存口罩还剩500只", []),
        ("收到，谢谢", []),
        ("3栋2单元501张三 体温37.9 咳嗽", []),
        ("口罩千万别忘了", [("口罩", None, None)]),
    ],
)
def test_nothing_is_invented(text: str, expected: list[tuple[str, int | None, str | None]]) -> None:
    assert _items(text) == expected


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("急需口罩", True),
        ("口罩 紧急", True),
        ("口罩 急", True),
        ("口罩 不急", False),
        ("不是很急，要口罩", False),
        ("口罩", None),
        ("急诊科要口罩", None),
        ("应急物资口罩", None),
    ],
)
def test_urgency(text: str, urgent: bool | None) -> None:
    assert parse_supply(text).urgent is urgent


def test_community_from_its_name_a_compound_or_its_short_name() -> None:
    for text, key in (
        ("东风社区要口罩", "dongfeng"),
        ("新华苑要口罩", "xinhua"),
        ("东风要口罩", "dongfeng"),
        ("要口罩", None),
        ("新华苑和东风社区要口罩", "xinhua"),
    ):
        assert parse_supply(text, communities=COMMUNITIES).community == key


def test_purpose_and_need_words() -> None:
    reading = parse_supply("急需口罩2000只，供环卫工使用")
    assert (reading.purpose, reading.is_need) == ("环卫工", True)
    assert parse_supply("需要消毒液100瓶，下周用").purpose is None  # a time, not a purpose
    assert parse_supply("东风社区缺口罩").is_need  # an item and a need word
    assert not parse_supply("口罩").is_need  # an item alone asks nothing
    assert parse_supply("口罩2000只").is_need


def test_a_huge_text_is_read_quickly_and_bounded() -> None:
    reading = parse_supply("口罩2000只、" * 5000)
    assert reading.items == parse_supply("口罩2000只").items


def test_no_check_of_the_check_corpus_reads_as_a_supply_need() -> None:
    """The chat reads a need before a check: a check that mentions no health fact must not read as a need."""
    corpus = Path(__file__).with_name("corpus.jsonl")
    health = ("temperature", "symptoms", "history", "measure")
    for line in corpus.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if sum(value is not None for value in row["gold"].values()) >= 2:
            assert not parse_supply(row["text"]).is_need or any(row["gold"][f] is not None for f in health), row
