"""Start observing a key person when a verification or a check result puts them under home or central observation."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from lianfang.bot.context import MemberContext
from lianfang.bot.types import Text
from lianfang.handlers.observation.settings import OBSERVATION
from lianfang.handlers.shared.labels import TIME_FORMAT
from lianfang.models.checks import MEASURE_CENTRAL, MEASURE_HOME, CheckResult
from lianfang.models.observation import KIND_CENTRAL, KIND_HOME, active_for_target, start_observation
from lianfang.models.screening import ScreeningTarget, ScreeningVisit

logger = logging.getLogger(__name__)

KIND_OF_MEASURE = {MEASURE_HOME: KIND_HOME, MEASURE_CENTRAL: KIND_CENTRAL}


def _start(
    ctx: MemberContext,
    *,
    kind: str,
    community: str,
    last_exposure: date,
    target_id: int | None = None,
    visit_id: int | None = None,
    check_id: int | None = None,
) -> list[Text]:
    """Start an observation unless the period is already over; return the line telling the recorder."""
    rules = OBSERVATION.of(ctx.org)
    if last_exposure + timedelta(days=rules.days) <= ctx.today:
        end = (last_exposure + timedelta(days=rules.days)).isoformat()
        return [Text("observation.not_needed", {"days": rules.days, "end": end})]
    observation = start_observation(
        session=ctx.session,
        now=ctx.now,
        day=ctx.today,
        days=rules.days,
        member_id=ctx.member_id,
        community=community,
        kind=kind,
        last_exposure=last_exposure,
        target_id=target_id,
        visit_id=visit_id,
        check_id=check_id,
    )
    logger.info("observation %s started (%s, ends %s)", observation.id, kind, observation.end_on)
    return [
        Text(
            "observation.started",
            {
                "number": observation.id,
                "end": observation.end_on.isoformat(),
                "time": rules.followup_time.strftime(TIME_FORMAT),
            },
        )
    ]


def start_from_visit(ctx: MemberContext, *, target: ScreeningTarget, visit: ScreeningVisit) -> list[Text]:
    """Start observing a ledger target put under observation by a verification; last exposure is the arrival."""
    kind = KIND_OF_MEASURE.get(visit.measure)
    if kind is None or target.id is None:
        return []
    current = active_for_target(session=ctx.session, target_id=target.id)
    if current is not None:
        return [Text("observation.already", {"number": current.id, "end": current.end_on.isoformat()})]
    return _start(
        ctx,
        kind=kind,
        community=target.community or "",
        last_exposure=target.arrival_date or visit.day,
        target_id=target.id,
        visit_id=visit.id,
    )


def start_from_check(ctx: MemberContext, *, record: CheckResult) -> list[Text]:
    """Start observing the person of a check result put under observation; last exposure is the check's day."""
    kind = KIND_OF_MEASURE.get(record.measure)
    if kind is None:
        return []
    return _start(ctx, kind=kind, community=record.community, last_exposure=record.day, check_id=record.id)
