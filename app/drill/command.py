"""``lianfang drill FILE``: play a drill file and exit 0 (all held), 1 (an expectation failed) or 2 (bad file)."""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import TextIO

from lianfang.app.drill.format import DrillError, check_against_org, parse_drill
from lianfang.app.drill.player import Options, load_drill_org, play
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK


def run_drill(path: Path, out: TextIO, options: Options) -> int:
    """Play a drill file, print the day and the failures; return the exit code."""
    try:
        drill = parse_drill(path, today=options.day or date.today())
        with tempfile.TemporaryDirectory(prefix="lianfang-drill-check-") as folder:
            _org_path, org = load_drill_org(drill, options, Path(folder))
        check_against_org(drill, org)
    except DrillError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    outcome = play(drill, out, options)
    if outcome.failures:
        out.write(f"\n{path}: {len(outcome.failures)} of {outcome.checked} expectation(s) and actions failed\n")
        return EXIT_ERROR
    if options.summary:
        out.write(f"\n{path}: all {outcome.checked} expectation(s) and actions held\n")
    return EXIT_OK
