"""The files features let members export in chat, and ``/export NAME`` (导出) that sends one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lianfang.bot.menu import Audience
from lianfang.bot.types import Button, Text

if TYPE_CHECKING:
    from lianfang.bot.context import Context, MemberContext
    from lianfang.bot.feature import Feature

EXPORT_COMMAND = "export"
"""The command that lists the exports a member may have and sends one: ``/export supervision``, ``导出 督办``."""
NAME_LIMIT = 32
"""How much of a mistyped export name is quoted back."""

SendExport = Callable[["MemberContext", str], None]
"""Build one export and send it in the chat; given what followed its name (screening: a community)."""
TakesRest = Callable[["Context", str], bool]
"""For the default export: whether it takes words that name no export as its own (screening: a community)."""


@dataclass(frozen=True)
class Export:
    """One file a feature lets members export in chat; building it records the export in the audit log."""

    name: str
    """What follows ``/export``: ``supervision``."""
    words: tuple[str, ...]
    """The Chinese words that name it too (``督办``); the first is what its button sends."""
    label: Text
    """What it is, in the list ``/export`` shows and on its button."""
    send: SendExport
    allowed: Audience
    """Who may have it; the others are not offered it and are refused it."""
    refusal: Text = Text("export.not_allowed")
    """What a member it does not allow is told: the feature's own words on who may have it, where it has them."""
    takes_rest: TakesRest | None = None
    """Set on the one export that keeps the meaning a bare ``/export WORDS`` had before the registry."""

    def named(self, word: str) -> bool:
        """Tell whether a typed word names this export."""
        folded = word.casefold()
        return folded == self.name.casefold() or folded in (each.casefold() for each in self.words)

    @property
    def button_word(self) -> str:
        """Return the word its button sends: its first Chinese word, so a typed copy reads as one."""
        return self.words[0] if self.words else self.name

    def button(self) -> Button:
        """Return the button that asks for this export."""
        return Button(self.label, f"/{EXPORT_COMMAND} {self.button_word}")


@dataclass(frozen=True)
class Exports:
    """The exports of a set of features, in their declared order."""

    exports: tuple[Export, ...] = ()

    @classmethod
    def of(cls, features: Iterable[Feature]) -> Exports:
        """Collect the exports of the features; a name or word names one export only, and one export at most is
        the default."""
        exports = tuple(export for feature in features for export in feature.exports)
        names = [word.casefold() for export in exports for word in (export.name, *export.words)]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"export names declared twice: {', '.join(twice)}")
        if sum(export.takes_rest is not None for export in exports) > 1:
            raise ValueError("more than one default export")
        return cls(exports)

    @property
    def names(self) -> tuple[str, ...]:
        """Return every export's name, in declared order."""
        return tuple(export.name for export in self.exports)

    def allowed(self, ctx: MemberContext) -> list[Export]:
        """Return the exports the speaker may have."""
        return [export for export in self.exports if export.allowed(ctx, ctx.member)]

    def find(self, word: str) -> Export | None:
        """Return the export a typed word names, or None."""
        return next((export for export in self.exports if export.named(word)), None)

    def run(self, ctx: MemberContext, args: str) -> None:
        """List the speaker's exports (``/export``), or send the one named (``/export supervision``, ``导出 督办``)."""
        first, _, rest = args.strip().partition(" ")
        if not first:
            self._offer(ctx, Text("export.choose"))
            return
        export = self.find(first)
        rest = rest.strip()
        if export is None:
            export = next((e for e in self.exports if e.takes_rest is not None and e.takes_rest(ctx, args)), None)
            rest = args.strip()
        if export is None:
            self._offer(ctx, Text("export.unknown", {"name": first[:NAME_LIMIT]}))
            return
        if not export.allowed(ctx, ctx.member):
            ctx.reply(Text(export.refusal.key, {"export": export.label, **export.refusal.params}))
            return
        export.send(ctx, rest)

    def _offer(self, ctx: MemberContext, lead: Text) -> None:
        """Answer with the exports the speaker may have, one button each, or say there is none."""
        allowed = self.allowed(ctx)
        if not allowed:
            ctx.reply(lead, Text("export.none_allowed"))
            return
        lines = [Text("export.line", {"export": e.label, "word": e.button_word}) for e in allowed]
        ctx.reply(lead, *lines, buttons=[export.button() for export in allowed])


def export_command(ctx: MemberContext, args: str) -> None:
    """Answer ``/export``: through the exports every feature declares, found on the context."""
    ctx.exports.run(ctx, args)
