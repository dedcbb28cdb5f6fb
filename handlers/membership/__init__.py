"""Members: joining by invite, binding chats, language, help, and the roster."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.membership import joining, roster
from lianfang.handlers.membership.cli import add_subcommands
from lianfang.handlers.membership.joining import new_invite
from lianfang.handlers.membership.roster import (
    RosterError,
    deactivate,
    local_moment,
    reactivate,
    relink,
    revoke,
    role_label,
)
from lianfang.handlers.shared.access import is_admin

MENU = (
    MenuEntry("start", label=Text("menu.start"), private_at=10),
    MenuEntry("help", label=Text("menu.help"), private_at=20, group_at=40),
    MenuEntry("join", label=Text("menu.join"), private_at=30),
    MenuEntry(
        "bind",
        label=Text("menu.bind"),
        private_at=130,
        group_at=10,
        help=Text("help.bind"),
        help_at=120,
        shown_to=is_admin,
    ),
    MenuEntry(roster.CMD_MEMBERS, help=Text("help.members"), help_at=130, shown_to=is_admin),
    MenuEntry("lang", label=Text("menu.lang"), private_at=140, help=Text("help.lang"), help_at=150),
    MenuEntry("cancel", label=Text("menu.cancel"), private_at=150),
    MenuEntry(help=Text("help.title"), help_at=0),
    MenuEntry(help=Text("help.form_controls"), help_at=160),
)
"""Membership's menu entries; the positions order every feature's entries (see ``bot.feature.MenuEntry``)."""


FEATURE = Feature(
    name="membership",
    cli=add_subcommands,
    commands=(*joining.COMMANDS, *roster.COMMANDS),
    forms=(*joining.FORMS, *roster.FORMS),
    menu=MENU,
)


__all__ = [
    "FEATURE",
    "RosterError",
    "deactivate",
    "local_moment",
    "new_invite",
    "reactivate",
    "relink",
    "revoke",
    "role_label",
]
