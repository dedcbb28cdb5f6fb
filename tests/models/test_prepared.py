"""Statements run on the driver's cursor (``Prepared``) read and write what SQLAlchemy would, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lianfang.bot.db import make_engine, transaction, upgrade
from lianfang.models.drafts import FormDraft, delete_draft, get_draft, save_draft
from lianfang.models.members import Member, bind_identity, create_member, find_speaker
from lianfang.models.outbox import STATUS_SENDING, STATUS_SENT, OutboxMessage, enqueue, mark_sent
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

NOW = datetime(2020, 1, 28, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = make_engine(database_url)
    upgrade(engine)
    return engine


def draft(user_id: str = "7", chat_id: str = "7", **changes: object) -> FormDraft:
    values: dict[str, object] = {
        "platform": "memory",
        "chat_id": chat_id,
        "user_id": user_id,
        "member_id": None,
        "lang": "zh_CN",
        "form": "check",
        "data": {"address": "3栋2单元501", "temperature": 36.5, "file": {"id": 3, "name": "a.jpg"}},
        "history": ["address", "temperature"],
        "context": {"community": "chaoyang"},
        "created_at": NOW,
        "updated_at": NOW,
        "expires_at": NOW + timedelta(minutes=30),
        "step": 41,
    }
    return FormDraft(**{**values, **changes})  # type: ignore[arg-type]


def test_a_draft_comes_back_as_it_was_stored(engine: Engine) -> None:
    stored = draft()
    with transaction(engine) as work:
        save_draft(connection=work.connection, draft=stored)
    with transaction(engine) as work:
        found = get_draft(connection=work.connection, platform="memory", chat_id="7", user_id="7")
    assert found == stored
    assert found is not None and found.expires_at.tzinfo is not None  # times come back in UTC, comparable with now

    stored.data["name"] = "张三"
    stored.history.append("name")
    stored.step += 1
    with transaction(engine) as work:
        save_draft(connection=work.connection, draft=stored)
    with transaction(engine) as work:
        assert get_draft(connection=work.connection, platform="memory", chat_id="7", user_id="7") == stored
        delete_draft(connection=work.connection, draft=stored)
    with transaction(engine) as work:
        assert get_draft(connection=work.connection, platform="memory", chat_id="7", user_id="7") is None


def test_a_second_draft_for_the_same_key_is_an_integrity_error(engine: Engine) -> None:
    with transaction(engine) as work:
        save_draft(connection=work.connection, draft=draft())
    with pytest.raises(IntegrityError), transaction(engine) as work:
        save_draft(connection=work.connection, draft=draft())


def test_work_on_a_connection_without_a_transaction_is_committed(engine: Engine) -> None:
    with engine.connect() as connection:
        save_draft(connection=connection, draft=draft())
        connection.commit()
    with transaction(engine) as work:
        assert get_draft(connection=work.connection, platform="memory", chat_id="7", user_id="7") is not None


def test_queued_and_sent_messages_keep_their_payload_and_times(engine: Engine) -> None:
    payload = {"lines": [{"key": "form.summary_line", "params": {"number": 1, "value": "36.5"}}], "buttons": []}
    with transaction(engine) as work:
        claimed = enqueue(
            connection=work.connection,
            platform="memory",
            chat_id="7",
            payload=payload,
            now=NOW,
            lease_until=NOW + timedelta(minutes=5),
        )
    assert claimed is not None
    with Session(engine) as session:
        row = session.get(OutboxMessage, claimed.id)
        assert row is not None
        assert (row.payload, row.status, row.attempts) == (payload, STATUS_SENDING, 0)
        assert row.not_before == NOW + timedelta(minutes=5)
    with transaction(engine) as work:
        mark_sent(connection=work.connection, ids=[claimed.id], now=NOW + timedelta(seconds=1))
    with Session(engine) as session:
        row = session.get(OutboxMessage, claimed.id)
        assert row is not None
        assert (row.status, row.attempts, row.sent_at) == (STATUS_SENT, 1, NOW + timedelta(seconds=1))


def test_the_speaker_comes_with_their_draft_in_this_chat_only(engine: Engine) -> None:
    with Session(engine) as session:
        member = create_member(
            session=session, name="张伟", group_key="screening", role="staff", community=None, lang="en", now=NOW
        )
        bind_identity(session=session, member=member, platform="memory", user_id="7", chat_id="7", now=NOW)
        session.commit()
        member_id = member.id
    with transaction(engine) as work:
        save_draft(connection=work.connection, draft=draft(member_id=member_id))
    with transaction(engine) as work:
        here = find_speaker(connection=work.connection, platform="memory", user_id="7", chat_id="7")
        elsewhere = find_speaker(connection=work.connection, platform="memory", user_id="7", chat_id="8")
        stranger = find_speaker(connection=work.connection, platform="memory", user_id="9", chat_id="9")
    assert here is not None and here.member_id == member_id and here.lang == "en"
    assert here.draft is not None and here.draft.data["address"] == "3栋2单元501"
    assert elsewhere is not None and elsewhere.draft is None
    assert stranger is None

    with Session(engine) as session:
        stored = session.exec(select(Member).where(Member.id == member_id)).one()
        stored.active = False
        session.add(stored)
        session.commit()
    with transaction(engine) as work:  # deactivated: a stranger from the next message on, read afresh
        assert find_speaker(connection=work.connection, platform="memory", user_id="7", chat_id="7") is None


def test_orm_changes_ride_on_the_transaction_and_roll_back_with_it(engine: Engine) -> None:
    def member(work_session: Session, name: str) -> None:
        create_member(
            session=work_session, name=name, group_key="screening", role="staff", community=None, lang="zh_CN", now=NOW
        )

    with transaction(engine) as work:
        save_draft(connection=work.connection, draft=draft(user_id="1"))
        member(work.session, "kept")
    with pytest.raises(RuntimeError), transaction(engine) as work:
        save_draft(connection=work.connection, draft=draft(user_id="2"))
        member(work.session, "dropped")
        raise RuntimeError("the handler failed")
    with transaction(engine) as work:
        names = [m.name for m in work.session.exec(select(Member))]
        kept = get_draft(connection=work.connection, platform="memory", chat_id="7", user_id="1")
        dropped = get_draft(connection=work.connection, platform="memory", chat_id="7", user_id="2")
    assert names == ["kept"]
    assert kept is not None and dropped is None
