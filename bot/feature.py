"""The declaration a feature package exports as ``FEATURE``: all it adds to the bot, for ``lianfang.app`` to compose.

Every registry (the command table, the forms, the menus, the help, the scheduled steps and their times, the report
figures, the org-file sections, the CLI subcommands) is derived from these declarations, never kept as a second list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lianfang.bot.dispatcher import Command
from lianfang.bot.exports import Export
from lianfang.bot.forms import Form
from lianfang.bot.jobs import Job
from lianfang.bot.menu import MenuEntry
from lianfang.bot.org import Located, Org, OrgSection
from lianfang.bot.report_parts import ReportPart
from lianfang.bot.subcommands import CliRegistrar

if TYPE_CHECKING:
    from lianfang.bot.runtime import App
    from sqlmodel import Session
    from starlette.routing import BaseRoute

RouteFactory = Callable[["App"], Sequence["BaseRoute"]]
"""Build a feature's HTTP routes for a running instance (served beside the webhooks and /healthz)."""
OrgMemberCheck = Callable[["Session", Org], Located]
"""Check the members an org file names (by name) against the members table; problems located from the org's root."""


@dataclass(frozen=True)
class Feature:
    """What one feature adds: its commands and forms, and the entries the other registries are derived from."""

    name: str
    commands: tuple[Command, ...] = ()
    forms: tuple[Form, ...] = ()
    jobs: tuple[Job, ...] = ()
    """Its scheduled steps, each with the times it is due at."""
    menu: tuple[MenuEntry, ...] = ()
    """Its entries in the Telegram menus and in /help."""
    report: ReportPart | None = None
    """What it adds to the merged daily report: figures a report field may name as ``source``, and lines."""
    settings: OrgSection[Any] | None = None
    """The feature's table in the org file, if it has one."""
    cli: CliRegistrar | None = None
    """Adds the feature's subcommands to ``lianfang``, if it has any."""
    exports: tuple[Export, ...] = ()
    """The files it lets members have in chat through ``/export NAME`` (导出)."""
    routes: RouteFactory | None = None
    """Builds the feature's HTTP routes for an instance, if it serves pages."""
    org_members: OrgMemberCheck | None = None
    """Checks the member names the org file gives for the feature, when ``lianfang org check`` has a database."""
