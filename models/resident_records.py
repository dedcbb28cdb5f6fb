"""One resident's records, for an erasure on request: found from their ID number on the ledger.

A check result or a referral carries no ID number: one is the resident's when it names them with one of their phones
(today's on the ledger, or an earlier one), found in SQL by the phone's blind index. An incident's people involved
are free text, which no single index can stand for: an incident is theirs when that text holds one of their phones
or their ID number, read here once opened (incidents are few, and only those not erased yet are read).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from lianfang.models.base import table_of
from lianfang.models.checks import PHONE_COLUMN as CHECK_PHONE
from lianfang.models.checks import CheckResult
from lianfang.models.incidents import Incident
from lianfang.models.observation import Observation
from lianfang.models.referrals import PHONE_COLUMN as REFERRAL_PHONE
from lianfang.models.referrals import Referral
from lianfang.models.retention import (
    KIND_CHECKS,
    KIND_INCIDENTS,
    KIND_LEDGER,
    KIND_OBSERVATIONS,
    KIND_REFERRALS,
    KINDS,
    not_erased,
    visits_of,
)
from lianfang.models.screening import (
    FIELD_PHONE,
    ScreeningTarget,
    ScreeningTargetChange,
    existing_by_id_number,
)
from lianfang.models.sealed import blind_indexes
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, or_, select

NUMBER_NOISE = re.compile(r"[\s\-()（）]")
"""What people put inside a written phone number: spaces, dashes, brackets."""


def targets_of_person(*, session: Session, id_number: str) -> list[ScreeningTarget]:
    """Return the ledger targets with this (normalized) ID number: the resident an erasure request names."""
    return list(existing_by_id_number(session=session, id_numbers=[id_number]).values())


def phones_of(*, session: Session, targets: Sequence[ScreeningTarget]) -> set[str]:
    """Return every phone the ledger has had for these targets: today's, and earlier ones a later list replaced."""
    phones = {t.phone for t in targets if t.phone}
    target_ids = [t.id for t in targets if t.id is not None]
    earlier = session.exec(
        select(ScreeningTargetChange.old_value).where(
            col(ScreeningTargetChange.target_id).in_(target_ids), ScreeningTargetChange.field == FIELD_PHONE
        )
    )
    phones.update(value for value in earlier if value)
    return phones


def _named_with_phone(
    session: Session, model: type[SQLModel], context: str, names: Iterable[str], phones: Iterable[str]
) -> set[int]:
    """Return the rows of a table naming one of these people with one of these phones, by the phone's blind index."""
    indexes = [index for phone in phones for index in blind_indexes(phone, context=context)]
    if not indexes:
        return set()
    core = table_of(model)
    query = sa_select(core.c.id).where(core.c.person.in_(list(names)), core.c.phone_index.in_(indexes))
    return {int(row_id) for row_id in session.execute(query).scalars()}


def _compact(text: str) -> str:
    """Return text as numbers are compared in it: full-width digits as ASCII, no spaces or dashes, upper case."""
    return NUMBER_NOISE.sub("", unicodedata.normalize("NFKC", text)).upper()


def incidents_naming(*, session: Session, phones: Iterable[str], id_numbers: Iterable[str]) -> list[int]:
    """Return the incidents not erased yet whose people involved hold one of these phones or ID numbers."""
    wanted = [_compact(number) for number in (*phones, *id_numbers) if number]
    if not wanted:
        return []
    rows = session.exec(
        select(Incident.id, Incident.people)
        .where(Incident.people != "", not_erased(Incident))
        .order_by(col(Incident.id))
    )
    return [
        int(incident_id)
        for incident_id, people in rows
        if incident_id is not None and any(number in _compact(people) for number in wanted)
    ]


def records_of_person(*, session: Session, targets: Sequence[ScreeningTarget]) -> dict[str, list[int]]:
    """Return, by kind, the records about the resident these ledger targets are: their own and those made from them."""
    target_ids = [t.id for t in targets if t.id is not None]
    if not target_ids:
        return {kind: [] for kind in KINDS}
    visits = visits_of(target_ids)
    names = {t.name for t in targets}
    phones = phones_of(session=session, targets=targets)
    checks = _named_with_phone(session, CheckResult, CHECK_PHONE, names, phones)
    observed = session.exec(
        select(Observation.id, Observation.check_id).where(
            or_(col(Observation.target_id).in_(target_ids), col(Observation.visit_id).in_(visits))
        )
    ).all()
    checks.update(check_id for _, check_id in observed if check_id is not None)
    observations = {i for i, _ in observed if i is not None}
    if checks:
        observations.update(
            i for i in session.exec(select(Observation.id).where(col(Observation.check_id).in_(checks))) if i
        )
    link: list[Any] = [col(Referral.target_id).in_(target_ids), col(Referral.visit_id).in_(visits)]
    if checks:
        link.append(col(Referral.check_id).in_(checks))
    referrals = {i for i in session.exec(select(Referral.id).where(or_(*link))) if i is not None}
    referrals |= _named_with_phone(session, Referral, REFERRAL_PHONE, names, phones)
    id_numbers = [t.id_number for t in targets if t.id_number]
    return {
        KIND_CHECKS: sorted(checks),
        KIND_LEDGER: sorted(target_ids),
        KIND_OBSERVATIONS: sorted(observations),
        KIND_REFERRALS: sorted(referrals),
        KIND_INCIDENTS: incidents_naming(session=session, phones=phones, id_numbers=id_numbers),
    }
