"""Any text at any point gets an answer and never an exception; nothing half-written stays behind."""

from __future__ import annotations

import random

from lianfang.models.checks import CheckResult
from lianfang.models.drafts import Draft
from lianfang.models.outbox import OutboxMessage
from sqlmodel import Session, func, select

from tests.fakes import Harness, keys_of, texts_of

NASTY = [
    "",
    " ",
    "\x00\x01\x02\x1b[31m",
    "😷🦠💉" * 50,
    "'; DROP TABLE member; --",
    "<b>bold</b><script>alert(1)</script>",
    "{name} {0} {} %s %(x)s",
    "/",
    "//check",
    "/check@",
    "/unknowncommand",
    "37.3" * 1000,
    "-1",
    "1e309",
    "NaN",
    "\u202e\u200b\ufeff",
    "２０２０-０１-２８",
    "/report 2020-13-45",
    "/daily 999",
    "/lang klingon",
    "#999:submit",
]


async def test_every_nasty_line_is_answered_outside_any_form(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    for line in NASTY:
        answer = await staff.say(line)
        assert answer, f"no answer to {line!r}"
        assert "common.error" not in keys_of(answer), line


async def test_every_nasty_line_is_answered_inside_every_form(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter", "chaoyang")
    for start in ("/check", "/supply", "/daily"):
        for line in NASTY:
            await reporter.say(start)
            answer = await reporter.say(line)
            assert answer, f"no answer to {line!r} in {start}"
            assert "common.error" not in keys_of(answer), (start, line)
    await reporter.say("/cancel")


async def test_a_100kb_message_is_refused_politely_and_the_form_survives(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check")
    assert keys_of(await staff.say("栋" * 100_000)) == ["common.too_long"]
    assert keys_of(await staff.say("3栋"))[0] == "check.ask_person"


async def test_random_answers_never_store_a_half_record(harness: Harness) -> None:
    rng = random.Random(20200128)
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    alphabet = "0123456789.-栋单元号张三咳嗽无居家提交取消 /abc"
    for _ in range(300):
        if rng.random() < 0.1:
            await staff.say(rng.choice(["/check", "/supply", "/cancel", "/back", "/skip"]))
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert await staff.say(line)
    with Session(harness.app.engine) as session:
        for record in session.exec(select(CheckResult)):
            assert record.address and record.person and record.measure  # complete, or not there at all
        assert session.exec(select(func.count()).select_from(Draft)).one() <= 1


async def test_a_failing_handler_rolls_back_and_says_so(harness: Harness, monkeypatch) -> None:  # noqa: ANN001
    import lianfang.handlers.checks.checks as checks

    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋 张三 36.5 无")
    await staff.say("/skip")
    await staff.say("1")
    await staff.say("4")

    def explode(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(checks, "add_check", explode)
    assert keys_of(await staff.say("提交")) == ["common.error"]
    with Session(harness.app.engine) as session:
        assert session.exec(select(CheckResult)).all() == []
        assert session.exec(select(Draft)).one().form == "check"  # the draft is still there to retry
    monkeypatch.undo()
    assert keys_of(await staff.say("提交")) == ["check.saved"]


async def test_redelivered_event_is_processed_once(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert await staff.say("/check", event_id="42")
    assert await staff.say("/check", event_id="42") == []
    with Session(harness.app.engine) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() >= 1


async def test_expired_draft_is_dropped_with_a_notice(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check")
    harness.advance(hours=3)
    await harness.tick()
    assert keys_of(staff.unread()) == ["form.expired"]
    assert keys_of(await staff.say("3栋")) == ["common.not_understood"]


HUGE = "99999999999999999999999"
NOT_QUITE_NUMBERS = (HUGE, "2147483648", "#" + HUGE, "１" * 30, "²", "9" * 300)


async def test_numbers_no_record_can_have_are_answered_as_no_such_number(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    for number in NOT_QUITE_NUMBERS:
        shown = number[:20]
        assert keys_of(await admin.say(f"/ack {number}")) in (["alert.unknown"], ["alert.ack_usage"]), shown
        assert keys_of(await admin.say(f"/referral {number}")) == ["referral.unknown"], shown
        assert keys_of(await admin.say(f"/verify {number}")) == ["screening.target_unknown"], shown
        assert keys_of(await admin.say(f"/followup {number}")) == ["observation.unknown"], shown
        assert keys_of(await admin.say(f"/extend {number} 3 原因")) == ["observation.unknown"], shown
        assert keys_of(await admin.say(f"/release {number} 原因")) == ["observation.unknown"], shown
    assert keys_of(await admin.say(f"/ack {HUGE}")) == ["alert.unknown"]
    assert keys_of(await admin.say("/extend 1 ² 原因")) == ["observation.extend_usage"]
    answer = texts_of(await admin.say(f"确认 {HUGE}"))
    assert "没有第 999999999999 号预警" in answer
