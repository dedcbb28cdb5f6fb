"""Benchmark the free-text check parser: messages read per second on one core, against a plain regex pass.

The texts are the development corpus (``tests/handlers/shared/freetext/corpus.jsonl``), cycled. The floor is one
regex pass over the same texts that finds the numbers in them: what any reader of these messages must at least do.
The target is 2,000 messages per second of one core's CPU time.

Run: python benchmarks/freetext.py [--quick]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.handlers.shared.freetext import parse_check

from benchmarks.run import HIGHER, emit

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "handlers" / "shared" / "freetext" / "corpus.jsonl"
COMPOUNDS = ("朝阳新村", "朝阳小区", "东风小区", "东风新村", "新华苑", "新华小区")
MESSAGES = 20_000
QUICK_MESSAGES = 2_000
TARGET = 2_000
FLOOR = re.compile(r"\d+(?:\.\d+)?")


def texts(count: int) -> list[str]:
    """Return ``count`` messages of the corpus, cycled."""
    corpus = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [corpus[n % len(corpus)] for n in range(count)]


def per_second(read: Callable[[str], object], messages: list[str]) -> tuple[float, float]:
    """Return how many messages per second a reader gets through: (per second of CPU time, per wall-clock second).

    CPU time is the figure: on a shared machine the wall clock counts other processes' turns too.
    """
    start, wall = time.process_time(), time.perf_counter()
    for text in messages:
        read(text)
    return len(messages) / (time.process_time() - start), len(messages) / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MESSAGES} messages instead of {MESSAGES}")
    args = parser.parse_args()
    messages = texts(QUICK_MESSAGES if args.quick else MESSAGES)
    parse_check(messages[0], COMPOUNDS)  # compile the patterns outside the timing
    rate, wall = per_second(lambda text: parse_check(text, COMPOUNDS), messages)
    floor, _ = per_second(FLOOR.findall, messages)
    emit(
        "freetext_parse",
        rate,
        "messages/s",
        TARGET,
        better=HIGHER,
        goal=f">= {TARGET} messages/s on one core",
        floor=round(floor),
        wall_clock=round(wall),
        messages=len(messages),
    )


if __name__ == "__main__":
    main()
