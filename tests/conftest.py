"""Fixtures: a database per test (SQLite, and PostgreSQL when LIANFANG_TEST_DATABASE_URL is set) and a chat harness."""

from __future__ import annotations

import base64
import io
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lianfang.bot.db import make_engine, upgrade
from lianfang.models.sealed import DataKey, Keyring, install_keyring
from sqlalchemy import Engine, create_engine, text

from tests.fake_telegram import FakeTelegram, running
from tests.fake_wecom import APPCHAT_SEND, WEBHOOK_SEND, FakeWeCom
from tests.fake_wecom import running as running_wecom
from tests.fakes import HARNESSES, Harness
from tests.privacy_scan import leaks, load_persons, memory_group_texts, telegram_group_texts, wecom_group_texts

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

POSTGRES_URL = os.environ.get("LIANFANG_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse to resolve any host but loopback, so a test that tries to reach the internet fails."""
    resolve = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK:
            raise socket.gaierror(f"tests are offline; refused to resolve {name}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture(autouse=True, scope="session")
def data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the default database folder (XDG_DATA_HOME) into a temp folder, so no test writes to the real home."""
    saved = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if saved is None:
        del os.environ["XDG_DATA_HOME"]
    else:
        os.environ["XDG_DATA_HOME"] = saved


TEST_DATA_KEY = base64.b64encode(bytes(range(32))).decode("ascii")
"""The data key every test encrypts with, unless it sets up keys of its own (see tests/models/test_sealed.py)."""


@pytest.fixture(autouse=True, scope="session")
def data_key_setting() -> Iterator[None]:
    """Give every lianfang the tests start, in process or not, the test data key (PostgreSQL refuses to run without)."""
    saved = os.environ.get("LIANFANG_DATA_KEY")
    os.environ["LIANFANG_DATA_KEY"] = TEST_DATA_KEY
    yield
    if saved is None:
        del os.environ["LIANFANG_DATA_KEY"]
    else:
        os.environ["LIANFANG_DATA_KEY"] = saved


@pytest.fixture(autouse=True)
def data_key() -> Iterator[None]:
    """Install the test data key for each test, and remove it after, so no test inherits another's keys."""
    install_keyring(Keyring(DataKey.from_text(TEST_DATA_KEY)))
    yield
    install_keyring(None)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """Run the fake Bot API on loopback."""
    async with running() as server:
        yield server


@pytest.fixture
async def fake_wecom() -> AsyncIterator[FakeWeCom]:
    """Run the fake WeCom API on loopback."""
    async with running_wecom() as server:
        yield server


CLI_CONFIGURATION = ("LIANFANG_ORG_FILE", "LIANFANG_TELEGRAM_TOKEN", "LIANFANG_WECOM_CORP_ID")
"""Settings a developer's shell may carry that would point an in-process ``lianfang`` elsewhere."""


@pytest.fixture
def offline_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run ``lianfang`` (``main``) in tmp_path on the bundled org file, with no platform and no standard input."""
    for name in CLI_CONFIGURATION:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no question asked
    return tmp_path


@pytest.fixture
def cli_on_database(offline_cli: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Return a function that points ``lianfang`` at the test database, on a drill clock from START (local time)."""

    def starting(start: str) -> Path:
        monkeypatch.setenv("LIANFANG_DATABASE_URL", database_url)
        monkeypatch.setenv("LIANFANG_CLOCK_START", start)
        return offline_cli

    return starting


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """Yield a URL to an empty database: a temp SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        yield url
        assert_no_personal_data_in_groups(request, url)
        return
    with postgres_schema() as url:
        yield url
        assert_no_personal_data_in_groups(request, url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Return an engine on the test database at the latest revision."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def assert_no_personal_data_in_groups(request: pytest.FixtureRequest, database_url: str) -> None:
    """Fail the test if any group chat received the name, phone, ID number or address of a person on record."""
    texts = [text for harness in HARNESSES.pop(database_url, []) for text in memory_group_texts(harness)]
    servers = request.node.funcargs
    if isinstance(servers.get("fake"), FakeTelegram):
        texts += telegram_group_texts(servers["fake"])
    if isinstance(servers.get("fake_wecom"), FakeWeCom):
        texts += wecom_group_texts(servers["fake_wecom"], (APPCHAT_SEND, WEBHOOK_SEND))
    if not texts:
        return
    persons, members = load_persons(database_url)
    found = leaks(texts, persons, members)
    assert not found, "personal data reached a group chat:\n" + "\n".join(found)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Create a fresh schema on the test PostgreSQL server; yield a URL that uses it, and drop it afterwards."""
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
async def harness(database_url: str) -> Harness:
    """Return a running instance on a fresh database with the bundled org, on a fixed clock."""
    h = Harness.create(database_url)
    await h.app.start()
    yield h
    await h.app.stop()
    h.app.engine.dispose()
