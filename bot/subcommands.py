"""The subcommands a feature adds to ``lianfang``: the registrar's type, the runtime its handlers get, exit codes."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:
    from lianfang.bot.config import Settings
    from lianfang.bot.org import Org
    from lianfang.bot.runtime import App

S = TypeVar("S", bound="Settings")
"""The settings the CLI builds: the kernel's, with every platform's part."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
CLI_ACTOR = "cli"
"""The audit log's actor for the person at the terminal, when the system does not say who they are."""

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What ``add_subparsers()`` returned for ``lianfang``: a feature adds its own subcommands to it."""


@dataclass(frozen=True)
class CliRuntime(Generic[S]):
    """What ``lianfang`` gives a feature's subcommands: settings, org and app, each exiting plainly when wrong."""

    load_settings: Callable[[], S]
    """Read the settings from the environment and .env, exiting 2 with a plain message when they are wrong."""
    load_org: Callable[[S], Org]
    """Load the configured org file (with every feature's section), exiting 2 with its problems when invalid."""
    build_app: Callable[[S, Org], App]
    """Build an instance on the configured database, with the schema brought up to date."""

    def app(self) -> App:
        """Build the instance the environment describes, exiting with a plain message if it is misconfigured."""
        settings = self.load_settings()
        return self.build_app(settings, self.load_org(settings))


CliRegistrar: TypeAlias = Callable[["Subcommands", "CliRuntime[Any]"], None]
"""A feature's function that adds its subcommands to ``lianfang``, their handlers bound to the runtime."""


def cli_actor() -> str:
    """Name the person at the terminal for the audit log."""
    try:
        return f"{CLI_ACTOR}:{getpass.getuser()}"
    except (KeyError, OSError):
        return CLI_ACTOR


def community_or_exit(org: Org, ref: str | None) -> str | None:
    """Return the key of the community a key or name refers to (None if none given), exiting if it is unknown."""
    if not ref:
        return None
    found = org.community(ref)
    if found is None:
        names = ", ".join(f"{c.key} ({c.name})" for c in org.communities)
        print(f"lianfang: unknown community {ref!r}; communities: {names}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    return found.key
