"""``lianfang keys`` and the data key at start, as an operator meets them, run as a real process."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from lianfang.bot.db import make_engine, session_scope
from lianfang.models.screening import ScreeningTarget, add_targets, existing_by_id_number
from lianfang.models.sealed import DataKey, Keyring, install_keyring
from sqlalchemy import text
from sqlmodel import Session, select

from tests.paths import ROOT
from tests.screening_files import id_number

NOW = datetime(2020, 1, 28, 8, tzinfo=UTC)
PEOPLE = 7
OWNER_ONLY = 0o600


def lianfang(*args: str, tmp_path: Path, **env_extra: str) -> subprocess.CompletedProcess:
    """Run ``python -m lianfang.app.cli`` with a SQLite database in tmp_path and no data key unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}
    env["LIANFANG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "lianfang.app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def _keys_in(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def test_generate_prints_a_key_or_puts_a_new_one_first_in_a_key_file(tmp_path: Path) -> None:
    printed = lianfang("keys", "generate", tmp_path=tmp_path)
    assert printed.returncode == 0 and len(base64.b64decode(printed.stdout.strip(), validate=True)) == 32
    key_file = tmp_path / "data.key"
    first = lianfang("keys", "generate", "--file", str(key_file), tmp_path=tmp_path)
    assert first.returncode == 0 and stat.S_IMODE(key_file.stat().st_mode) == OWNER_ONLY
    [old] = _keys_in(key_file)
    second = lianfang("keys", "generate", "--file", str(key_file), tmp_path=tmp_path)
    assert "1 earlier key(s) kept as retired" in second.stdout and "lianfang keys rotate" in second.stdout
    new, retired = _keys_in(key_file)
    assert retired == old and new != old
    assert stat.S_IMODE(key_file.stat().st_mode) == OWNER_ONLY


def test_sqlite_without_a_key_makes_one_beside_the_database_and_says_so_once(tmp_path: Path) -> None:
    first = lianfang("db", "upgrade", tmp_path=tmp_path)
    key_file = tmp_path / "cli.db.key"
    assert first.returncode == 0, first.stderr
    assert f"made a new data key file: {key_file}" in first.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == OWNER_ONLY and len(_keys_in(key_file)) == 1
    again = lianfang("db", "upgrade", tmp_path=tmp_path)
    assert again.returncode == 0 and "data key" not in again.stderr
    assert len(_keys_in(key_file)) == 1


def test_postgresql_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    # refused before connecting: no server is needed at this address
    refused = lianfang("run", tmp_path=tmp_path, LIANFANG_DATABASE_URL="postgresql+psycopg://lianfang@127.0.0.1:9/x")
    assert refused.returncode == 2
    assert "LIANFANG_DATA_KEY" in refused.stderr and "Traceback" not in refused.stderr


def test_a_malformed_key_is_refused_plainly(tmp_path: Path) -> None:
    refused = lianfang("db", "upgrade", tmp_path=tmp_path, LIANFANG_DATA_KEY="c2hvcnQ=")
    assert refused.returncode == 2
    assert "32 bytes" in refused.stderr and "Traceback" not in refused.stderr


def test_rotate_moves_every_value_to_the_new_key_with_progress(tmp_path: Path) -> None:
    key_file = tmp_path / "data.key"
    assert lianfang("keys", "generate", "--file", str(key_file), tmp_path=tmp_path).returncode == 0
    env = {"LIANFANG_DATA_KEY_FILE": str(key_file)}
    assert lianfang("db", "upgrade", tmp_path=tmp_path, **env).returncode == 0
    [old] = _keys_in(key_file)
    install_keyring(Keyring(DataKey.from_text(old)))
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with session_scope(engine) as session:
        rows = [
            {
                "id_number": id_number(seq=f"{n:03d}"),
                "name": f"居民{n}",
                "phone": f"1380000{n:04d}",
                "address": "朝阳新村",
                "reason": "",
                "batch": "b",
                "status": "open",
            }
            for n in range(PEOPLE)
        ]
        add_targets(session=session, now=NOW, rows=rows)

    assert lianfang("keys", "generate", "--file", str(key_file), tmp_path=tmp_path).returncode == 0
    status = lianfang("keys", "status", tmp_path=tmp_path, **env)
    assert f"screeningtarget: {PEOPLE} row(s) not under the current key" in status.stdout
    rotated = lianfang("keys", "rotate", "--batch", "3", tmp_path=tmp_path, **env)
    assert rotated.returncode == 0, rotated.stderr
    assert [line for line in rotated.stdout.splitlines() if line.startswith("screeningtarget:")] == [
        f"screeningtarget: 3/{PEOPLE}",
        f"screeningtarget: 6/{PEOPLE}",
        f"screeningtarget: {PEOPLE}/{PEOPLE}",
    ]
    after = lianfang("keys", "status", tmp_path=tmp_path, **env)
    assert "screeningtarget: 0 row(s) not under the current key" in after.stdout

    new = _keys_in(key_file)[0]
    install_keyring(Keyring(DataKey.from_text(new)))  # the old key gone: everything still reads
    with Session(engine) as session:
        phones = session.exec(select(ScreeningTarget.phone).order_by(ScreeningTarget.id)).all()  # type: ignore[arg-type]
        assert phones == [f"1380000{n:04d}" for n in range(PEOPLE)]
        found = existing_by_id_number(session=session, id_numbers=[id_number(seq="003")])
        assert [target.name for target in found.values()] == ["居民3"]
    with engine.connect() as connection:
        stored = " ".join(row[0] for row in connection.execute(text("SELECT phone FROM screeningtarget")))
    assert "1380000" not in stored
    engine.dispose()
