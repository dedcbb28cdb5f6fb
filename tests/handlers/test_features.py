"""The features' declarations: every package listed, no cycles, menus, help and figures derived from them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import lianfang.handlers
import pytest
from lianfang.app.features import FEATURES, FIGURES, GROUP_COMMANDS, MENU, PRIVATE_COMMANDS
from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.org import default_org_path
from lianfang.models.members import REPORTING_ROLES, ROLE_ADMIN, ROLE_GROUP_LEAD, ROLES, Member, find_speaker

from tests.fakes import Harness, keys_of
from tests.org import check_test_org

HANDLERS = Path(lianfang.handlers.__file__).parent
SHARED = "shared"
"""The domain helpers every feature may use: a package under handlers/ that is not a feature."""
ORDER = (
    "alerts",
    "referrals",
    "observation",
    "checks",
    "screening",
    "coverage",
    "supplies",
    "stability",
    "supervision",
    "duty",
    "meetings",
    "leave",
    "daily_report",
    "report_files",
    "dashboard",
    "membership",
    "undeliverable",
    "retention",
)
"""The order written in handlers/__init__.py: a feature imports only those before it."""
GROUPS = ("coordination", "screening", "supplies", "stability")


def feature_folders() -> set[str]:
    """Return the feature packages under handlers/."""
    return {path.parent.name for path in HANDLERS.glob("*/__init__.py")} - {SHARED}


def test_every_feature_package_is_listed_once_in_features() -> None:
    names = [feature.name for feature in FEATURES]
    assert sorted(names) == sorted(feature_folders())
    assert len(names) == len(set(names))


def test_the_order_in_the_docstring_names_every_feature() -> None:
    assert set(ORDER) == feature_folders()
    doc = lianfang.handlers.__doc__ or ""
    assert " → ".join((SHARED, *ORDER)) in " ".join(doc.split())


def imported_features(path: Path) -> list[tuple[str, str]]:
    """Return (feature, module imported) for every import of a feature package in a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lianfang.handlers."):
            parts = node.module.split(".")
            if parts[2] != SHARED:
                found.append((parts[2], node.module))
    return found


@pytest.mark.parametrize("feature", ORDER)
def test_a_feature_imports_others_through_their_package_and_only_downward(feature: str) -> None:
    below = set(ORDER[: ORDER.index(feature)])
    for path in (HANDLERS / feature).rglob("*.py"):
        for other, module in imported_features(path):
            if other == feature:
                continue
            where = f"{path.relative_to(HANDLERS)} imports {module}"
            assert module == f"lianfang.handlers.{other}", f"{where}: import the package, not its modules"
            assert other in below, f"{where}: {other} comes after {feature}"


@pytest.mark.parametrize("feature", sorted(feature_folders()))
def test_each_feature_package_imports_alone(feature: str) -> None:
    # A fresh interpreter per package: a cycle shows as an ImportError only when the package is imported first.
    code = f"import lianfang.handlers.{feature}"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


def test_the_telegram_menus_are_derived_and_unchanged() -> None:
    assert PRIVATE_COMMANDS == (
        "start",
        "help",
        "join",
        "check",
        "tasks",
        "followup",
        "referral",
        "supply",
        "stock",
        "funds",
        "market",
        "incident",
        "supervise",
        "meeting",
        "duty",
        "daily",
        "report",
        "dashboard",
        "coverage",
        "export",
        "bind",
        "lang",
        "cancel",
    )
    assert GROUP_COMMANDS == ("bind", "report", "coverage", "help")
    commands = {command.name for feature in FEATURES for command in feature.commands}
    assert set(PRIVATE_COMMANDS) | set(GROUP_COMMANDS) <= commands
    assert MENU.entries == tuple(entry for feature in FEATURES for entry in feature.menu)


def test_every_figure_a_feature_computes_can_fill_a_report_field(tmp_path: Path) -> None:
    sample = default_org_path().read_text(encoding="utf-8")
    assert 'source = "checks_today"' in sample
    for figure in FIGURES:
        path = tmp_path / f"{figure}.toml"
        path.write_text(sample.replace('source = "checks_today"', f'source = "{figure}"', 1), encoding="utf-8")
        assert check_test_org(path) == [], figure


def legacy_help_keys(ctx: Context, member: Member) -> list[str]:
    """Return the /help keys as the hand-kept list in handlers/membership chose them before they were derived."""
    overseer = member.role in ("admin", "leader") or member.group_key == ctx.org.coordination_group
    screening = member.group_key == ctx.org.screening.group
    keys = ["help.title", "help.check", "help.referral", "help.coverage", "help.supply", "help.stock"]
    if member.role in ("admin", "leader") or (member.role == ROLE_GROUP_LEAD and member.group_key == "supplies"):
        keys.append("help.funds")
    if overseer or member.group_key in ("supplies", "stability"):
        keys.append("help.market")
    keys.append("help.incident")
    if screening:
        keys[2:2] = ["screening.help", "observation.help"]
    if overseer or member.role in ("group_lead", "reporter") or member.group_key == ctx.org.supervision.group:
        keys.append("supervision.help")
    if member.role == ROLE_GROUP_LEAD or member.group_key == ctx.org.supervision.group:
        keys.append("supervision.help_inspect")
    keys += ["meeting.help", "duty.help", "leave.help"]
    if overseer or (member.role == ROLE_GROUP_LEAD and screening):
        keys.append("observation.help_manage")
    if member.role in REPORTING_ROLES:
        keys.append("help.daily")
    if overseer:
        keys += ["help.report", "report_files.help"]
    keys.append("dashboard.help")
    if overseer or member.role in ctx.org.access.full_data_roles:
        keys.append("help.ack")
    if member.role == ROLE_ADMIN:
        keys += ["help.bind", "help.members"]
    return [*keys, "help.lang", "help.form_controls"]


async def test_help_shows_each_entry_to_the_members_it_names_and_no_one_else(harness: Harness) -> None:
    seen: set[str] = set()
    for number, (group, role) in enumerate((group, role) for group in GROUPS for role in ROLES):
        chat = await harness.member(f"成员{number}", group, role)
        shown = keys_of(await chat.say("/help"))
        with session_scope(harness.app.engine) as session:
            ctx = harness.app.dispatcher.context(session, harness.clock())
            member = session.get(Member, harness_member_id(harness, chat.user_id))
            assert member is not None
            expected = [entry.help.key for entry in MENU.entries if entry.help and entry.shown_to(ctx, member)]
            assert sorted(shown) == sorted(expected), (group, role)
            assert shown == legacy_help_keys(ctx, member), (group, role)
        seen |= set(shown)
    every = {entry.help.key for entry in MENU.entries if entry.help is not None}
    assert seen == every  # each entry was shown to someone, and hidden from whoever it does not name


def harness_member_id(harness: Harness, user_id: str) -> int:
    """Return the member id behind a platform user of the memory adapter."""
    with session_scope(harness.app.engine) as session:
        speaker = find_speaker(connection=session.connection(), platform=harness.adapter.platform, user_id=user_id)
        assert speaker is not None and speaker.member_id is not None
        return speaker.member_id
