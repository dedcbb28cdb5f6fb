"""Benchmark PostgreSQL scale-out: form steps per second of 1, 2 and 4 real ``lianfang run`` processes on one database.

Each configuration runs on a new PostgreSQL database, a copy of one seeded at the start (schema and members), and
all are dropped at the end. Simulated staff members of 朝阳新村, each in a private chat of their own, walk through
the ``/check`` form over and over. Their updates are posted in webhook mode to the instances in turn (round robin,
step by step), with the webhook's secret, as Telegram would; the replies go to the in-repo fake Bot API
(``tests/fake_telegram.py``), which runs in this process. A step is done when its reply reached the fake; a member
says the next thing only then.

Three phases per configuration: a short warm-up, the peak (every member at once, closed loop: aggregate steps/s),
then a fixed rate of 80% of that peak (open loop), where each step's reply latency is timed from the POST to the
reply's arrival. Then the exactly-once checks: every submission stored once (each carries a name no other has),
and every outbox message delivered once (what was queued, rendered, equals what the fake received, no more).

What limits the figures is measured beside them, per step: the CPU time of the lianfang processes, of this driver
and of the PostgreSQL backends (from /proc, when PostgreSQL runs on this machine), the database's time executing
statements and the time its connections were taken (executing, or idle inside a transaction) and its commits
(``pg_stat_database``), the most connections seen open and taken (``pg_stat_activity``), and the latency of one
bare commit. ``cpu_bound_steps_per_second`` is what all the machine's CPUs would give at that CPU time per step.
The figures feed the city-scale estimate (``city``, see city.py), the arithmetic of the README.

With ``--paced`` the processes keep Telegram's 30 messages/s, which they share through the database: the peak then
starts on a whole second of the clock, the seconds the pace counts in, and ``most_sent_in_a_second`` is the most
messages the fake received in one second of the run, all processes together.

Run: python benchmarks/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test [--quick]
The result is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
import httpx
from lianfang.bot.db import session_scope
from lianfang.bot.platforms.telegram import SECRET_HEADER, TELEGRAM_PATH
from lianfang.bot.types import PLATFORM_TELEGRAM
from lianfang.models.checks import CheckResult
from lianfang.models.members import bind_identity, create_member
from lianfang.models.outbox import STATUS_SENT, OutboxMessage
from lianfang.models.sealed import new_key_text
from sqlalchemy import create_engine, func, make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from benchmarks.city import estimate
from benchmarks.run import emit
from tests.environment import DATA_KEY
from tests.fake_telegram import FakeTelegram, chat, user
from tests.fakes import Harness
from tests.lianfang_process import Running, base_env, free_port, queued_and_delivered

BENCH = "pg_scale_out"
TARGET_SPEEDUP_4 = 2.5
TARGET_P99_MS = 250.0
PROCESSES = (1, 2, 4)
MEMBERS_PER_PROCESS = 6
"""Members at once per process at the peak: enough to keep each process busy while each member waits for a reply,
few enough that every member files a few /check forms in the run, so that the exactly-once checks have submissions."""
WARMUP_SECONDS = 2.0
PEAK_SECONDS = 6.0
PACED_SECONDS = 6.0
QUICK_PEAK_SECONDS = 3.0
QUICK_PACED_SECONDS = 3.0
LOAD_SHARE = 0.8
"""Latency is measured at this share of the configuration's peak rate."""
REPLY_TIMEOUT_SECONDS = 20.0
SETTLE_SECONDS = 30.0
STOP_SECONDS = 60.0
START_SECONDS = 90.0
"""A process imports for 3 s on an idle machine, and much longer on a busy one."""
POLL_SECONDS = 0.05
SAMPLE_SECONDS = 0.2
BUSY_STATES = ("active", "idle in transaction")
"""A connection in these states is taken: running a statement, or inside a transaction."""
COMMIT_PROBES = 200
MS = 1000.0
CLOCK_START = "2020-01-28T10:00:00"
"""A morning: nothing of the daily loop is due, so the processes do only what the members ask."""
TICK_SECONDS = "30"
WEBHOOK_SECRET = "bench_scale_webhook_secret"
WEBHOOK_URL = "https://bench.invalid/telegram"
"""Set on the fake only: the benchmark posts to each instance itself."""
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
P99 = 0.99
COMMUNITY = "chaoyang"
FIRST_CHAT_ID = 5_500_000_000
STAFF_NAME = "张伟"
SUBMIT = "提交"
PERSON_STEP = 2
CHECK_ANSWERS = ("/check", "3栋2单元501", "", "/skip", "36.5", "无", "1", "4", SUBMIT)
"""One pass through /check (the steps of ``benchmarks/run.py``); the person's name, step 2, is unique per pass."""
OK = 200
UNPACED = Path(__file__).resolve().parent / "unpaced.py"

logger = logging.getLogger(__name__)


@dataclass
class ReplyFake(FakeTelegram):
    """The fake Bot API, waking whoever waits for the next message to a chat."""

    waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    per_second: Counter[int] = field(default_factory=Counter)
    """Messages received in each second of the wall clock, the seconds Telegram's limit is counted in."""

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self.per_second[math.floor(time.time())] += 1
        result = super()._api_sendMessage(params)
        waiter = self.waiters.pop(str(params["chat_id"]), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.perf_counter())
        return result


@dataclass
class Member:
    """One simulated staff member, walking through /check again and again."""

    chat_id: int
    step: int = 0
    passes: int = 0
    submitted: set[str] = field(default_factory=set)

    @property
    def person(self) -> str:
        """Return the name of the person this pass files: no other pass of any member has it."""
        return f"居民{self.chat_id - FIRST_CHAT_ID}-{self.passes}"

    def next_text(self) -> str:
        """Return what the member says next."""
        return self.person if self.step == PERSON_STEP else CHECK_ANSWERS[self.step]

    def advance(self) -> None:
        """Go on to the next step once the reply came; after 提交, the pass counts as submitted."""
        if CHECK_ANSWERS[self.step] == SUBMIT:
            self.submitted.add(self.person)
            self.passes += 1
        self.step = (self.step + 1) % len(CHECK_ANSWERS)


@dataclass
class Driver:
    """Post members' updates to the instances in turn and time each reply."""

    fake: ReplyFake
    ports: Sequence[int]
    http: httpx.AsyncClient
    members: list[Member]
    errors: int = 0
    steps: int = 0
    _update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _turn: Iterator[int] = field(default_factory=lambda: itertools.count())

    def update(self, member: Member, words: str) -> dict[str, Any]:
        """Return a Telegram update with a member's words; update ids are unique in the run (instances dedupe them)."""
        message: dict[str, Any] = {
            "message_id": next(self._update_ids),
            "from": user(member.chat_id, STAFF_NAME),
            "chat": chat(member.chat_id),
            "date": int(time.time()),
            "text": words,
        }
        if words.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(words), "type": "bot_command"}]
        return {"update_id": next(self._update_ids), "message": message}

    async def step(self, member: Member) -> float:
        """Post a member's next answer to the next instance; return the milliseconds until the reply arrived."""
        port = self.ports[next(self._turn) % len(self.ports)]
        replied: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.fake.waiters[str(member.chat_id)] = replied
        started = time.perf_counter()
        answer = await self.http.post(
            f"http://127.0.0.1:{port}{TELEGRAM_PATH}",
            json=self.update(member, member.next_text()),
            headers={SECRET_HEADER: WEBHOOK_SECRET},
        )
        if answer.status_code != OK:
            self.errors += 1
        arrived = await asyncio.wait_for(replied, REPLY_TIMEOUT_SECONDS)
        member.advance()
        self.steps += 1
        return (arrived - started) * MS

    async def closed_loop(self, seconds: float) -> int:
        """Let every member step as fast as the replies come for ``seconds``; return the steps done in that time."""
        deadline = time.perf_counter() + seconds
        done = 0

        async def walk(member: Member) -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await self.step(member)
                if time.perf_counter() <= deadline:
                    done += 1

        await asyncio.gather(*(walk(member) for member in self.members))
        return done

    async def paced(self, rate: float, seconds: float) -> tuple[list[float], int]:
        """Start steps at a fixed ``rate`` for ``seconds``, each by a member not waiting; return (latencies, late)."""
        idle: deque[Member] = deque(self.members)
        latencies: list[float] = []
        late = 0
        tasks: set[asyncio.Task[None]] = set()
        became_idle = asyncio.Event()

        async def one(member: Member) -> None:
            latencies.append(await self.step(member))
            idle.append(member)
            became_idle.set()

        started = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if not idle:  # every member waits for a reply: the step starts late, and is timed from then
                late += 1
            while not idle:
                became_idle.clear()
                await became_idle.wait()
            task = asyncio.create_task(one(idle.popleft()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        return latencies, late


# -- the database -----------------------------------------------------------------------------------------


@contextmanager
def scratch_database(base: str, template: str | None = None) -> Iterator[str]:
    """Create a database beside the one ``base`` names (a copy of ``template``); yield its URL; drop it at the end."""
    name = f"bench_scale_{uuid.uuid4().hex[:10]}"
    _admin(base, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: str, statement: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def database_stats(monitor: Engine, name: str) -> dict[str, float]:
    """Return the database's commits, its backends' milliseconds active, and active or idle inside a transaction;
    and the server's WAL flushes (``pg_stat_wal``, for the whole server: nothing else writes during a run).

    Commits count every transaction, the pool's check of a connection on checkout (``SELECT 1``, which writes no
    WAL) among them; a WAL flush is what a commit that wrote costs the disk.
    """
    with monitor.connect() as connection:
        row = connection.execute(
            text(
                "SELECT xact_commit, active_time, idle_in_transaction_time FROM pg_stat_database WHERE datname = :name"
            ),
            {"name": name},
        ).one()
        flushes = connection.execute(text("SELECT wal_sync FROM pg_stat_wal")).scalar_one()
    return {
        "commits": float(row[0]),
        "active_ms": float(row[1]),
        "held_ms": float(row[1]) + float(row[2]),
        "wal_flushes": float(flushes),
    }


@dataclass
class Sampler:
    """Watch a database's connections while a run goes on: the most open and busy, and their backends' CPU time."""

    monitor: Engine
    name: str
    most_open: int = 0
    most_busy: int = 0
    first_cpu: dict[int, float] = field(default_factory=dict)
    last_cpu: dict[int, float] = field(default_factory=dict)
    local: bool = True
    """PostgreSQL runs on this machine, so its backends' CPU time can be read in /proc."""

    @property
    def backend_cpu_seconds(self) -> float | None:
        """Return the CPU seconds the backends used while watched (None when PostgreSQL runs on another machine)."""
        if not self.local:
            return None
        return sum(self.last_cpu[pid] - first for pid, first in self.first_cpu.items())

    def sample(self) -> None:
        """Count the connections now and read their backends' CPU time."""
        query = text("SELECT pid, state FROM pg_stat_activity WHERE datname = :name")
        with self.monitor.connect() as connection:
            rows = connection.execute(query, {"name": self.name}).all()
        self.most_open = max(self.most_open, len(rows))
        self.most_busy = max(self.most_busy, sum(state in BUSY_STATES for _, state in rows))
        for pid, _ in rows:
            if not self.local:
                break
            try:
                used = cpu_seconds(int(pid))
            except OSError:  # the connection closed meanwhile
                continue
            self.first_cpu.setdefault(pid, used)
            self.last_cpu[pid] = used

    async def watch(self, stop: asyncio.Event) -> None:
        """Sample until ``stop`` is set, and once more then."""
        while not stop.is_set():
            await asyncio.to_thread(self.sample)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)
        await asyncio.to_thread(self.sample)


def commit_ms(base: str) -> float:
    """Return the median milliseconds of one bare one-row INSERT and COMMIT from this machine."""
    engine = create_engine(base)
    timings = []
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE commit_probe (n integer PRIMARY KEY)"))
        connection.commit()
        for n in range(COMMIT_PROBES):
            began = time.perf_counter()
            connection.execute(text("INSERT INTO commit_probe VALUES (:n)"), {"n": n})
            connection.commit()
            timings.append((time.perf_counter() - began) * MS)
    engine.dispose()
    return statistics.median(timings)


def seed(url: str, members: int) -> None:
    """Create the schema and ``members`` staff members of 朝阳新村, each bound to a Telegram chat of their own."""
    harness = Harness.create(url)
    with session_scope(harness.app.engine) as session:
        for n in range(members):
            member = create_member(
                session=session,
                name=f"{STAFF_NAME}{n}",
                group_key="screening",
                role="staff",
                community=COMMUNITY,
                lang="zh_CN",
                now=harness.clock.now,
            )
            chat_id = str(FIRST_CHAT_ID + n)
            bind_identity(
                session=session,
                member=member,
                platform=PLATFORM_TELEGRAM,
                user_id=chat_id,
                chat_id=chat_id,
                now=harness.clock.now,
            )
    harness.app.engine.dispose()


def exactly_once(url: str, fake: FakeTelegram, members: list[Member]) -> dict[str, int]:
    """Count submissions stored twice or missing, and outbox messages delivered twice or never."""
    engine = create_engine(url)
    with session_scope(engine) as session:
        stored = Counter(session.exec(select(CheckResult.person)).all())
        outbox = session.exec(select(OutboxMessage)).all()
    engine.dispose()
    expected = set().union(*(member.submitted for member in members))
    queued, delivered = queued_and_delivered(outbox, fake)
    return {
        "submissions": len(expected),
        "stored_twice": sum(count - 1 for count in stored.values()),
        "stored_missing": len(expected - set(stored)),
        "stored_unexpected": len(set(stored) - expected),
        "replies": sum(queued.values()),
        "delivered_twice": sum((delivered - queued).values()),
        "never_delivered": sum((queued - delivered).values()),
        "unsent": sum(message.status != STATUS_SENT for message in outbox),
    }


def outbox_settled(engine: Engine) -> bool:
    """Tell whether every outbox message is sent."""
    with session_scope(engine) as session:
        waiting = session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != STATUS_SENT)
        ).one()
    return waiting == 0


# -- the processes ----------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """Return the user and system CPU seconds a process used so far (/proc, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def healthy(http: httpx.AsyncClient, port: int) -> bool:
    """Tell whether an instance answers its health check."""
    try:
        return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == OK
    except httpx.HTTPError:
        return False


async def configuration(
    base: str, template: str, processes: int, phases: tuple[float, float], workdir: Path, *, paced: bool
) -> dict[str, Any]:
    """Run ``processes`` instances on a copy of the seeded database; return their peak, latency and limits."""
    peak_seconds, paced_seconds = phases
    began = time.monotonic()
    members = [Member(FIRST_CHAT_ID + n) for n in range(MEMBERS_PER_PROCESS * processes)]
    with scratch_database(base, template) as url:
        name = make_url(url).database or ""
        monitor = create_engine(base, pool_size=1, max_overflow=0)
        sampler = Sampler(monitor, name, local=make_url(base).host in LOCAL_HOSTS)
        fake = ReplyFake()
        await fake.start()
        ports = [free_port() for _ in range(processes)]
        env = base_env(url, fake, LIANFANG_TICK_SECONDS=TICK_SECONDS, LIANFANG_LOG_JOBS="0")
        env.update(LIANFANG_TELEGRAM_WEBHOOK_URL=WEBHOOK_URL, LIANFANG_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
        env.update(LIANFANG_LOG_LEVEL="WARNING")
        try:
            async with (
                httpx.AsyncClient(trust_env=False, timeout=REPLY_TIMEOUT_SECONDS) as http,
                instances(fake, env, ports, workdir, paced=paced) as running,
            ):
                driver = Driver(fake, ports, http, members)
                await driver.closed_loop(WARMUP_SECONDS)
                before = database_stats(monitor, name)
                cpu_before = sum(cpu_seconds(bot.process.pid) for bot in running)
                own_before, steps_before = time.process_time(), driver.steps
                stop = asyncio.Event()
                watching = asyncio.create_task(sampler.watch(stop))
                if paced:
                    # The pace counts whole seconds of the clock, and the warm-up's last replies (one per member)
                    # took part of the current one: the peak starts with the next, so it spans whole seconds.
                    await asyncio.sleep(math.ceil(time.time()) - time.time())
                peak = await driver.closed_loop(peak_seconds) / peak_seconds
                latencies, late = await driver.paced(LOAD_SHARE * peak, paced_seconds)
                stop.set()
                await watching
                steps = driver.steps - steps_before
                cpu = sum(cpu_seconds(bot.process.pid) for bot in running) - cpu_before
                own = time.process_time() - own_before
                await settled(url)
                exit_codes = await stopped(running)
            after = database_stats(monitor, name)  # the backends flushed their statistics as their sessions ended
            checks = exactly_once(url, fake, members)
        finally:
            await fake.stop()
            monitor.dispose()
    backend_cpu = sampler.backend_cpu_seconds
    all_cpu = cpu + own + (backend_cpu or 0.0)
    return {
        "processes": processes,
        "members": len(members),
        "steps_per_second": round(peak, 1),
        "rate": round(LOAD_SHARE * peak, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, P99), 1),
        "late_starts": late,
        "webhook_errors": driver.errors,
        "clean_exits": sum(code == 0 for code in exit_codes),
        "cpu_ms_per_step": round(cpu * MS / steps, 2),
        "driver_cpu_ms_per_step": round(own * MS / steps, 2),
        "db_cpu_ms_per_step": None if backend_cpu is None else round(backend_cpu * MS / steps, 2),
        "db_active_ms_per_step": round((after["active_ms"] - before["active_ms"]) / steps, 2),
        "db_held_ms_per_step": round((after["held_ms"] - before["held_ms"]) / steps, 2),
        "commits_per_step": round((after["commits"] - before["commits"]) / steps, 2),
        "wal_flushes_per_step": round((after["wal_flushes"] - before["wal_flushes"]) / steps, 2),
        "cpu_bound_steps_per_second": round((os.cpu_count() or 1) * steps / all_cpu, 1),
        "connections_open_max": sampler.most_open,
        "connections_busy_max": sampler.most_busy,
        "most_sent_in_a_second": max(fake.per_second.values(), default=0),
        **checks,
        "seconds": round(time.monotonic() - began, 1),
    }


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def settled(url: str) -> None:
    """Wait until every outbox message is sent (or SETTLE_SECONDS passed: the checks then count what is not)."""
    engine = create_engine(url)
    deadline = time.monotonic() + SETTLE_SECONDS
    while not outbox_settled(engine) and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
    engine.dispose()


@asynccontextmanager
async def instances(
    fake: FakeTelegram, env: dict[str, str], ports: list[int], workdir: Path, *, paced: bool
) -> AsyncIterator[list[Running]]:
    """Start ``lianfang run`` on each port at once; wait until each answers its health check; kill what is left."""
    running = []
    for port in ports:
        log = workdir / f"scale-{port}.stderr"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, *(["-m", "lianfang.app.cli"] if paced else [str(UNPACED)]), "run"],
                env={**env, "LIANFANG_HTTP_PORT": str(port), "LIANFANG_CLOCK_START": CLOCK_START},
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        running.append(Running(process, log, fake))
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=REPLY_TIMEOUT_SECONDS) as http:
            for bot, port in zip(running, ports, strict=True):
                deadline = time.monotonic() + START_SECONDS
                while not await healthy(http, port):
                    if bot.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the instance on port {port} did not start:\n{bot.tail()}")
                    await asyncio.sleep(POLL_SECONDS)
        yield running
    finally:
        for bot in running:
            if bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait()


async def stopped(running: list[Running]) -> list[int | None]:
    """Send SIGTERM to every process, as a service manager does; return their exit codes (None: did not exit)."""
    for bot in running:
        bot.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    while any(bot.process.poll() is None for bot in running) and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
    return [bot.process.poll() for bot in running]


async def measure(base: str, quick: bool, *, paced: bool = False) -> dict[str, Any]:
    """Run every configuration; return the result line's fields."""
    phases = (QUICK_PEAK_SECONDS, QUICK_PACED_SECONDS) if quick else (PEAK_SECONDS, PACED_SECONDS)
    started, load = time.monotonic(), os.getloadavg()
    probe = commit_ms(base)
    runs = []
    with tempfile.TemporaryDirectory() as folder, scratch_database(base) as seeded:
        seed(seeded, MEMBERS_PER_PROCESS * max(PROCESSES))
        template = make_url(seeded).database or ""
        for processes in PROCESSES:
            runs.append(await configuration(base, template, processes, phases, Path(folder), paced=paced))
            logger.info("scale-out: %s", runs[-1])
    by = {run["processes"]: run for run in runs}
    one, four = by[1]["steps_per_second"], by[max(PROCESSES)]
    # One process ran the most steps per process, so its figures carry the least of the per-process background
    # work (outbox polls, the leadership lease) and the least waiting for a CPU: the nearest to a step's own cost.
    city = estimate(
        cpu_ms_per_step=by[1]["cpu_ms_per_step"],
        db_cpu_ms_per_step=by[1]["db_cpu_ms_per_step"] or 0.0,
        db_active_ms_per_step=by[1]["db_active_ms_per_step"],
        db_held_ms_per_step=by[1]["db_held_ms_per_step"],
        commits_per_step=by[1]["commits_per_step"],
        wal_flushes_per_step=by[1]["wal_flushes_per_step"],
    )
    return {
        "value": four["steps_per_second"],
        "steps_per_second": {run["processes"]: run["steps_per_second"] for run in runs},
        "speedup_2": round(by[2]["steps_per_second"] / one, 2),
        "speedup_4": round(four["steps_per_second"] / one, 2),
        "p50_ms": max(run["p50_ms"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "p99_target_ms": TARGET_P99_MS,
        "stored_twice": sum(run["stored_twice"] + run["stored_unexpected"] for run in runs),
        "stored_missing": sum(run["stored_missing"] for run in runs),
        "delivered_twice": sum(run["delivered_twice"] for run in runs),
        "never_delivered": sum(run["never_delivered"] + run["unsent"] for run in runs),
        "commit_ms": round(probe, 2),
        "paced": paced,
        "cpus": os.cpu_count(),
        "load_before": [round(figure, 1) for figure in load],
        "load_after": [round(figure, 1) for figure in os.getloadavg()],
        "seconds": round(time.monotonic() - started, 1),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": runs,
        "city": city.as_dict(),
    }


def emit_scale(fields: dict[str, Any]) -> None:
    """Print the result line: the target is the 4-process speedup; p99 has its own."""
    value = fields.pop("value")
    emit(BENCH, value, "steps/s", TARGET_SPEEDUP_4, on="speedup_4", better="higher", **fields)


def main() -> None:
    """Print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL; each run makes and drops a database")
    parser.add_argument("--quick", action="store_true", help="shorter phases, for a smoke run")
    pacing = "keep the pacing of sends at Telegram's 30 messages/s, shared by the processes (the production default)"
    parser.add_argument("--paced", action="store_true", help=pacing)
    parser.add_argument("--verbose", action="store_true", help="log each configuration's figures as it ends")
    args = parser.parse_args()
    # lianfang seals personal data and refuses to run on PostgreSQL without a key: one for this run, unless given
    os.environ.setdefault(DATA_KEY, new_key_text())
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    emit_scale(asyncio.run(measure(args.database_url, args.quick, paced=args.paced)))


if __name__ == "__main__":
    main()
