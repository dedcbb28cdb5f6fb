"""``lianfang org check`` checks the member names the org file gives (backup_reporter, duty leaders, meeting
organisers and attendees) against the members table when a database is configured, and says when it could not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lianfang.app.cli import EXIT_INVALID, EXIT_OK, main
from lianfang.bot.db import make_engine, upgrade
from lianfang.bot.org import default_org_path
from lianfang.models.members import create_member
from sqlmodel import Session

NOW = datetime(2020, 1, 28, 9, 0, tzinfo=UTC)
MEMBERS = (
    ("黎炬", "screening", "group_lead"),
    ("王宏武", "coordination", "leader"),
    ("龙雅俐", "coordination", "admin"),
)


def org_naming(tmp_path: Path, backup: str, leader: str, organiser: str, attendee: str) -> tuple[Path, str]:
    """Write the sample org with a backup reporter, a day's duty leader and a daily meeting; return it and its text."""
    text = default_org_path().read_text(encoding="utf-8")
    text = text.replace('# backup_reporter = "黎炬"', f'backup_reporter = "{backup}"')
    text = text.replace("leaders = []    #", f'leaders = [{{ date = 2020-01-28, leader = "{leader}" }}]    #')
    meeting = (
        '[[meetings.recurring]]\nkey = "daily"\ntitle = "例会"\ntime = "08:30"\nplace = "三楼"\n'
        f'organiser = "{organiser}"\nattendees = ["领导", "coordination", "{attendee}"]\n'
    )
    text = text.replace("checkin_closes_minutes = 30\n", "checkin_closes_minutes = 30\n" + meeting, 1)
    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    return path, text


def line_of(text: str, needle: str) -> int:
    """Return the number of the first line holding ``needle``."""
    return next(number for number, row in enumerate(text.splitlines(), 1) if needle in row)


@pytest.fixture
def with_members(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at a database holding a few members."""
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        for name, group, role in MEMBERS:
            create_member(session=session, name=name, group_key=group, role=role, community=None, lang="zh", now=NOW)
        session.commit()
    engine.dispose()
    monkeypatch.delenv("LIANFANG_ORG_FILE", raising=False)
    monkeypatch.setenv("LIANFANG_DATABASE_URL", database_url)
    return database_url


def test_names_that_are_members_pass(with_members: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _text = org_naming(tmp_path, "黎炬", "王宏武", "龙雅俐", "黎炬")
    assert main(["org", "check", str(path)]) == EXIT_OK
    out = capsys.readouterr()
    assert out.out.strip() == "OK" and "member names checked against the database" in out.err


def test_unknown_names_are_named_with_their_line_and_exit_2(
    with_members: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, text = org_naming(tmp_path, "王宏武", "邓勇", "李雷", "韩梅梅")
    assert main(["org", "check", str(path)]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert f"{path}:{line_of(text, 'backup_reporter = ')}: groups[1].backup_reporter: no active member of group " in out
    assert "'screening' is named '王宏武'" in out  # a member, but of another group
    leaders = line_of(text, "leaders = [{")
    assert f"{path}:{leaders}: duty.leaders[0].leader: no active member is named '邓勇'" in out
    assert f"{path}:{line_of(text, 'organiser = ')}: meetings.recurring[0].organiser:" in out and "'李雷'" in out
    assert f"{path}:{line_of(text, 'attendees = ')}: meetings.recurring[0].attendees[2]:" in out and "'韩梅梅'" in out
    assert "attendees[0]" not in out and "attendees[1]" not in out  # a role and a group are not names


def test_without_a_database_the_check_says_it_was_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIANFANG_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    path, _text = org_naming(tmp_path, "王宏武", "邓勇", "李雷", "韩梅梅")
    assert main(["org", "check", str(path)]) == EXIT_OK
    out = capsys.readouterr()
    assert out.out.strip() == "OK" and "member names not checked: no database yet" in out.err
    assert not (tmp_path / "none.db").exists()  # a check creates no database
