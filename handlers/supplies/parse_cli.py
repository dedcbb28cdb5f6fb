"""``lianfang parse supply``: read free-text supply needs as the chat does, one text or JSON lines, printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import TextIO

from lianfang.bot.org import Org
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands
from lianfang.handlers.shared.freetext import SupplyReading
from lianfang.handlers.supplies.free_text import read_supply_text

TEXT_KEY = "text"
"""The key of each ``--jsonl`` input line."""
PARSE_COMMAND = "parse"


def _line(reading: SupplyReading) -> str:
    return json.dumps(reading.as_json(), ensure_ascii=False)


def parse_supply_lines(source: TextIO, out: TextIO, org: Org) -> int:
    """Read ``{"text": ...}`` lines and write one reading per line; a bad line gets an empty one and a note."""
    status = EXIT_OK
    for number, raw in enumerate(source, 1):
        if not raw.strip():
            continue
        try:
            text = json.loads(raw)[TEXT_KEY]
            if not isinstance(text, str):
                raise TypeError(TEXT_KEY)
        except (ValueError, KeyError, TypeError):
            print(f"lianfang: line {number}: expected a JSON object with a string {TEXT_KEY!r}", file=sys.stderr)
            out.write(_line(SupplyReading()) + "\n")
            status = EXIT_ERROR
            continue
        out.write(_line(read_supply_text(org, text)) + "\n")
    return status


def cmd_parse_supply(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Print what the supply reader finds in one text, or in JSON lines on stdin with ``--jsonl``."""
    org = runtime.load_org(runtime.load_settings())
    if args.jsonl:
        return parse_supply_lines(sys.stdin, sys.stdout, org)
    if args.text is None:
        print("lianfang: parse supply needs a TEXT, or --jsonl with lines on stdin", file=sys.stderr)
        return EXIT_INVALID
    print(_line(read_supply_text(org, args.text)))
    return EXIT_OK


def parse_group(subcommands: Subcommands) -> Subcommands:
    """Return the subcommands of ``lianfang parse``: the checks feature adds the group first (``parse check``)."""
    parser = subcommands.choices.get(PARSE_COMMAND)
    if parser is None:
        parser = subcommands.add_parser(PARSE_COMMAND, help="read free text as the chat does")
        return parser.add_subparsers(dest="parse_command", required=True)
    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))


def add_parse_supply(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``parse supply`` to ``lianfang``, beside ``parse check``."""
    supply = parse_group(subcommands).add_parser(
        "supply", help="read a free-text supply need (物资需求) and print its items as JSON"
    )
    supply.add_argument("text", nargs="?", help="the message, e.g. '东风社区急需口罩2000只、消毒液50瓶'")
    supply.add_argument("--jsonl", action="store_true", help='read {"text": ...} lines on stdin, write one per line')
    supply.set_defaults(func=partial(cmd_parse_supply, runtime))
