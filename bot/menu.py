"""The menus of the bot: each feature's entries in the Telegram command menus and in /help, in their declared order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lianfang.bot.types import Text

if TYPE_CHECKING:
    from lianfang.bot.context import Context
    from lianfang.bot.feature import Feature
    from lianfang.models.members import Member

Audience = Callable[["Context", "Member"], bool]
"""Whether a member sees an entry in /help."""


def everyone(_ctx: Context, _member: Member) -> bool:
    """Show an entry to every member."""
    return True


@dataclass(frozen=True)
class MenuEntry:
    """A feature's place in the menus: a command in the Telegram menus, a line of /help, or both.

    The positions order the entries of all features in each menu (lower first); an entry is left out of a menu
    whose position it does not give. The Telegram menus are the same for everyone; /help shows an entry's line
    only to the members ``shown_to`` accepts.
    """

    command: str | None = None
    """The command, for the Telegram menus."""
    label: Text | None = None
    """What the command does, as the Telegram menus show it beside the command (a ``menu.*`` locale key)."""
    private_at: int | None = None
    """Its position in the private-chat menu."""
    group_at: int | None = None
    """Its position in the group-chat menu."""
    help: Text | None = None
    """Its line in /help."""
    help_at: int | None = None
    """The line's position in /help."""
    shown_to: Audience = everyone

    def __post_init__(self) -> None:
        """Refuse a command placed in a menu without a label, or a menu place without a command."""
        placed = self.private_at is not None or self.group_at is not None
        if placed and (self.command is None or self.label is None):
            raise ValueError(f"menu entry {self.command!r}: a command in a menu needs its command and label")


@dataclass(frozen=True)
class Menu:
    """The menus of a set of features: the Telegram command menus and the /help lines, in their declared order."""

    entries: tuple[MenuEntry, ...] = ()

    @classmethod
    def of(cls, features: Iterable[Feature]) -> Menu:
        """Collect the menu entries of the features."""
        return cls(tuple(entry for feature in features for entry in feature.menu))

    def private_commands(self) -> tuple[str, ...]:
        """Return the private-chat command menu, in menu order."""
        placed = [(e.private_at, e.command) for e in self.entries if e.private_at is not None and e.command]
        return tuple(command for _, command in sorted(placed))

    def group_commands(self) -> tuple[str, ...]:
        """Return the group-chat command menu, in menu order."""
        placed = [(e.group_at, e.command) for e in self.entries if e.group_at is not None and e.command]
        return tuple(command for _, command in sorted(placed))

    def labels(self) -> dict[str, Text]:
        """Return what each command in the menus does, by command."""
        return {e.command: e.label for e in self.entries if e.command is not None and e.label is not None}

    def help_lines(self, ctx: Context, member: Member) -> list[Text]:
        """Return the /help lines a member sees, in help order."""
        placed = [
            (entry.help_at, entry.help)
            for entry in self.entries
            if entry.help is not None and entry.help_at is not None and entry.shown_to(ctx, member)
        ]
        return [line for _, line in sorted(placed, key=lambda pair: pair[0])]
