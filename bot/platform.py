"""The Platform declaration: what a chat platform's package gives the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from lianfang.bot.checkup import Finding
from lianfang.bot.ports import Adapter
from lianfang.bot.subcommands import CliRegistrar, CliRuntime, Subcommands
from lianfang.bot.types import Text
from pydantic_settings import BaseSettings

if TYPE_CHECKING:
    from lianfang.bot.runtime import App
    from starlette.routing import BaseRoute

A = TypeVar("A", bound=Adapter)
S = TypeVar("S", bound=BaseSettings)

"""The exit statuses of ``lianfang`` commands, a platform's setup commands included: done, failed, bad input."""

WallClock = Callable[[], float]
"""The real time in Unix seconds (a platform's signed timestamps are judged against it, even on a simulated clock)."""


def settings_of(app: App, kind: type[S]) -> S:
    """Return the runtime's settings as a platform's part of them; TypeError if the CLI built them without it."""
    settings = app.settings
    if not isinstance(settings, kind):
        raise TypeError(f"the settings lack {kind.__name__}: build them with lianfang.app.platforms.Settings")
    return settings


@dataclass(frozen=True)
class Menus:
    """The command menus a platform may show: every command in private chats, a few in groups (names, no slash)."""

    private: Sequence[str] = ()
    group: Sequence[str] = ()
    labels: Mapping[str, Text] = field(default_factory=dict)
    """What each command does, as a menu shows it beside the command."""


async def nothing_to_check(_adapter: Any, _app: App) -> None:
    """Check nothing before the start (a platform whose adapter checks its credentials when it starts)."""


async def nothing_to_run(_adapter: Any, _app: App, _menus: Menus) -> list[asyncio.Task[None]]:
    """Run nothing beside the adapter (a platform that pushes its messages to the HTTP routes, or has none)."""
    return []


def no_routes(_adapter: Any, _app: App, _wall_clock: WallClock) -> Sequence[BaseRoute]:
    """Serve no HTTP route."""
    return ()


async def nothing_to_examine(_settings: Any) -> list[Finding]:
    """Examine nothing for ``lianfang doctor`` (a platform without a remote API)."""
    return []


def no_commands(_commands: Subcommands, _runtime: CliRuntime) -> None:
    """Add no ``lianfang`` subcommand."""


@dataclass(frozen=True)
class Platform(Generic[A]):
    """Declare one chat platform: its name, settings, adapter factory, HTTP routes, run hooks and setup commands.

    The platform's package exports one as ``PLATFORM``; ``app/platforms.py`` lists them, and serving, the HTTP app
    and the command line are derived from that list.
    """

    name: str
    """The platform name of its chats (``ChatRef.platform``), e.g. ``telegram``."""
    settings: type[BaseSettings] | None
    """Its part of the one Settings object (``LIANFANG_<NAME>_*``), or None when it has no settings."""
    enabled: Callable[[Any], bool]
    """Tell from the settings whether the platform is configured, so ``lianfang run`` serves it."""
    build: Callable[[App], A | None]
    """Build the adapter from the runtime and its settings; None when the platform is not configured."""
    routes: Callable[[A, App, WallClock], Sequence[BaseRoute]] = no_routes
    """The HTTP routes that receive its messages (a webhook, a callback), for the adapter being served."""
    over_http: Callable[[Any], bool] = lambda _settings: True
    """Tell from the settings whether messages arrive over HTTP, so ``lianfang run`` serves the routes."""
    redelivery: Callable[[Any], timedelta | None] = lambda _settings: None
    """How long after sending a delivery the platform may send it again, so its id must be remembered; None: never."""
    check: Callable[[A, App], Awaitable[None]] = nothing_to_check
    """Check the setup before anything starts; raise ``SetupRefused`` with what the operator must fix."""
    run: Callable[[A, App, Menus], Awaitable[list[asyncio.Task[None]]]] = nothing_to_run
    """Once the adapters started: set up receiving (polling, a webhook); return the tasks that must keep running."""
    cli: CliRegistrar = no_commands
    doctor: Callable[[Any], Awaitable[list[Finding]]] = nothing_to_examine
    """Check its remote API for ``lianfang doctor`` from the settings alone (credentials, webhook), a line each."""
    """Add its setup subcommands to ``lianfang``; they build the runtime through the CLI runtime given."""
