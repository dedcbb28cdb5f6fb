"""The declaration a feature package exports as ``FEATURE``: all it adds to the bot, for ``lianfang.app`` to compose.

Every registry (the command table, the forms, the menus, the help, the scheduled steps and their times, the report
figures, the org-file sections, the CLI subcommands) is derived from these declarations, never kept as a second list.
"""

from __future__ import annotations

from dataclasses import dataclass

from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Form


@dataclass(frozen=True)
class Feature:
    """What one feature adds: its commands and forms, and the entries the other registries are derived from."""

    name: str
    commands: tuple[Command, ...] = ()
    forms: tuple[Form, ...] = ()
