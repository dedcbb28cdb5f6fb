"""lianfang backup / restore: a drill's database restored elsewhere gives the same merged report, byte for byte."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from lianfang.app.backup import run_backup, run_restore
from lianfang.app.drill.command import run_drill
from lianfang.app.drill.player import Options
from lianfang.app.platforms import Settings
from sqlalchemy import create_engine, make_url, text

from tests.environment import process_environment
from tests.paths import ROOT

DRILL = ROOT / "examples" / "drills" / "demo.drill"
DAY = "2020-01-28"
"""The demo drill's day: its merged report is what must survive the round trip."""


def settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url)


def report(url: str) -> bytes:
    """Return the merged report of the drill's day as ``lianfang report`` prints it."""
    env = process_environment() | {"LIANFANG_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "lianfang.app.cli", "report", "--date", DAY],
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@contextmanager
def elsewhere(url: str, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database of the same kind: another SQLite file, or a new PostgreSQL database."""
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'lianfang.db'}"
        return
    parsed = make_url(url)
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_restored_snapshot_gives_the_same_report(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    assert run_drill(DRILL, out, Options(database_url=database_url, quiet=True)) == 0, out.getvalue()
    original = report(database_url)
    assert "五里牌街道" in original.decode() and DAY in original.decode()
    snapshot = tmp_path / "snapshot.bak"
    assert run_backup(settings(database_url), snapshot) == 0
    assert snapshot.stat().st_size > 0
    with elsewhere(database_url, tmp_path) as target:
        assert run_restore(settings(target), snapshot) == 0
        assert report(target) == original
        # a second restore would overwrite what is there now: refused unless forced
        capsys.readouterr()
        assert run_restore(settings(target), snapshot) == 2
        assert "already holds data" in capsys.readouterr().err
        assert run_restore(settings(target), snapshot, force=True) == 0
        assert report(target) == original


def test_restore_names_a_wrong_or_missing_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = settings(f"sqlite:///{tmp_path / 'new.db'}")
    assert run_restore(target, tmp_path / "nowhere.bak") == 2
    assert "no file" in capsys.readouterr().err
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"PGDMP not really")
    assert run_restore(target, junk) == 1
    assert "not a SQLite snapshot" in capsys.readouterr().err
    assert run_backup(target, tmp_path / "x.bak") == 1
    assert "no database at" in capsys.readouterr().err


def test_a_missing_pg_dump_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run_backup(settings("postgresql+psycopg://lianfang@127.0.0.1:1/none"), tmp_path / "x.bak") == 1
    assert "pg_dump is not installed" in capsys.readouterr().err
