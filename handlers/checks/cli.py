"""``lianfang parse check``: read free-text checks as the chat does, one text or JSON lines, printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import TextIO

from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands
from lianfang.handlers.shared.freetext import FIELDS, parse_check

TEXT_KEY = "text"
"""The key of each ``--jsonl`` input line."""


def _compounds(runtime: CliRuntime) -> tuple[str, ...]:
    """Return the configured org file's compound and road names, longest first."""
    org = runtime.load_org(runtime.load_settings())
    return tuple(name for name, _ in org.compound_index)


def _line(understood: dict[str, object]) -> str:
    return json.dumps(understood, ensure_ascii=False)


def parse_lines(source: TextIO, out: TextIO, compounds: tuple[str, ...]) -> int:
    """Read ``{"text": ...}`` lines and write one result per line; a bad line gets nulls and a note on stderr."""
    status = EXIT_OK
    for number, raw in enumerate(source, 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            text = item[TEXT_KEY]
            if not isinstance(text, str):
                raise TypeError(TEXT_KEY)
        except (ValueError, KeyError, TypeError):
            print(f"lianfang: line {number}: expected a JSON object with a string {TEXT_KEY!r}", file=sys.stderr)
            out.write(_line(dict.fromkeys(FIELDS)) + "\n")
            status = EXIT_ERROR
            continue
        out.write(_line(parse_check(text, compounds).as_json()) + "\n")
    return status


def cmd_parse_check(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Print what the parser reads from one text, or from JSON lines on stdin with ``--jsonl``."""
    compounds = _compounds(runtime)
    if args.jsonl:
        return parse_lines(sys.stdin, sys.stdout, compounds)
    if args.text is None:
        print("lianfang: parse check needs a TEXT, or --jsonl with lines on stdin", file=sys.stderr)
        return EXIT_INVALID
    print(_line(parse_check(args.text, compounds).as_json()))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``parse check`` to ``lianfang``."""
    parse = subcommands.add_parser("parse", help="read free text as the chat does").add_subparsers(
        dest="parse_command", required=True
    )
    check = parse.add_parser("check", help="read a free-text check (排查登记) and print its fields as JSON")
    check.add_argument("text", nargs="?", help="the message, e.g. '3栋2单元501张三 体温37.9 有点咳'")
    check.add_argument("--jsonl", action="store_true", help='read {"text": ...} lines on stdin, write one per line')
    check.set_defaults(func=partial(cmd_parse_check, runtime))
