"""督办 data: steps only from the states that allow them, colours in SQL, the day's figures, the group index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lianfang.bot.db import make_engine, upgrade
from lianfang.models.members import create_member
from lianfang.models.supervision import (
    ACTION_ACCEPT,
    ACTION_APPROVE_EXTENSION,
    ACTION_CONFIRM,
    ACTION_REPORT_DONE,
    ACTION_REQUEST_EXTENSION,
    ACTION_RETURN,
    COLOUR_BLUE,
    COLOUR_GREEN,
    COLOUR_RED,
    COLOUR_YELLOW,
    ColourRules,
    SupervisionItem,
    act,
    colour_counts,
    create_item,
    events_of,
    open_items,
    supervision_figures,
)
from sqlmodel import Session

NOW = datetime(2020, 1, 28, 2, 0, tzinfo=UTC)
RULES = ColourRules(near=timedelta(hours=24), stale=timedelta(days=2), accept_within=timedelta(hours=2))


def new_item(session: Session, creator: int, group: str, due_in: timedelta, **fields: object) -> SupervisionItem:
    return create_item(
        session=session,
        now=NOW,
        creator_id=creator,
        source="instruction",
        content="完成核查",
        lead_group=group,
        due_at=NOW + due_in,
        **fields,  # type: ignore[arg-type]
    )


def test_steps_follow_the_states_and_a_second_tap_changes_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        leader = create_member(
            session=session,
            name="王宏武",
            group_key="coordination",
            role="leader",
            community=None,
            lang="zh_CN",
            now=NOW,
        )
        assert leader.id is not None
        item = new_item(session, leader.id, "screening", timedelta(days=3))
        step = {"session": session, "item": item, "member_id": leader.id, "now": NOW}
        assert not act(**step, action=ACTION_CONFIRM)  # nothing to confirm yet
        assert act(**step, action=ACTION_ACCEPT)
        assert not act(**step, action=ACTION_ACCEPT)
        assert not act(**step, action=ACTION_APPROVE_EXTENSION)  # nothing asked
        assert act(**step, action=ACTION_REQUEST_EXTENSION, note="人手不足", due_at=NOW + timedelta(days=5))
        assert not act(**step, action=ACTION_REQUEST_EXTENSION, note="再延", due_at=NOW + timedelta(days=6))
        assert act(**step, action=ACTION_APPROVE_EXTENSION)
        assert (item.state, item.extensions, item.due_at) == ("extended", 1, NOW + timedelta(days=5))
        assert act(**step, action=ACTION_REPORT_DONE, note="已完成")
        assert act(**step, action=ACTION_RETURN, note="补充材料")
        assert (item.state, item.returns) == ("returned", 1)
        assert act(**step, action=ACTION_REPORT_DONE, note="已补充")
        assert act(**step, action=ACTION_CONFIRM)
        assert not act(**step, action=ACTION_CONFIRM)
        assert not act(**step, action=ACTION_REQUEST_EXTENSION, note="x", due_at=NOW + timedelta(days=9))
        assert item.state == "done" and item.closed_at is not None
        actions = [event.action for event in events_of(session=session, item_id=item.id or 0)]
        assert actions == [
            "create", "accept", "ask_extension", "approve", "report_done", "return", "report_done", "confirm",
        ]  # fmt: skip
        session.commit()
    engine.dispose()


def test_colours_counts_scope_and_figures_in_sql(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        leader = create_member(
            session=session,
            name="王宏武",
            group_key="coordination",
            role="leader",
            community=None,
            lang="zh_CN",
            now=NOW,
        )
        creator = leader.id or 0
        red = new_item(session, creator, "screening", timedelta(hours=1))
        blue = new_item(session, creator, "screening", timedelta(hours=20))
        green = new_item(session, creator, "publicity", timedelta(days=3), assist_groups=("screening",))
        new_item(session, creator, "supplies", timedelta(days=3))
        for item in (red, blue, green):
            act(session=session, item=item, action=ACTION_ACCEPT, member_id=creator, now=NOW)
        later = NOW + timedelta(hours=3)  # the supplies item, never accepted, is yellow by now
        counts = colour_counts(session=session, now=later, rules=RULES)
        assert counts == {COLOUR_RED: 1, COLOUR_YELLOW: 1, COLOUR_BLUE: 1, COLOUR_GREEN: 1}
        screening = open_items(session=session, now=later, rules=RULES, group="screening")
        assert [(item.id, colour) for item, colour in screening] == [
            (red.id, COLOUR_RED),
            (blue.id, COLOUR_BLUE),
            (green.id, COLOUR_GREEN),
        ]
        assert open_items(session=session, now=later, rules=RULES, group="stability") == []
        act(session=session, item=blue, action=ACTION_REPORT_DONE, member_id=creator, now=later)
        act(session=session, item=blue, action=ACTION_CONFIRM, member_id=creator, now=later)
        figures = supervision_figures(session=session, start=NOW, end=NOW + timedelta(days=1), now=later)
        assert (figures.open, figures.overdue, figures.closed_today, figures.new_today) == (3, 1, 1, 4)
        session.commit()
    engine.dispose()
