"""``lianfang doctor``: check an instance's setup, a line per check with its fix, non-zero on any failure."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from lianfang.app.features import FIGURES, ORG_SECTIONS
from lianfang.app.platforms import Settings, configured
from lianfang.bot.checkup import Finding, Status, fail, ok, skip
from lianfang.bot.data_keys import check_data_key
from lianfang.bot.db import alembic_config, sqlite_file
from lianfang.bot.org import check_org, default_org_path
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_OK
from pydantic import ValidationError
from sqlalchemy import Engine, make_url, text

SETTINGS = "settings"
ORG = "org file"
DATABASE = "database"
SCHEMA = "schema version"
DISK = "free disk"
CLOCK = "clock"
CONNECTIONS = "connections"
MIN_FREE_BYTES = 1024**3
"""Below this much free space at the database (or the working folder), doctor fails: backups and SQLite need room."""
MAX_CLOCK_OFFSET_SECONDS = 5.0
"""Further than this from the database's clock, scheduled sends, leases and WeCom's signed callbacks drift."""
MEBIBYTE = 1024**2
DB_NOW = {
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
    "postgresql": "SELECT EXTRACT(EPOCH FROM clock_timestamp())",
}
"""The database's own time as Unix seconds; SQLite's is this machine's clock, PostgreSQL's its server's."""
FIX_UPGRADE = "run `lianfang db upgrade`"
SERVER_CONNECTIONS = (
    "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
)
"""The connections PostgreSQL lets ordinary roles open, all clients together."""


@dataclass
class Probe:
    """What the checks look at: the settings, the database once it answered, and the free space wanted."""

    settings: Settings
    engine: Engine | None = None
    min_free_bytes: int = MIN_FREE_BYTES


Check = Callable[[Probe], Awaitable[list[Finding]]]
"""One check of doctor's list: it returns a finding per thing it looked at."""
Problem = Callable[[Settings, Engine | None], str | None]
"""A hook that returns what is wrong (with its fix), or None when all is well."""


def problem_check(name: str, find: Problem) -> Check:
    """Make a check of a hook that says what is wrong or None, such as ``check_data_key``."""

    async def check(probe: Probe) -> list[Finding]:
        problem = await asyncio.to_thread(find, probe.settings, probe.engine)
        if problem is None:
            return [ok(name, "fine")]
        detail, _, fix = problem.partition("; fix ")
        return [fail(name, detail, f"fix {fix}" if fix else "see the detail")]

    return check


async def check_org_file(probe: Probe) -> list[Finding]:
    """Validate the org file the settings name (``org check``)."""
    path = probe.settings.org_file or default_org_path()
    problems = check_org(path, ORG_SECTIONS, FIGURES)
    if not problems:
        return [ok(ORG, str(path))]
    first = str(problems[0])
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return [fail(ORG, f"{first}{more}", f"run `lianfang org check {path}` and correct each line it names")]


async def check_database(probe: Probe) -> list[Finding]:
    """Connect to the database and compare its schema version with this lianfang's migrations."""
    url = probe.settings.database_url
    shown = make_url(url).render_as_string(hide_password=True)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return [
            fail(
                DATABASE, f"no database at {path}", f"{FIX_UPGRADE} to create it, or point LIANFANG_DATABASE_URL at it"
            )
        ]
    engine = probe.settings.engine()
    try:
        current = await asyncio.to_thread(_current_revision, engine)
    except Exception as error:
        engine.dispose()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return [
            fail(
                DATABASE,
                f"{shown} does not answer: {reason}",
                "start the database server, or correct LIANFANG_DATABASE_URL (host, port, user, password, name)",
            )
        ]
    probe.engine = engine
    found = [ok(DATABASE, f"{shown} answers")]
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    if current == head:
        return [*found, ok(SCHEMA, f"{current} (up to date)")]
    if current is None:
        return [*found, fail(SCHEMA, "the database is empty (no schema)", FIX_UPGRADE)]
    known = {revision.revision for revision in script.walk_revisions()}
    if current not in known:
        return [
            *found,
            fail(SCHEMA, f"{current} is newer than this lianfang knows (head {head})", "run the newer lianfang"),
        ]
    return [*found, fail(SCHEMA, f"{current}, behind this lianfang's {head}", FIX_UPGRADE)]


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


async def check_platforms(probe: Probe) -> list[Finding]:
    """Ask each configured platform to check its API (token, app, webhook or callback)."""
    found = [finding for platform in configured(probe.settings) for finding in await platform.doctor(probe.settings)]
    return found or [skip("platforms", "no chat platform configured (console only)")]


async def check_disk(probe: Probe) -> list[Finding]:
    """Check the free space where the database lives (SQLite) or in the working folder."""
    path = sqlite_file(probe.settings.database_url)
    folder = path.parent if path is not None and path.parent.exists() else Path.cwd()
    free = shutil.disk_usage(folder).free
    detail = f"{free // MEBIBYTE} MiB free at {folder}"
    if free < probe.min_free_bytes:
        wanted = probe.min_free_bytes // MEBIBYTE
        return [fail(DISK, f"{detail}, below {wanted} MiB", "free space there (old backups, logs) or grow the disk")]
    return [ok(DISK, detail)]


async def check_clock(probe: Probe) -> list[Finding]:
    """Compare this machine's clock with the database's."""
    engine = probe.engine
    query = DB_NOW.get(engine.dialect.name) if engine is not None else None
    if engine is None or query is None:
        return [skip(CLOCK, "the database did not answer")]
    offset = await asyncio.to_thread(_clock_offset, engine, query)
    detail = f"{offset:+.2f} s from the database's clock"
    if abs(offset) > MAX_CLOCK_OFFSET_SECONDS:
        return [fail(CLOCK, detail, "synchronise both machines' clocks with NTP (e.g. `timedatectl set-ntp true`)")]
    return [ok(CLOCK, detail)]


def _clock_offset(engine: Engine, query: str) -> float:
    """Return this machine's clock minus the database's, judged at the middle of the round trip."""
    with engine.connect() as connection:
        before = time.time()
        database = float(connection.execute(text(query)).scalar_one())
        after = time.time()
    return (before + after) / 2 - database


async def check_connections(probe: Probe) -> list[Finding]:
    """Compare the connections one instance may open with what the PostgreSQL server allows."""
    engine = probe.engine
    if engine is None or engine.dialect.name != "postgresql":
        return [skip(CONNECTIONS, "not PostgreSQL")]
    settings = probe.settings
    each = settings.db_pool_size + settings.db_max_overflow
    allowed = await asyncio.to_thread(_server_connections, engine)
    detail = (
        f"an instance opens up to {each} (LIANFANG_DB_POOL_SIZE {settings.db_pool_size} + LIANFANG_DB_MAX_OVERFLOW "
        f"{settings.db_max_overflow}); the server allows {allowed}: {allowed // each} instance(s) at their peak"
    )
    if each > allowed:
        return [
            fail(
                CONNECTIONS,
                detail,
                "lower LIANFANG_DB_POOL_SIZE and LIANFANG_DB_MAX_OVERFLOW, or raise max_connections",
            )
        ]
    return [ok(CONNECTIONS, detail)]


def _server_connections(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(SERVER_CONNECTIONS)).scalar_one())


CHECKS: tuple[Check, ...] = (
    check_org_file,
    check_database,
    problem_check("data key", check_data_key),
    check_platforms,
    check_disk,
    check_clock,
    check_connections,
)
"""doctor's checks in order; the settings come first (the others need them). Add one here."""


def run_doctor(
    load: Callable[[], Settings],
    out: TextIO,
    *,
    checks: Sequence[Check] = CHECKS,
    min_free_bytes: int = MIN_FREE_BYTES,
) -> int:
    """Run every check, print a line each, and return EXIT_ERROR if any failed."""
    try:
        settings = load()
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            finding = fail(
                SETTINGS, f"LIANFANG_{field.upper()}: {problem['msg']}", "correct it in .env or the environment"
            )
            print(finding.line(), file=out)
        return EXIT_ERROR
    print(ok(SETTINGS, "read").line(), file=out)
    findings = asyncio.run(examine(Probe(settings, min_free_bytes=min_free_bytes), checks))
    for finding in findings:
        print(finding.line(), file=out)
    return EXIT_ERROR if any(finding.status is Status.FAIL for finding in findings) else EXIT_OK


async def examine(probe: Probe, checks: Sequence[Check] = CHECKS) -> list[Finding]:
    """Run the checks in order on the probe and return their findings; a crashed check is a failed one."""
    findings: list[Finding] = []
    try:
        for check in checks:
            try:
                findings.extend(await check(probe))
            except Exception as error:  # a check's own bug is one failed line, not a traceback
                name = check.__name__.removeprefix("check_").replace("_", " ")
                findings.append(fail(name, f"the check failed: {type(error).__name__}: {error}", "report this"))
    finally:
        if probe.engine is not None:
            probe.engine.dispose()
    return findings
