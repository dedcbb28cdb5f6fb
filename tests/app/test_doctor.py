"""lianfang doctor: a line per check, a fix for each failure, non-zero on any; platforms against the fake APIs."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from lianfang.app.doctor import Probe, check_platforms, examine, problem_check, run_doctor
from lianfang.app.platforms import Settings, platform_named
from lianfang.app.web import create_web_app
from lianfang.bot.checkup import Finding, Status
from lianfang.bot.db import make_engine, upgrade
from lianfang.bot.types import PLATFORM_WECOM
from pydantic import SecretStr

from tests.fake_telegram import FakeTelegram
from tests.fake_wecom import AES_KEY, CALLBACK_TOKEN, FakeWeCom
from tests.fakes import Harness
from tests.loopback import start_loopback, stop_loopback
from tests.paths import ROOT

OLD_REVISION = "0010"
UNREACHABLE_POSTGRES = "postgresql+psycopg://lianfang@127.0.0.1:1/none"
"""Nothing listens on port 1 of loopback: the connection is refused at once."""


def settings(url: str, **values: object) -> Settings:
    return Settings(_env_file=None, database_url=url, **values)


def doctor(config: Settings | None = None, *, loader=None, min_free_bytes: int = 1) -> tuple[int, list[str]]:  # noqa: ANN001
    """Run doctor; return its exit code and its lines."""
    out = io.StringIO()
    code = run_doctor(loader or (lambda: config), out, min_free_bytes=min_free_bytes)
    return code, out.getvalue().splitlines()


def line(lines: list[str], name: str) -> str:
    [found] = [text for text in lines if text.split(" ", 1)[1].lstrip().startswith(f"{name}:")]
    return found


def upgraded(url: str, revision: str = "head") -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()


def test_a_healthy_setup_passes_every_check(database_url: str) -> None:
    upgraded(database_url)
    code, lines = doctor(settings(database_url))
    assert code == 0, lines
    for name in ("settings", "org file", "database", "schema version", "free disk", "clock"):
        assert line(lines, name).startswith("OK "), lines
    assert line(lines, "platforms").startswith("SKIP")
    assert "from the database's clock" in line(lines, "clock")


def test_connections_are_compared_with_what_postgresql_allows(database_url: str) -> None:
    upgraded(database_url)
    code, lines = doctor(settings(database_url, db_pool_size=3, db_max_overflow=2))
    assert code == 0, lines
    if not database_url.startswith("postgresql"):
        assert line(lines, "connections") == "SKIP connections: not PostgreSQL"
        return
    found = line(lines, "connections")
    assert found.startswith("OK   connections: an instance opens up to 5 (LIANFANG_DB_POOL_SIZE 3 + "), found
    code, lines = doctor(settings(database_url, db_pool_size=1000, db_max_overflow=1000))
    assert code == 1
    assert line(lines, "connections").endswith(
        "fix: lower LIANFANG_DB_POOL_SIZE and LIANFANG_DB_MAX_OVERFLOW, or raise max_connections"
    )


def test_pool_settings_out_of_range_are_refused_by_name(database_url: str) -> None:
    code, lines = doctor(loader=lambda: settings(database_url, db_pool_size=0, db_max_overflow=-1))
    assert code == 1
    assert [text.split(":")[0] for text in lines] == ["FAIL settings", "FAIL settings"]
    assert "LIANFANG_DB_POOL_SIZE: Input should be greater than or equal to 1" in lines[0]
    assert "LIANFANG_DB_MAX_OVERFLOW: Input should be greater than or equal to 0" in lines[1]


def test_an_old_schema_is_named_with_its_fix(database_url: str) -> None:
    upgraded(database_url, OLD_REVISION)
    code, lines = doctor(settings(database_url))
    assert code == 1
    assert line(lines, "schema version").startswith(f"FAIL schema version: {OLD_REVISION}, behind")
    assert line(lines, "schema version").endswith("fix: run `lianfang db upgrade`")


def test_each_failure_has_its_fix(tmp_path: Path) -> None:
    broken = tmp_path / "org.toml"
    org = (ROOT / "examples" / "wulipai.toml").read_text(encoding="utf-8")
    broken.write_text(org.replace('deadline = "15:30"', 'deadline = "25:30"'), encoding="utf-8")
    missing = tmp_path / "nowhere" / "lianfang.db"
    code, lines = doctor(settings(f"sqlite:///{missing}", org_file=broken), min_free_bytes=1 << 60)
    assert code == 1
    assert "deadline" in line(lines, "org file") and "fix: run `lianfang org check" in line(lines, "org file")
    assert line(lines, "database") == (
        f"FAIL database: no database at {missing} — fix: run `lianfang db upgrade` to create it, or point "
        "LIANFANG_DATABASE_URL at it"
    )
    assert line(lines, "free disk").startswith("FAIL") and "grow the disk" in line(lines, "free disk")
    assert line(lines, "clock").startswith("SKIP")
    assert not missing.exists()  # doctor looked; it made nothing

    code, lines = doctor(settings(UNREACHABLE_POSTGRES))
    assert code == 1
    assert line(lines, "database").startswith("FAIL database: postgresql+psycopg://lianfang@127.0.0.1:1/none does")
    assert "start the database server, or correct LIANFANG_DATABASE_URL" in line(lines, "database")


def test_bad_settings_are_named() -> None:
    code, lines = doctor(loader=lambda: settings("sqlite://", timezone="Mars/Olympus"))
    assert code == 1
    assert lines == [
        "FAIL settings: LIANFANG_TIMEZONE: Value error, unknown timezone 'Mars/Olympus' — fix: correct it in .env "
        "or the environment"
    ]


async def test_a_problem_hook_becomes_a_check(tmp_path: Path) -> None:
    config = settings(f"sqlite:///{tmp_path / 'x.db'}")

    def key_missing(_settings: Settings, _engine: object) -> str | None:
        return "no data key; fix LIANFANG_DATA_KEY / LIANFANG_DATA_KEY_FILE"

    [finding] = await examine(Probe(config), [problem_check("data key", key_missing)])
    assert finding == Finding("data key", Status.FAIL, "no data key", "fix LIANFANG_DATA_KEY / LIANFANG_DATA_KEY_FILE")
    [fine] = await examine(Probe(config), [problem_check("data key", lambda _s, _e: None)])
    assert fine.status is Status.OK


async def test_telegram_token_and_webhook(fake: FakeTelegram, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    polling = settings(url, telegram_token=SecretStr(fake.token), telegram_api_base_url=fake.url)
    assert [f.line() for f in await check_platforms(Probe(polling))] == [
        "OK   telegram getMe: @lianfang_test_bot",
        "OK   telegram webhook: none (updates by polling)",
    ]
    fake.webhook_url = "https://bot.example.org/telegram"
    [_, webhook] = await check_platforms(Probe(polling))
    assert webhook.status is Status.FAIL and "LIANFANG_TELEGRAM_WEBHOOK_URL is unset" in webhook.detail
    other = polling.model_copy(
        update={"telegram_webhook_url": "https://new.example.org/telegram", "telegram_webhook_secret": SecretStr("s")}
    )
    [_, webhook] = await check_platforms(Probe(other))
    assert (
        webhook.detail
        == "Telegram has https://bot.example.org/telegram, the settings say https://new.example.org/telegram"
    )
    assert "start lianfang run" in webhook.fix
    wrong = polling.model_copy(update={"telegram_token": SecretStr("123:not-the-token")})
    [me, webhook] = await check_platforms(Probe(wrong))
    assert me.status is Status.FAIL and "@BotFather" in me.fix and "not-the-token" not in me.line()
    assert webhook.status is Status.SKIP


@asynccontextmanager
async def serving_wecom(config: Settings, database_url: str) -> AsyncIterator[str]:
    """Serve lianfang's HTTP app with the WeCom routes on loopback; yield its base URL."""
    harness = Harness.create(database_url, **config.model_dump(exclude={"database_url"}, exclude_unset=True))
    adapter = platform_named(PLATFORM_WECOM).build(harness.app)
    server, task, url = await start_loopback(create_web_app(harness.app, adapter))
    try:
        yield url
    finally:
        await stop_loopback(server, task)
        harness.app.engine.dispose()


async def test_wecom_token_agent_and_callback(fake_wecom: FakeWeCom, database_url: str) -> None:
    config = settings(
        database_url,
        wecom_corp_id=fake_wecom.corp_id,
        wecom_agent_id=fake_wecom.agent_id,
        wecom_secret=SecretStr(fake_wecom.secret),
        wecom_token=SecretStr(CALLBACK_TOKEN),
        wecom_aes_key=SecretStr(AES_KEY),
        wecom_api_base_url=fake_wecom.url,
    )
    token, agent, callback = await check_platforms(Probe(config))
    assert (token.status, agent.status, callback.status) == (Status.OK, Status.OK, Status.SKIP)
    assert "LIANFANG_PUBLIC_BASE_URL" in callback.detail

    async with serving_wecom(config, database_url) as base:
        served = config.model_copy(update={"public_base_url": base})
        *_, callback = await check_platforms(Probe(served))
        assert callback.line() == f"OK   wecom callback URL: {base}/wecom/callback answers WeCom's URL check"
        other_key = served.model_copy(update={"wecom_token": SecretStr("AnotherCallbackToken")})
        *_, callback = await check_platforms(Probe(other_key))
        assert callback.status is Status.FAIL and "HTTP 403" in callback.detail
        assert "LIANFANG_WECOM_TOKEN" in callback.fix
    *_, callback = await check_platforms(Probe(served))
    assert callback.status is Status.FAIL and "not reachable" in callback.detail

    wrong = config.model_copy(update={"wecom_secret": SecretStr("not-the-secret-at-all")})
    token, agent, _ = await check_platforms(Probe(wrong))
    assert token.status is Status.FAIL and "LIANFANG_WECOM_SECRET" in token.fix and agent.status is Status.SKIP
    assert "not-the-secret" not in token.line()
