"""Where the database lives: one fixed data folder by default, whatever folder a command runs in, and said when new."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lianfang.bot.config import Settings

from tests.fakes import Harness, keys_of
from tests.paths import ROOT

CREATED = "lianfang: created a new database: "


def lianfang(*args: str, cwd: Path, data_home: Path, database_url: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m lianfang.app.cli`` in a folder, with XDG_DATA_HOME set and only the database URL given."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIANFANG_")}
    env.update(XDG_DATA_HOME=str(data_home), PYTHONPATH=str(ROOT))
    if database_url is not None:
        env["LIANFANG_DATABASE_URL"] = database_url
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "lianfang.app.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


async def test_commands_in_different_folders_share_the_default_database(tmp_path: Path) -> None:
    data_home = tmp_path / "data"
    database = data_home / "lianfang" / "lianfang.db"
    first = lianfang("db", "upgrade", cwd=tmp_path / "home", data_home=data_home)
    assert first.returncode == 0, first.stderr
    assert f"{CREATED}{database}" in first.stderr
    invite_args = ("invite", "create", "--group", "screening", "--role", "reporter")
    invite = lianfang(*invite_args, cwd=tmp_path / "elsewhere", data_home=data_home)
    assert invite.returncode == 0, invite.stderr
    assert CREATED not in invite.stderr  # the same database, already there
    assert not list(tmp_path.glob("*/*.db"))  # nothing was created in the working folders

    # the code printed in another folder is valid for the bot running on the default database
    harness = Harness.create(f"sqlite:///{database}")
    try:
        welcome = await harness.private("周强").say(f"/join {invite.stdout.strip()}")
        assert keys_of(welcome)[0] == "join.welcome"
    finally:
        harness.app.engine.dispose()


def test_a_relative_sqlite_path_is_named_when_a_command_creates_it(tmp_path: Path) -> None:
    result = lianfang(
        "db", "upgrade", cwd=tmp_path / "other", data_home=tmp_path / "data", database_url="sqlite:///x.db"
    )
    assert result.returncode == 0, result.stderr
    assert f"{CREATED}{tmp_path / 'other' / 'x.db'}" in result.stderr
    again = lianfang(
        "db", "upgrade", cwd=tmp_path / "other", data_home=tmp_path / "data", database_url="sqlite:///x.db"
    )
    assert CREATED not in again.stderr


def test_an_old_default_database_in_the_working_folder_is_pointed_out(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / "lianfang.db").write_bytes(b"")
    result = lianfang("db", "upgrade", cwd=folder, data_home=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert f"LIANFANG_DATABASE_URL=sqlite:///{folder / 'lianfang.db'}" in result.stderr


def test_the_default_follows_xdg_data_home_and_falls_back_to_the_home_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings(_env_file=None).database_url == f"sqlite:///{tmp_path / 'lianfang' / 'lianfang.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    expected = tmp_path / "user" / ".local" / "share" / "lianfang" / "lianfang.db"
    assert Settings(_env_file=None).database_url == f"sqlite:///{expected}"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/folder")  # invalid by the XDG spec, so ignored
    assert Settings(_env_file=None).database_url == f"sqlite:///{expected}"
