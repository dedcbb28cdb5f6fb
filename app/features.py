"""The features this bot is made of, and every registry derived from their declarations."""

from typing import Any

from lianfang.bot.dispatcher import Command
from lianfang.bot.exports import Exports
from lianfang.bot.feature import Feature, OrgMemberCheck, RouteFactory
from lianfang.bot.forms import Form
from lianfang.bot.jobs import Job
from lianfang.bot.menu import Menu
from lianfang.bot.org import OrgSection
from lianfang.bot.report_parts import ReportParts
from lianfang.bot.subcommands import CliRegistrar
from lianfang.handlers import (
    alerts,
    checks,
    coverage,
    daily_report,
    dashboard,
    duty,
    leave,
    meetings,
    membership,
    observation,
    referrals,
    report_files,
    retention,
    screening,
    stability,
    supervision,
    supplies,
    undeliverable,
)
from lianfang.scheduler.jobs import Ticker

FEATURES: tuple[Feature, ...] = (
    membership.FEATURE,
    daily_report.FEATURE,
    report_files.FEATURE,
    dashboard.FEATURE,
    observation.FEATURE,
    alerts.FEATURE,
    referrals.FEATURE,
    checks.FEATURE,
    screening.FEATURE,
    coverage.FEATURE,
    supplies.FEATURE,
    stability.FEATURE,
    supervision.FEATURE,
    duty.FEATURE,
    meetings.FEATURE,
    leave.FEATURE,
    undeliverable.FEATURE,
    retention.FEATURE,
)
"""Every feature of the bot; their jobs run in this order."""
MENU = Menu.of(FEATURES)
"""The Telegram menus and the /help lines of every feature; members find the /help lines on their context."""

COMMANDS: tuple[Command, ...] = tuple(command for feature in FEATURES for command in feature.commands)
FORMS: tuple[Form, ...] = tuple(form for feature in FEATURES for form in feature.forms)
JOBS: tuple[Job, ...] = tuple(job for feature in FEATURES for job in feature.jobs)
REPORT_PARTS = ReportParts.of(FEATURES)
"""What the features add to the merged daily report."""
EXPORTS = Exports.of(FEATURES)
"""The files members may export in chat, by name (``/export supervision``)."""
FIGURES = REPORT_PARTS.figure_names
"""The report figures the features compute: the names a report field's ``source`` may give."""
TICK = Ticker(JOBS)
"""The scheduled tick: every feature's jobs, then the kernel's upkeep."""

PRIVATE_COMMANDS = MENU.private_commands()
"""The command menu in private chats, in menu order; each command's label comes from its menu entry."""
GROUP_COMMANDS = MENU.group_commands()
"""The command menu in group chats, in menu order."""
ORG_SECTIONS: tuple[OrgSection[Any], ...] = tuple(f.settings for f in FEATURES if f.settings is not None)
"""The features' tables in the org file, which the org model is composed of."""
FEATURE_CLIS: tuple[CliRegistrar, ...] = tuple(f.cli for f in FEATURES if f.cli is not None)
"""The features' ``lianfang`` subcommands."""
FEATURE_ROUTES: tuple[RouteFactory, ...] = tuple(f.routes for f in FEATURES if f.routes is not None)
"""The features' HTTP routes, built for an instance by ``create_web_app``."""
ORG_MEMBER_CHECKS: tuple[OrgMemberCheck, ...] = tuple(f.org_members for f in FEATURES if f.org_members is not None)
"""How ``lianfang org check`` checks the member names the org file gives, when it has a database."""
