"""督办 items (supervised tasks) and their history: every step kept with who and when, nothing deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lianfang.models.base import table_of, to_db_time
from lianfang.models.files import KeptFile
from sqlalchemy import ColumnElement, Index, and_, case, func, literal, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

STATE_PENDING = "pending"
"""待签收: sent to the lead group, nobody accepted it yet."""
STATE_IN_PROGRESS = "in_progress"
"""办理中."""
STATE_AWAITING = "awaiting"
"""待确认: reported done, waiting for the creator."""
STATE_DONE = "done"
"""已办结."""
STATE_RETURNED = "returned"
"""已退回: the creator sent the report of done back; it is open again."""
STATE_EXTENDED = "extended"
"""已延期: an extension was approved; open, with the new due date."""
STATE_WITHDRAWN = "withdrawn"
"""已撤销, with a reason."""
STATES = (
    STATE_PENDING,
    STATE_IN_PROGRESS,
    STATE_AWAITING,
    STATE_DONE,
    STATE_RETURNED,
    STATE_EXTENDED,
    STATE_WITHDRAWN,
)
WORKING = (STATE_PENDING, STATE_IN_PROGRESS, STATE_RETURNED, STATE_EXTENDED)
"""States in which the lead group works on the item, and is chased."""
OPEN = (*WORKING, STATE_AWAITING)
CLOSED = (STATE_DONE, STATE_WITHDRAWN)

SOURCE_INSTRUCTION = "instruction"
SOURCE_MEETING = "meeting"
SOURCE_SUPERIOR = "superior"
SOURCE_OTHER = "other"
SOURCE_INSPECTION = "inspection"
SOURCES = (SOURCE_INSTRUCTION, SOURCE_MEETING, SOURCE_SUPERIOR, SOURCE_OTHER, SOURCE_INSPECTION)

PRIORITY_NORMAL = "normal"
PRIORITY_URGENT = "urgent"
PRIORITIES = (PRIORITY_NORMAL, PRIORITY_URGENT)

COLOUR_GREEN = "green"
COLOUR_BLUE = "blue"
COLOUR_YELLOW = "yellow"
COLOUR_RED = "red"
COLOURS = (COLOUR_RED, COLOUR_YELLOW, COLOUR_BLUE, COLOUR_GREEN)
"""Most urgent first: lists and digests go in this order."""

ACTION_CREATE = "create"
ACTION_ACCEPT = "accept"
ACTION_PROGRESS = "progress"
ACTION_REQUEST_EXTENSION = "ask_extension"
ACTION_APPROVE_EXTENSION = "approve"
ACTION_REFUSE_EXTENSION = "refuse"
ACTION_REPORT_DONE = "report_done"
ACTION_CONFIRM = "confirm"
ACTION_RETURN = "return"
ACTION_WITHDRAW = "withdraw"
ACTION_ESCALATE = "escalate"
"""A chase the scheduler sent (its colour in the note, or ``FLAG_ACCOUNTABILITY``)."""
FLAG_ACCOUNTABILITY = "accountability"
"""The note of the 问责提示 sent for a 整改 item overdue too long."""

MAX_CONTENT = 500
MAX_REFERENCE = 64
MAX_NOTE = 1000
MAX_GROUPS = 200


class SupervisionItem(SQLModel, table=True):
    """One 督办 item: what was instructed, to which group, by when, and where it stands."""

    __table_args__ = (
        Index("ix_supervisionitem_state_due", "state", "due_at"),
        Index("ix_supervisionitem_group_state", "lead_group", "state"),
        Index("ix_supervisionitem_closed_at", "closed_at"),
        Index("ix_supervisionitem_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    creator_id: int = Field(foreign_key="member.id")
    source: str = Field(max_length=16)
    reference: str = Field(default="", max_length=MAX_REFERENCE)
    """The document number of the source, such as 区指挥部〔2020〕3号."""
    content: str = Field(max_length=MAX_CONTENT)
    lead_group: str = Field(max_length=32)
    assist_groups: str = Field(default="", max_length=MAX_GROUPS)
    """Keys of the assisting groups, each with a space on either side (so a key is matched whole)."""
    priority: str = Field(default=PRIORITY_NORMAL, max_length=8)
    due_at: datetime
    state: str = Field(default=STATE_PENDING, max_length=16)
    accepted_at: datetime | None = None
    last_activity_at: datetime
    """The latest sign of work: created, accepted, a progress note, an extension, a return."""
    requested_due_at: datetime | None = None
    """An extension asked for and not yet decided."""
    request_reason: str = Field(default="", max_length=MAX_NOTE)
    closed_at: datetime | None = None
    extensions: int = 0
    returns: int = 0
    red_repeats: int = 0
    """Daily red chases sent since the item last went red."""
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id", index=True)
    """For a 整改 item: the inspection that found the problem."""
    attachment_id: int | None = Field(default=None, foreign_key="keptfile.id")
    """A photo or file of the 批示, sent with the item's form."""

    @property
    def assisting(self) -> tuple[str, ...]:
        """Return the assisting groups' keys."""
        return tuple(self.assist_groups.split())


class SupervisionEvent(SQLModel, table=True):
    """One step in an item's history: what happened, who did it, when, with an optional note."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="supervisionitem.id", index=True)
    at: datetime
    member_id: int | None = Field(default=None, foreign_key="member.id")
    """None for the scheduler's steps."""
    action: str = Field(max_length=16)
    note: str = Field(default="", max_length=MAX_NOTE)
    due_at: datetime | None = None
    """The due date the step set or asked for (an extension)."""
    evidence_id: int | None = Field(default=None, foreign_key="keptfile.id")
    """A photo or file sent as evidence with a progress note or a report of done."""


class SupervisionShare(SQLModel, table=True):
    """One group an item belongs to, leading or assisting: what a group's list is looked up by (written once)."""

    __table_args__ = (Index("ix_supervisionshare_group_item", "group_key", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="supervisionitem.id")
    group_key: str = Field(max_length=32)


@dataclass(frozen=True)
class ColourRules:
    """When an open item changes colour."""

    near: timedelta
    """Blue when the due time is this close."""
    stale: timedelta
    """Yellow when no sign of work came for this long."""
    accept_within: timedelta
    """Yellow when nobody accepted the item this long after it was sent."""


@dataclass(frozen=True)
class SupervisionFigures:
    """The day's 督办 figures for the daily report."""

    open: int
    overdue: int
    closed_today: int
    new_today: int


@dataclass(frozen=True)
class Rule:
    """Which states an action may start from, and what it changes."""

    from_states: tuple[str, ...]
    to_state: str | None
    request: bool | None = None
    """Whether an extension request must be pending (True), must not be (False), or either (None)."""


RULES: dict[str, Rule] = {
    ACTION_ACCEPT: Rule((STATE_PENDING,), STATE_IN_PROGRESS),
    ACTION_PROGRESS: Rule(WORKING, None),
    ACTION_REQUEST_EXTENSION: Rule(WORKING, None, request=False),
    ACTION_APPROVE_EXTENSION: Rule(WORKING, STATE_EXTENDED, request=True),
    ACTION_REFUSE_EXTENSION: Rule(WORKING, None, request=True),
    ACTION_REPORT_DONE: Rule(WORKING, STATE_AWAITING),
    ACTION_CONFIRM: Rule((STATE_AWAITING,), STATE_DONE),
    ACTION_RETURN: Rule((STATE_AWAITING,), STATE_RETURNED),
    ACTION_WITHDRAW: Rule(OPEN, STATE_WITHDRAWN),
}
"""The steps people take on an item; anything else (a second 办结, extending a closed item) is refused."""


def create_item(
    *,
    session: Session,
    now: datetime,
    creator_id: int,
    source: str,
    content: str,
    lead_group: str,
    due_at: datetime,
    priority: str = PRIORITY_NORMAL,
    reference: str = "",
    assist_groups: tuple[str, ...] = (),
    inspection_id: int | None = None,
    attachment_id: int | None = None,
) -> SupervisionItem:
    """Store a new item and its first history row, in the caller's transaction."""
    stamp = to_db_time(now)
    item = SupervisionItem(
        created_at=stamp,
        creator_id=creator_id,
        source=source,
        reference=reference,
        content=content,
        lead_group=lead_group,
        assist_groups=f" {' '.join(assist_groups)} " if assist_groups else "",
        priority=priority,
        due_at=to_db_time(due_at),
        last_activity_at=stamp,
        inspection_id=inspection_id,
        attachment_id=attachment_id,
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    session.add(SupervisionEvent(item_id=item.id, at=stamp, member_id=creator_id, action=ACTION_CREATE))
    for group in dict.fromkeys((lead_group, *assist_groups)):
        session.add(SupervisionShare(item_id=item.id, group_key=group))
    session.flush()
    return item


def get_item(*, session: Session, item_id: int) -> SupervisionItem | None:
    """Return an item by number."""
    return session.get(SupervisionItem, item_id)


def events_of(*, session: Session, item_id: int) -> list[SupervisionEvent]:
    """Return an item's history, oldest first."""
    query = select(SupervisionEvent).where(SupervisionEvent.item_id == item_id)
    return list(session.exec(query.order_by(col(SupervisionEvent.at), col(SupervisionEvent.id))))


def may_act(item: SupervisionItem, action: str) -> bool:
    """Tell whether an action may be taken on an item as it stands."""
    rule = RULES[action]
    if item.state not in rule.from_states:
        return False
    return rule.request is None or rule.request == (item.requested_due_at is not None)


def act(
    *,
    session: Session,
    item: SupervisionItem,
    action: str,
    member_id: int,
    now: datetime,
    note: str = "",
    due_at: datetime | None = None,
    evidence_id: int | None = None,
) -> bool:
    """Take one step on an item and record it (with its evidence, a kept file); False if the item no longer stands
    where the step needs it.

    The update is conditional on the state the caller saw, so a double tap or a concurrent step changes nothing.
    """
    if not may_act(item, action):
        return False
    rule = RULES[action]
    table = table_of(SupervisionItem)
    stamp = to_db_time(now)
    values: dict[str, Any] = _changes(action, item, stamp, note, due_at)
    if rule.to_state is not None:
        values["state"] = rule.to_state
    condition = and_(table.c.id == item.id, table.c.state == item.state)
    if rule.request is not None:
        pending = table.c.requested_due_at.is_not(None)
        condition = and_(condition, pending if rule.request else table.c.requested_due_at.is_(None))
    moved = session.connection().execute(update(table).where(condition).values(**values).returning(table.c.id)).first()
    if moved is None:
        return False
    assert item.id is not None
    event_due = due_at if due_at is not None else item.requested_due_at if action == ACTION_APPROVE_EXTENSION else None
    session.add(
        SupervisionEvent(
            item_id=item.id,
            at=stamp,
            member_id=member_id,
            action=action,
            note=note,
            due_at=to_db_time(event_due) if event_due is not None else None,
            evidence_id=evidence_id,
        )
    )
    session.flush()
    session.refresh(item)
    return True


def _changes(action: str, item: SupervisionItem, stamp: datetime, note: str, due_at: datetime | None) -> dict[str, Any]:
    """Return the columns an action sets besides the state."""
    if action in (ACTION_ACCEPT, ACTION_PROGRESS):
        return {"accepted_at": item.accepted_at or stamp, "last_activity_at": stamp, "state": STATE_IN_PROGRESS}
    if action == ACTION_REQUEST_EXTENSION:
        assert due_at is not None
        return {"requested_due_at": to_db_time(due_at), "request_reason": note}
    if action == ACTION_APPROVE_EXTENSION:
        return {
            "due_at": item.requested_due_at,
            "requested_due_at": None,
            "request_reason": "",
            "extensions": item.extensions + 1,
            "red_repeats": 0,
            "last_activity_at": stamp,
        }
    if action == ACTION_REFUSE_EXTENSION:
        return {"requested_due_at": None, "request_reason": ""}
    if action == ACTION_REPORT_DONE:
        return {"requested_due_at": None, "request_reason": "", "last_activity_at": stamp}
    if action == ACTION_CONFIRM:
        return {"closed_at": stamp}
    if action == ACTION_RETURN:
        return {"returns": item.returns + 1, "last_activity_at": stamp}
    return {"requested_due_at": None, "request_reason": ""}


def record_escalation(*, session: Session, item: SupervisionItem, colour: str, now: datetime, repeat: bool) -> None:
    """Record a chase in the item's history; a red repeat also counts towards the cap."""
    assert item.id is not None
    session.add(SupervisionEvent(item_id=item.id, at=to_db_time(now), action=ACTION_ESCALATE, note=colour))
    if repeat:
        table = table_of(SupervisionItem)
        session.connection().execute(
            update(table).where(table.c.id == item.id).values(red_repeats=table.c.red_repeats + 1)
        )
    session.flush()


def colour_of(now: datetime, rules: ColourRules) -> ColumnElement[str]:
    """Return the SQL expression of an open item's colour at ``now``: red, then yellow, blue, green."""
    stamp = to_db_time(now)
    item = SupervisionItem
    stale = or_(
        and_(col(item.state) == STATE_PENDING, col(item.created_at) <= stamp - rules.accept_within),
        and_(col(item.state) != STATE_AWAITING, col(item.last_activity_at) <= stamp - rules.stale),
    )
    return case(
        (col(item.due_at) <= stamp, literal(COLOUR_RED)),
        (stale, literal(COLOUR_YELLOW)),
        (col(item.due_at) <= stamp + rules.near, literal(COLOUR_BLUE)),
        else_=literal(COLOUR_GREEN),
    )


def _scope(query: Any, group: str | None) -> Any:
    """Keep the items a group leads or assists, driven by the share index; None: every item."""
    if group is None:
        return query
    joined = query.join(SupervisionShare, col(SupervisionShare.item_id) == col(SupervisionItem.id))
    return joined.where(SupervisionShare.group_key == group)


def open_items(
    *,
    session: Session,
    now: datetime,
    rules: ColourRules,
    group: str | None = None,
    colour: str | None = None,
    limit: int = 50,
    after: tuple[datetime, int] | None = None,
) -> list[tuple[SupervisionItem, str]]:
    """Return open items with their colour, most urgent first, then by due time; of one group, or all.

    ``after`` (a due time and number, with one ``colour``) pages on: only the items past that one are returned.
    """
    shade = colour_of(now, rules).label("colour")
    rank = case({name: index for index, name in enumerate(COLOURS)}, value=shade)
    query = _scope(select(SupervisionItem, shade).where(col(SupervisionItem.state).in_(OPEN)), group)
    if colour is not None:
        query = query.where(shade == colour)
    if after is not None:
        query = query.where(_past(after))
    query = query.order_by(rank, col(SupervisionItem.due_at), col(SupervisionItem.id)).limit(limit)
    return [(item, str(shade_value)) for item, shade_value in session.exec(query)]


def colour_counts(
    *,
    session: Session,
    now: datetime,
    rules: ColourRules,
    group: str | None = None,
) -> dict[str, int]:
    """Count open items by colour, in SQL."""
    shade = colour_of(now, rules)
    query = _scope(select(shade, func.count()).where(col(SupervisionItem.state).in_(OPEN)), group)
    counts = dict.fromkeys(COLOURS, 0)
    counts.update({str(name): int(count) for name, count in session.exec(query.group_by(shade))})
    return counts


def item_colour(*, session: Session, item_id: int, now: datetime, rules: ColourRules) -> str | None:
    """Return one open item's colour, or None when it is closed."""
    query = select(colour_of(now, rules)).where(SupervisionItem.id == item_id, col(SupervisionItem.state).in_(OPEN))
    found = session.exec(query).first()
    return None if found is None else str(found)


def closed_between(*, session: Session, start: datetime, end: datetime, limit: int = 50) -> list[SupervisionItem]:
    """Return the items confirmed done within [start, end), in order."""
    query = select(SupervisionItem).where(
        SupervisionItem.state == STATE_DONE,
        col(SupervisionItem.closed_at) >= to_db_time(start),
        col(SupervisionItem.closed_at) < to_db_time(end),
    )
    return list(session.exec(query.order_by(col(SupervisionItem.closed_at)).limit(limit)))


def supervision_figures(*, session: Session, start: datetime, end: datetime, now: datetime) -> SupervisionFigures:
    """Count, in SQL, items open at ``end`` (of which overdue at ``now``), and items closed and created within
    [start, end)."""
    first, last, stamp = to_db_time(start), to_db_time(end), to_db_time(now)
    item = SupervisionItem
    # Open at the end of the window: created before it, and still open or confirmed done only after it.
    done_later = and_(col(item.state) == STATE_DONE, col(item.closed_at) >= last)
    is_open = and_(col(item.created_at) < last, or_(col(item.state).in_(OPEN), done_later))
    row = session.exec(
        select(
            func.count().filter(is_open),
            func.count().filter(is_open, col(item.due_at) <= stamp),
            func.count().filter(
                col(item.state) == STATE_DONE, col(item.closed_at) >= first, col(item.closed_at) < last
            ),
            func.count().filter(col(item.created_at) >= first, col(item.created_at) < last),
        )
    ).one()
    return SupervisionFigures(open=int(row[0]), overdue=int(row[1]), closed_today=int(row[2]), new_today=int(row[3]))


def rectifications(
    *, session: Session, groups: tuple[str, ...] | None = None, limit: int = 50
) -> list[tuple[SupervisionItem, bool]]:
    """Return 整改 items (newest first) with whether each was flagged 问责提示; None groups: every group's."""
    flagged = (
        select(SupervisionEvent.item_id)
        .where(SupervisionEvent.action == ACTION_ESCALATE, SupervisionEvent.note == FLAG_ACCOUNTABILITY)
        .scalar_subquery()
    )
    query = select(SupervisionItem, col(SupervisionItem.id).in_(flagged)).where(
        col(SupervisionItem.inspection_id).is_not(None)
    )
    if groups is not None:
        query = query.where(col(SupervisionItem.lead_group).in_(groups))
    query = query.order_by(col(SupervisionItem.id).desc()).limit(limit)
    return [(item, bool(flag)) for item, flag in session.exec(query)]


def overdue_rectifications(
    *, session: Session, before: datetime, limit: int = 500, after: tuple[datetime, int] | None = None
) -> list[SupervisionItem]:
    """Return open 整改 items due before a moment (overdue by more than the accountability days), by due time;
    ``after`` (a due time and number) pages on past that item."""
    query = select(SupervisionItem).where(
        col(SupervisionItem.inspection_id).is_not(None),
        col(SupervisionItem.state).in_(WORKING),
        col(SupervisionItem.due_at) < to_db_time(before),
    )
    if after is not None:
        query = query.where(_past(after))
    return list(session.exec(query.order_by(col(SupervisionItem.due_at), col(SupervisionItem.id)).limit(limit)))


def _past(after: tuple[datetime, int]) -> ColumnElement[bool]:
    """Return the keyset condition: due later than ``after``, or due at the same time with a higher number."""
    due_at, item_id = to_db_time(after[0]), after[1]
    return or_(
        col(SupervisionItem.due_at) > due_at,
        and_(col(SupervisionItem.due_at) == due_at, col(SupervisionItem.id) > item_id),
    )


def items_with_colour(
    *, session: Session, now: datetime, rules: ColourRules
) -> list[tuple[SupervisionItem, str | None]]:
    """Return every item in number order with its colour at ``now`` (None for a closed item), for the export."""
    shade = colour_of(now, rules)
    query = select(SupervisionItem, shade, col(SupervisionItem.state).in_(OPEN)).order_by(col(SupervisionItem.id))
    return [(item, str(colour) if is_open else None) for item, colour, is_open in session.exec(query)]


def latest_notes(*, session: Session, actions: tuple[str, ...]) -> dict[int, str]:
    """Return each item's latest note among some actions (progress, done), in one query."""
    query = (
        select(SupervisionEvent.item_id, SupervisionEvent.note)
        .where(col(SupervisionEvent.action).in_(actions), SupervisionEvent.note != "")
        .order_by(col(SupervisionEvent.id))
    )
    return dict(session.exec(query).all())


def evidence_of(*, session: Session, item_id: int) -> list[SupervisionEvent]:
    """Return the steps of an item that came with evidence, oldest first."""
    query = select(SupervisionEvent).where(
        SupervisionEvent.item_id == item_id, col(SupervisionEvent.evidence_id).is_not(None)
    )
    return list(session.exec(query.order_by(col(SupervisionEvent.at), col(SupervisionEvent.id))))


def evidence_names(*, session: Session) -> dict[int, list[str]]:
    """Return each item's evidence file names, oldest first, in one query (for the export)."""
    query = (
        select(SupervisionEvent.item_id, KeptFile.file_name)
        .join(KeptFile, col(KeptFile.id) == col(SupervisionEvent.evidence_id))
        .order_by(col(SupervisionEvent.id))
    )
    names: dict[int, list[str]] = {}
    for item_id, name in session.exec(query):
        names.setdefault(item_id, []).append(name)
    return names


def kept_file_names(*, session: Session, file_ids: list[int]) -> dict[int, str]:
    """Return kept files' names by id, in one query (a 整改 item's photo, for the export)."""
    if not file_ids:
        return {}
    query = select(KeptFile.id, KeptFile.file_name).where(col(KeptFile.id).in_(file_ids))
    return {file_id: name for file_id, name in session.exec(query) if file_id is not None}
