"""The member and invite commands of ``lianfang`` as an operator uses them, run in-process for speed."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from lianfang.app.cli import main


@dataclass
class Result:
    """What one command printed and returned."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def lianfang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """Return a runner of ``lianfang ARGS`` on a SQLite database in tmp_path, with optional standard input."""
    for name in [name for name in os.environ if name.startswith("LIANFANG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LIANFANG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str = "") -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def test_invite_hours_are_checked(lianfang) -> None:  # noqa: ANN001
    base = ("invite", "create", "--group", "screening", "--role", "staff", "--hours")
    for bad in ("0", "-5", "99999999999999999999"):
        result = lianfang(*base, bad)
        assert result.returncode == 2 and "--hours" in result.stderr and "Traceback" not in result.stderr, bad
    assert lianfang(*base, "720").returncode == 0


def test_invite_list_and_revoke_with_a_full_width_code(lianfang) -> None:  # noqa: ANN001
    code = lianfang("invite", "create", "--group", "screening", "--role", "staff").stdout.strip()
    assert code in lianfang("invite", "list").stdout
    typed = " ".join("".join(chr(ord(ch) + 0xFEE0) for ch in code.lower()))
    assert lianfang("invite", "revoke", typed).stdout.strip() == "OK"
    assert "no open invites" in lianfang("invite", "list").stdout
    again = lianfang("invite", "revoke", code)
    assert again.returncode == 2 and "already revoked" in again.stderr
    unknown = lianfang("invite", "revoke", "NOPE2345")
    assert unknown.returncode == 2 and "no invite code" in unknown.stderr


def test_members_lifecycle_from_the_console_and_the_command_line(lianfang) -> None:  # noqa: ANN001
    """Two people join from one terminal with --as; the operator lists, deactivates, reactivates and relinks."""
    invite = ("invite", "create", "--group", "screening", "--role", "staff", "--name")
    first = lianfang(*invite, "张伟").stdout.strip()
    second = lianfang(*invite, "李四").stdout.strip()
    for name, code in (("张伟", first), ("李四", second)):
        joined = lianfang("console", "--as", name, stdin=f"/join {code}\n")
        assert "欢迎您" in joined.stdout, joined.stdout + joined.stderr
    listed = lianfang("members", "list", "--group", "screening").stdout
    assert "张伟" in listed and "李四" in listed
    assert "李四，您好" in lianfang("console", "--as", "李四", stdin="/start\n").stdout

    same = lianfang(*invite, "张伟")
    assert same.returncode == 2 and "members relink" in same.stderr and same.stdout == ""
    missing = lianfang("members", "deactivate", "王五", "--reason", "x")
    assert missing.returncode == 2 and "no member" in missing.stderr
    assert lianfang("members", "deactivate", "张伟").returncode == 2  # --reason is required
    done = lianfang("members", "deactivate", "张伟", "--reason", "调离岗位")
    assert done.returncode == 0 and "已停用" in done.stdout
    inactive = lianfang("members", "list", "--inactive").stdout
    assert "张伟" in inactive and "调离岗位" in inactive and "李四" not in inactive
    stranger = lianfang("console", "--as", "张伟", stdin="/help\n").stdout
    assert "您还不是" in stranger
    assert lianfang("members", "relink", "张伟").returncode == 2  # reactivate first
    assert lianfang("members", "reactivate", "张伟").returncode == 0
    relinked = lianfang("members", "relink", "张伟")
    code = relinked.stdout.strip()
    assert relinked.returncode == 0 and len(code) == 8 and "换绑" in relinked.stderr
    moved = lianfang("console", "--as", "zhangwei-new-phone", stdin=f"/join {code}\n")
    assert "换绑到这个账号" in moved.stdout
    audit = lianfang("audit").stdout
    for action in ("deactivate", "reactivate", "relink", "join"):
        assert f"\t{action}\t" in audit, action

    lianfang(*invite, "张伟", "--same-name")
    twin = lianfang("invite", "list").stdout
    code = next(line.split("\t")[0] for line in twin.splitlines() if "张伟" in line)
    lianfang("console", "--as", "另一个张伟", stdin=f"/join {code}\n")
    ambiguous = lianfang("members", "deactivate", "张伟", "--reason", "x")
    assert ambiguous.returncode == 2 and ambiguous.stderr.count("张伟") >= 3


def test_the_subcommands_use_the_runtime_they_are_given() -> None:
    import argparse

    from lianfang.bot.subcommands import EXIT_INVALID, CliRuntime
    from lianfang.handlers.membership.cli import add_subcommands

    asked: list[str] = []

    def refuse() -> NoReturn:
        asked.append("settings")
        raise SystemExit(EXIT_INVALID)

    def never(*_args: object) -> NoReturn:
        raise AssertionError("the settings were refused, so nothing else is asked for")

    parser = argparse.ArgumentParser(prog="lianfang")
    runtime = CliRuntime(load_settings=refuse, load_org=never, build_app=never)
    add_subcommands(parser.add_subparsers(dest="command", required=True), runtime)
    args = parser.parse_args(["members", "list"])
    with pytest.raises(SystemExit):
        args.func(args)
    assert asked == ["settings"]
