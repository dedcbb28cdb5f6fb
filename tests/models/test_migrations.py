"""Migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import lianfang.models  # noqa: F401 - registers tables
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from lianfang.bot.db import make_engine, upgrade
from lianfang.models.checks import check_figures
from lianfang.models.outbox import FailureKind, requeue_refused
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel


def test_upgrade_matches_models_and_is_repeatable(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run (every `lianfang run` upgrades on start) changes nothing
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert {"member", "draft", "checkresult", "dailyreport", "sendledger", "outboxmessage"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    engine.dispose()


def test_daily_totals_count_the_results_stored_before_the_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0002")
    stamp = datetime(2020, 1, 27, 8, tzinfo=UTC)
    with Session(engine) as session:
        # Raw SQL: the Member model has columns that revision 0002 does not.
        session.execute(
            text(
                "INSERT INTO member (name, group_key, role, lang, active, created_at)"
                " VALUES ('张伟', 'screening', 'staff', 'zh_CN', :active, :at)"
            ),
            {"active": True, "at": stamp},
        )
        member_id = session.execute(text("SELECT id FROM member")).scalar_one()
        rows = [
            ("2020-01-27", "chaoyang", True, False),
            ("2020-01-27", "chaoyang", False, True),
            ("2020-01-27", "dongfeng", False, False),
            ("2020-01-28", "xinhua", True, True),
        ]
        for day, community, alert, referral in rows:
            session.execute(
                text(
                    "INSERT INTO checkresult (day, created_at, member_id, community, address, person, symptoms,"
                    " history, measure, is_alert, is_referral) VALUES (:day, :at, :member, :community, '3栋', '张三',"
                    " '', '', 'none', :alert, :referral)"
                ),
                {
                    "day": date.fromisoformat(day),
                    "at": stamp,
                    "member": member_id,
                    "community": community,
                    "alert": alert,
                    "referral": referral,
                },
            )
        session.commit()
    upgrade(engine)
    with Session(engine) as session:
        first = check_figures(session=session, day=date(2020, 1, 27))
        second = check_figures(session=session, day=date(2020, 1, 28))
    assert (first.checked_today, first.checked_total, first.alerts_today, first.referrals_today) == (3, 3, 1, 1)
    assert (second.checked_today, second.checked_total, second.alerts_today, second.referrals_today) == (1, 4, 1, 1)
    engine.dispose()


def test_failed_messages_get_the_kind_their_reason_told(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0015")
    stamp = datetime(2020, 1, 28, 8, tzinfo=UTC)
    rows = [
        ("failed", "forbidden: bot was blocked by the user"),
        ("failed", "forbidden: not in the app's visible range"),
        ("failed", "migrated: new chat id -100123"),
        ("failed", "network: unreachable"),
        ("failed", "token: 40014 invalid access_token"),
        ("failed", "telegram_error: TimedOut: timed out"),
        ("failed", "wecom_error: -1 system busy"),
        ("failed", "privacy"),
        ("failed", "bad_request: chat not found"),
        ("failed", "file gone"),
        ("failed", "RuntimeError"),
        ("pending", "forbidden: a reason left by a retry"),
        ("sent", None),
    ]
    with Session(engine) as session:
        for status, error in rows:
            session.execute(
                text(
                    "INSERT INTO outboxmessage (platform, chat_id, payload, status, attempts, created_at, error)"
                    " VALUES ('telegram', '42', '{}', :status, 1, :at, :error)"
                ),
                {"status": status, "at": stamp, "error": error},
            )
        session.commit()
    upgrade(engine)
    with Session(engine) as session:
        kinds = session.execute(text("SELECT failure_kind FROM outboxmessage ORDER BY id")).scalars().all()
        refused = requeue_refused(session=session, platform="telegram", chat_id="42", since=stamp - timedelta(days=1))
    assert kinds == [
        FailureKind.REFUSED,
        FailureKind.REFUSED,
        FailureKind.MIGRATED,
        FailureKind.OUTAGE,
        FailureKind.OUTAGE,
        FailureKind.OUTAGE,
        FailureKind.OUTAGE,
        FailureKind.PRIVACY,
        FailureKind.FAILED,
        FailureKind.FAILED,
        FailureKind.FAILED,
        None,
        None,
    ]
    assert [claimed.id for claimed in refused] == [1, 2]  # the kind, not the reason, finds them from now on
    engine.dispose()
