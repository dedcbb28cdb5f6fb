"""``lianfang parse KIND``: what a free-text reader finds, printed as JSON, from one text or from JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, Subcommands

PARSE_COMMAND = "parse"
TEXT_KEY = "text"
"""The key of each ``--jsonl`` input line."""

Reader = Callable[[str], Mapping[str, Any]]
"""Read one text into the JSON object printed for it."""


def _line(found: Mapping[str, Any]) -> str:
    return json.dumps(found, ensure_ascii=False)


def read_lines(source: TextIO, out: TextIO, read: Reader, empty: Mapping[str, Any]) -> int:
    """Read ``{"text": ...}`` lines and write one result per line; a bad line gets ``empty`` and a note on stderr."""
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
            out.write(_line(empty) + "\n")
            status = EXIT_ERROR
            continue
        out.write(_line(read(text)) + "\n")
    return status


def print_reading(args: argparse.Namespace, read: Reader, empty: Mapping[str, Any]) -> int:
    """Print what ``read`` finds in ``args.text``, or in JSON lines on stdin with ``--jsonl``."""
    if args.jsonl:
        return read_lines(sys.stdin, sys.stdout, read, empty)
    if args.text is None:
        print(f"lianfang: parse {args.parse_command} needs a TEXT, or --jsonl with lines on stdin", file=sys.stderr)
        return EXIT_INVALID
    print(_line(read(args.text)))
    return EXIT_OK


def add_parse_kind(subcommands: Subcommands, kind: str, help_text: str, example: str) -> argparse.ArgumentParser:
    """Add ``parse KIND`` (TEXT, ``--jsonl``) to ``lianfang``, creating the ``parse`` group for the first kind."""
    parser = subcommands.choices.get(PARSE_COMMAND)
    if parser is None:
        parser = subcommands.add_parser(PARSE_COMMAND, help="read free text as the chat does")
        parser.add_subparsers(dest="parse_command", required=True)
    kinds = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    added = kinds.add_parser(kind, help=help_text)
    added.add_argument("text", nargs="?", help=f"the message, e.g. '{example}'")
    added.add_argument("--jsonl", action="store_true", help='read {"text": ...} lines on stdin, write one per line')
    return added
