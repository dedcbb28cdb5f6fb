"""``lianfang parse supply``: read free-text supply needs as the chat does, one text or JSON lines, printing JSON."""

from __future__ import annotations

import argparse
from functools import partial

from lianfang.bot.subcommands import CliRuntime, Subcommands
from lianfang.handlers.shared.freetext import SupplyReading
from lianfang.handlers.shared.freetext.command import add_parse_kind, print_reading
from lianfang.handlers.supplies.free_text import read_supply_text


def cmd_parse_supply(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Print what the supply reader finds in one text, or in JSON lines on stdin with ``--jsonl``."""
    org = runtime.load_org(runtime.load_settings())
    return print_reading(args, lambda text: read_supply_text(org, text).as_json(), SupplyReading().as_json())


def add_parse_supply(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``parse supply`` to ``lianfang``, beside ``parse check``."""
    supply = add_parse_kind(
        subcommands,
        "supply",
        "read a free-text supply need (物资需求) and print its items as JSON",
        "东风社区急需口罩2000只、消毒液50瓶",
    )
    supply.set_defaults(func=partial(cmd_parse_supply, runtime))
