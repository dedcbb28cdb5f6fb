"""A day of field work with personal data in every kind of record, and ways to run the retention commands."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render_lines
from lianfang.bot.subcommands import CliRuntime
from lianfang.handlers.daily_report.report import build_daily_report
from lianfang.handlers.retention.cli import cmd_emergency_end, cmd_purge
from lianfang.handlers.retention.settings import RetentionRules
from lianfang.models.checks import CheckResult
from lianfang.models.observation import Observation
from lianfang.models.referrals import Referral
from lianfang.models.screening import ScreeningTarget
from sqlmodel import Session, col, select

from tests.fakes import TEST_DAY, Chat, Harness
from tests.handlers.screening.test_verification import load_list, verify_reached
from tests.org import load_test_org

RESIDENTS = ("李四", "王五", "孙七", "周八")
"""The residents whose records close on the day of work (赵六 stays open on the ledger)."""
PHONES = ("13812345678", "13912345678", "13712345678", "13612345678")


@dataclass
class Team:
    """Who worked on the day: the admin, a 东风 field worker and the 排查组 lead, and the ledger's target ids."""

    admin: Chat
    staff: Chat
    lead: Chat
    ids: dict[str, int]


async def retention_harness(database_url: str, **rules: object) -> AsyncIterator[Harness]:
    """Yield a running instance whose org file has these [retention] rules."""
    org = load_test_org()
    harness = Harness.create(database_url, org=org.model_copy(update={"retention": RetentionRules(**rules)}))
    await harness.app.start()
    yield harness
    await harness.app.stop()
    harness.app.engine.dispose()


async def check(staff: Chat, line: str, phone: str, measure: str) -> None:
    """Record a one-line check result with a phone and a measure."""
    await staff.say(f"/check {line}")
    await staff.say(phone)
    await staff.say("1")
    await staff.say(measure)
    await staff.say("提交")


async def day_of_work(harness: Harness, tmp_path: Path) -> Team:
    """Verify two ledger people (one referred and the referral closed), observe one checked person and release
    them, check one more; every kind of record closes on TEST_DAY."""
    admin, _, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    lead = await harness.member("董晓波", "screening", "group_lead")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['李四']}")
    await verify_reached(staff, "36.5", "无", "无需处置")
    await staff.say("提交")
    await staff.say(f"/verify {ids['王五']}")
    await verify_reached(staff, "38.2", "咳嗽", "转诊发热门诊")
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        referral_id = session.exec(select(Referral.id)).one()
    for step in ("arrived", "excluded", "closed"):
        await staff.say(f"/referral {referral_id} {step}")
    await check(staff, "东风小区5栋101 孙七 36.5 无", PHONES[2], "居家")
    with Session(harness.app.engine) as session:
        observation_id = session.exec(select(Observation.id)).one()
    await lead.say(f"解除观察 {observation_id} 转集中隔离点")
    await check(staff, "东风小区6栋202 周八 36.6 无", PHONES[3], "无需处置")
    for chat in (admin, staff, lead):
        chat.catch_up()
    return Team(admin, staff, lead, ids)


def report_text(harness: Harness, day: date = TEST_DAY) -> str:
    """Return the merged daily report of a day as the leadership reads it."""
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        return render_lines(build_daily_report(ctx, day), "zh")


def runtime(harness: Harness) -> CliRuntime:
    """Return a CLI runtime whose every command runs on the harness's instance and clock."""
    return CliRuntime(
        load_settings=lambda: harness.app.settings,
        load_org=lambda _settings: harness.org,
        build_app=lambda _settings, _org: harness.app,
    )


def end_emergency(harness: Harness, day: date) -> None:
    """Run ``lianfang emergency end DAY``."""
    assert cmd_emergency_end(runtime(harness), argparse.Namespace(date=day)) == 0


def purge(harness: Harness, capsys: pytest.CaptureFixture[str], *, dry_run: bool = False, person: str | None = None):  # noqa: ANN201
    """Run ``lianfang purge``; return the exit code, what it printed and what it said on stderr."""
    capsys.readouterr()
    code = cmd_purge(runtime(harness), argparse.Namespace(dry_run=dry_run, person=person))
    out, err = capsys.readouterr()
    return code, out, err


def stored_people(harness: Harness) -> str:
    """Return every name, phone and address the person tables hold, as one text to search."""
    with Session(harness.app.engine) as session:
        values: list[object] = []
        for target in session.exec(select(ScreeningTarget).order_by(col(ScreeningTarget.id))):
            values += [target.name, target.phone, target.address, target.id_number]
        for result in session.exec(select(CheckResult)):
            values += [result.person, result.phone, result.address]
        for referral in session.exec(select(Referral)):
            values += [referral.person, referral.phone, referral.address]
    return "\n".join(str(v) for v in values)
