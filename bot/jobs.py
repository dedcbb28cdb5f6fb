"""The scheduled steps a feature declares, and the small runtime the scheduler runs them with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Protocol

from lianfang.bot.config import Settings
from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.org import Org
from lianfang.bot.types import OutgoingMessage
from sqlalchemy import Engine
from sqlmodel import Session


class JobRuntime(Protocol):
    """What a scheduled step runs with: the database, the org, the settings and a context per transaction."""

    @property
    def engine(self) -> Engine: ...

    @property
    def org(self) -> Org: ...

    @property
    def tz(self) -> tzinfo: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def redelivery(self) -> Mapping[str, timedelta]:
        """How long each platform may deliver the same event again, by platform name."""
        ...

    def context(self, session: Session, now: datetime) -> Context:
        """Build a context for work not caused by a message."""
        ...


Step = Callable[[JobRuntime, datetime], list[OutgoingMessage]]
"""A scheduled step: given ``now``, do what is due and not yet done (idempotent); return what it queued."""
Times = Callable[[Org], list[time]]
"""The local times of day at which a step has something due, read from the org file."""


def no_times(_org: Org) -> list[time]:
    """Return no fixed times: the step is run by the catch-up tick alone."""
    return []


@dataclass(frozen=True)
class Job:
    """One scheduled step of a feature: its name, the times it is due at, and the step itself.

    The scheduler fires cron triggers at ``times`` and also runs every step on each catch-up tick; the step decides
    from ``now`` what is due, so both roads read the same times.
    """

    name: str
    step: Step
    times: Times = no_times
    in_quiet_hours: bool = False
    """Whether the step runs during the org's quiet hours (it may still choose to send nothing then)."""


def in_one_transaction(work: Callable[[Context], object]) -> Step:
    """Return a step that does ``work`` in one transaction of its own, so its failure leaves other steps done."""

    def step(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
        with session_scope(runtime.engine) as session:
            ctx = runtime.context(session, now)
            work(ctx)
            return ctx.sent

    step.__doc__ = work.__doc__
    return step
