"""The ``lianfang`` command as an operator uses it, run as a real process."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from tests.environment import process_environment
from tests.paths import ROOT


def lianfang(*args: str, tmp_path: Path, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m lianfang.app.cli`` with a database in tmp_path."""
    env = process_environment()  # the tests' data key: the outbox rows a test writes are sealed with it
    env["LIANFANG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "lianfang.app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=timeout,
    )


def test_org_check_ok_and_problems(tmp_path: Path) -> None:
    ok = lianfang("org", "check", str(ROOT / "examples" / "wulipai.toml"), tmp_path=tmp_path)
    assert (ok.returncode, ok.stdout.strip()) == (0, "OK")
    broken = tmp_path / "broken.toml"
    text = (
        (ROOT / "examples" / "wulipai.toml")
        .read_text(encoding="utf-8")
        .replace('deadline = "15:30"', 'deadline = "25:30"')
    )
    broken.write_text(text, encoding="utf-8")
    bad = lianfang("org", "check", str(broken), tmp_path=tmp_path)
    assert bad.returncode == 2
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("deadline"))
    assert f"broken.toml:{line}: schedule.deadline:" in bad.stdout


def test_db_upgrade_and_invite_create(tmp_path: Path) -> None:
    assert lianfang("db", "upgrade", tmp_path=tmp_path).stdout.strip() == "OK"
    made = lianfang(
        "invite", "create", "--group", "screening", "--role", "staff", "--community", "朝阳社区", tmp_path=tmp_path
    )
    assert made.returncode == 0 and len(made.stdout.strip()) == 8
    wrong = lianfang("invite", "create", "--group", "nope", "--role", "staff", tmp_path=tmp_path)
    assert wrong.returncode == 2 and "screening" in wrong.stderr


def test_demo_shows_the_day(tmp_path: Path) -> None:
    result = lianfang("demo", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr
    for expected in ("⚠️", "确认收到", "15:00", "15:30", "未报", "执纪督查组", "补报", "无新情况", "群聊 领导小组"):
        assert expected in out, expected
    assert out.index("15:30  15:30") < out.rindex("补报")


def test_console_answers_1000_random_lines_and_exits_cleanly(tmp_path: Path) -> None:
    code = lianfang("invite", "create", "--group", "screening", "--role", "reporter", tmp_path=tmp_path).stdout.strip()
    rng = random.Random(7)
    words = [
        "/check",
        "/supply",
        "/daily",
        "/cancel",
        "/back",
        "/skip",
        "/help",
        "/report",
        "/lang en",
        "/lang zh",
        "排查",
        "物资",
        "取消",
        "3栋",
        "张三",
        "37.9",
        "咳嗽",
        "1",
        "2",
        "提交",
        "",
        "😷",
        "<b>x</b>",
        "-1",
    ]
    lines = [f"/join {code}"] + [rng.choice(words) + rng.choice(["", " 12", " 口罩"]) for _ in range(1000)]
    result = lianfang("console", stdin="\n".join(lines) + "\n", tmp_path=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    answers = [block for block in result.stdout.split("\n\n") if block.strip()]
    assert len(answers) >= len(lines)


def test_outbox_failed_lists_undeliverable_messages(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from lianfang.bot.db import make_engine, session_scope, upgrade
    from lianfang.models.outbox import STATUS_FAILED, OutboxMessage

    assert "no failed messages" in lianfang("outbox", "failed", tmp_path=tmp_path).stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(
            OutboxMessage(
                platform="telegram",
                chat_id="6021447312",
                payload={"lines": [], "lang": "zh_CN"},
                status=STATUS_FAILED,
                attempts=1,
                created_at=datetime(2020, 1, 28, 7, 0, tzinfo=UTC),
                error="forbidden: bot was blocked by the user",
            )
        )
    engine.dispose()
    listed = lianfang("outbox", "failed", tmp_path=tmp_path).stdout
    assert "6021447312" in listed and "forbidden: bot was blocked by the user" in listed
    assert "2020-01-28 15:00" in listed  # local time (Asia/Shanghai), as `audit` shows it, not UTC


def test_wecom_bind_robot_checks_the_purpose(tmp_path: Path) -> None:
    env = ("wecom", "bind-robot", "--key", "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
    unconfigured = lianfang(*env, "--bind", "leadership", tmp_path=tmp_path)  # no test message can be sent
    assert unconfigured.returncode == 2 and "LIANFANG_WECOM_CORP_ID" in unconfigured.stderr
    wrong = lianfang(*env, "--bind", "group:nope", tmp_path=tmp_path)
    assert wrong.returncode == 2 and "group:screening" in wrong.stderr
