"""``lianfang parse check``: read free-text checks as the chat does, one text or JSON lines, printing JSON."""

from __future__ import annotations

import argparse
from functools import partial

from lianfang.bot.subcommands import CliRuntime, Subcommands
from lianfang.handlers.shared.freetext import FIELDS, parse_check
from lianfang.handlers.shared.freetext.command import add_parse_kind, print_reading


def cmd_parse_check(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Print what the parser reads from one text, or from JSON lines on stdin with ``--jsonl``."""
    org = runtime.load_org(runtime.load_settings())
    compounds = tuple(name for name, _ in org.compound_index)
    return print_reading(args, lambda text: parse_check(text, compounds).as_json(), dict.fromkeys(FIELDS))


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``parse check`` to ``lianfang``."""
    check = add_parse_kind(
        subcommands,
        "check",
        "read a free-text check (排查登记) and print its fields as JSON",
        "3栋2单元501张三 体温37.9 有点咳",
    )
    check.set_defaults(func=partial(cmd_parse_check, runtime))
