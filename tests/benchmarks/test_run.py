"""The benchmark lines a script reads: each parses, and carries a numeric target and the field it is on."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.city import estimate
from benchmarks.run import HIGHER, LOWER, NAMES, meets, numeric
from tests.paths import ROOT

CHEAP = "freetext"
"""A quick benchmark that needs no database: the line shape is the point here, not the figure."""


def lines_of(*options: str) -> list[dict[str, object]]:
    """Run ``benchmarks/run.py`` with options; return its JSON lines."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *options],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_a_quick_run_prints_lines_with_a_numeric_target_on_a_numeric_field() -> None:
    lines = lines_of("--quick", "--only", CHEAP)
    assert [line["bench"] for line in lines] == ["freetext_parse"]
    for line in lines:
        assert isinstance(line["value"], int | float)
        assert isinstance(line["target"], int | float)
        assert isinstance(line[str(line["on"])], int | float)
        assert line["better"] in (LOWER, HIGHER)
        assert isinstance(meets(line), bool)


def test_a_target_given_in_words_gets_its_number_and_is_checked_on_the_durable_ratio() -> None:
    words = "time per update <= 1.5x a durable bare PTB handler"
    line = numeric({"bench": "telegram_updates_per_second", "target": words, "ratio": 2.1, "ratio_durable": 1.4})
    assert (line["target"], line["on"], line["goal"]) == (1.5, "ratio_durable", words)
    assert meets(line)
    assert not meets({**line, "ratio_durable": 1.6})


def test_higher_is_better_where_a_line_says_so() -> None:
    line = {"bench": "freetext_parse", "value": 1999, "target": 2000, "on": "value", "better": HIGHER}
    assert not meets(line)
    assert meets({**line, "value": 2000})


def test_an_unknown_benchmark_name_is_refused_and_runs_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "nonsense"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode != 0 and "unknown benchmarks: nonsense" in done.stderr
    assert done.stdout == ""
    assert "scale" in NAMES


def test_the_city_estimate_grows_with_the_time_a_step_takes() -> None:
    light, heavy = (
        estimate(
            cpu_ms_per_step=5 * times,
            db_cpu_ms_per_step=1 * times,
            db_active_ms_per_step=2 * times,
            db_held_ms_per_step=5 * times,
            commits_per_step=3,
            wal_flushes_per_step=1,
        )
        for times in (1, 2)
    )
    # 100,000 workers x 2 forms x 9 steps in 30 minutes is 1,000 steps/s, 3,000 in the busiest minute
    assert (light.steps_per_second_average, light.steps_per_second_burst) == (1000, 3000)
    assert (light.instances, heavy.instances) == (25, 50)
    assert heavy.connections_in_use == 2 * light.connections_in_use == 30
    assert light.commits_per_second == 9000
    assert light.wal_flushes_per_second == 3000
    assert (light.database_cpu_cores, heavy.database_cpu_cores) == (3, 6)
    assert light.steps_per_second_burst_per_sub_district == 20
    assert heavy.connections_total >= 2 * heavy.connections_in_use
