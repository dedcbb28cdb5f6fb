"""The personal data of the persons a message is about, for the outbox's privacy guard (see ``bot.privacy``)."""

from __future__ import annotations

from collections.abc import Sequence

from lianfang.bot.privacy import PersonalData
from lianfang.bot.types import (
    SUBJECT_CHECK,
    SUBJECT_OBSERVATION,
    SUBJECT_REFERRAL,
    SUBJECT_TARGET,
    SUBJECT_VISIT,
    Subject,
)
from lianfang.models.checks import CheckResult
from lianfang.models.observation import get_observation, person_of
from lianfang.models.referrals import get_referral
from lianfang.models.screening import ScreeningTarget, ScreeningVisit, get_target
from sqlmodel import Session


def _target(target: ScreeningTarget | None) -> list[PersonalData]:
    if target is None:
        return []
    return [PersonalData(target.name, target.address, target.phone, target.id_number)]


def _check(session: Session, number: int) -> list[PersonalData]:
    check = session.get(CheckResult, number)
    return [PersonalData(check.person, check.address, check.phone)] if check is not None else []


def _visit(session: Session, number: int) -> list[PersonalData]:
    visit = session.get(ScreeningVisit, number)
    return _target(get_target(session=session, target_id=visit.target_id)) if visit is not None else []


def _observation(session: Session, number: int) -> list[PersonalData]:
    observation = get_observation(session=session, observation_id=number)
    if observation is None:
        return []
    person = person_of(session=session, observation=observation)
    found = [PersonalData(person.name, person.address, person.phone)]
    if observation.target_id is not None:
        found += _target(get_target(session=session, target_id=observation.target_id))
    return found


def _referral(session: Session, number: int) -> list[PersonalData]:
    referral = get_referral(session=session, referral_id=number)
    return [PersonalData(referral.person, referral.address, referral.phone)] if referral is not None else []


LOADERS = {
    SUBJECT_CHECK: _check,
    SUBJECT_VISIT: _visit,
    SUBJECT_TARGET: lambda session, number: _target(get_target(session=session, target_id=number)),
    SUBJECT_OBSERVATION: _observation,
    SUBJECT_REFERRAL: _referral,
}


def personal_data(session: Session, subjects: Sequence[Subject]) -> list[PersonalData]:
    """Return the personal data of every subject that exists (an unknown kind names nobody)."""
    found: list[PersonalData] = []
    for kind, number in subjects:
        loader = LOADERS.get(kind)
        if loader is not None:
            found += loader(session, number)
    return found
