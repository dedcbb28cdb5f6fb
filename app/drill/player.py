"""Play a drill: the real app on a simulated clock, the scheduler run at every due moment, expectations checked."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from lianfang.app.cli import build_app, main
from lianfang.app.drill.format import Command, Drill, DrillError, Expect, Narration, Say, SendFile, Step, Tap
from lianfang.app.drill.overrides import load_with_overrides
from lianfang.app.drill.transcript import Transcript, text_of
from lianfang.app.features import FIGURES, ORG_SECTIONS, TICK
from lianfang.app.platforms import Settings
from lianfang.bot.chat_purpose import bind_for_purpose
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.org import Org, OrgError, default_org_path, load_org
from lianfang.bot.runtime import App, ManualClock
from lianfang.bot.types import Attachment, AttachmentTooLarge, IncomingMessage, OutgoingMessage
from lianfang.handlers.membership.joining import new_invite
from pydantic import SecretStr

logger = logging.getLogger(__name__)

RULE = "─" * 60
DAY_RULE = "═" * 20
INVITE_DAYS = 3
JOIN = "/join"
BIND = "/bind"
LANGUAGE_CODES = {"zh": "zh-hans", "en": "en"}
"""What the drill's people tell the platform they speak, by ``--lang``."""
DEFAULT_LANG = "zh"
CATCH_UP_MINUTES = 5
"""How often the played scheduler catches up between cron moments for an hour after each line."""
IDLE_CATCH_UP_MINUTES = 60
"""How often it catches up in a quiet stretch (a referral chaser waiting 4 hours may come up to an hour late)."""
ACTIVE = timedelta(hours=1)


@dataclass
class Outcome:
    """What a play found: how many expectations were checked, and the failures printed."""

    checked: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    """How to play a drill: where, against which org, how loudly and in which language."""

    title: str = "lianfang drill"
    database_url: str | None = None
    org: Path | None = None
    quiet: bool = False
    lang: str = DEFAULT_LANG
    summary: bool = True
    """Print how many expectations held at the end (the demo does not)."""
    day: date | None = None
    """Play on this first day instead of the file's (later days keep their distance from it)."""


def private_chat(name: str) -> str:
    """Return the chat id of a person's private chat with the bot."""
    return f"private-{name}"


def group_chat(name: str) -> str:
    """Return the chat id of a group chat of the drill."""
    return f"group-{name}"


def load_drill_org(drill: Drill, options: Options, folder: Path) -> tuple[Path, Org]:
    """Load the org a drill plays against (``--org``, else the file's, else the bundled one) with the drill's
    ``set:`` settings applied (written to ``folder``); DrillError if bad."""
    path = options.org or drill.org or default_org_path()
    try:
        if drill.overrides:
            return load_with_overrides(path, drill.overrides, folder, ORG_SECTIONS, FIGURES, drill=drill.path)
        return path, load_org(path, ORG_SECTIONS, FIGURES)
    except OrgError as error:
        raise DrillError([str(problem) for problem in error.problems]) from None


def play(drill: Drill, out: TextIO, options: Options) -> Outcome:
    """Play a parsed drill on a fresh temporary SQLite database (or ``options.database_url``)."""
    with tempfile.TemporaryDirectory(prefix="lianfang-drill-") as folder:
        org_path, org = load_drill_org(drill, options, Path(folder))
        url = options.database_url or f"sqlite:///{Path(folder) / 'drill.db'}"
        # a secret of its own, so a drill shows the dashboard's login link as a real instance would
        secret = SecretStr(secrets.token_urlsafe(32))
        settings = Settings(_env_file=None, database_url=url, org_file=org_path, dashboard_secret=secret)
        where = "临时 SQLite 数据库" if options.database_url is None else "数据库 " + url
        if not options.quiet:
            out.write(f"{options.title} — {org.name} {(options.day or drill.day).isoformat()}（模拟时钟，{where}）\n")
        player = Player(drill, out, options, settings, org)
        try:
            return asyncio.run(player.run())
        finally:
            player.app.engine.dispose()


class Player:
    """Drive the app as the people of a drill, moving the clock and checking expectations."""

    def __init__(self, drill: Drill, out: TextIO, options: Options, settings: Settings, org: Org) -> None:
        self.drill = drill
        self.out = out
        self.options = options
        self.settings = settings
        self.shift = (options.day - drill.day) if options.day else timedelta(0)
        self.clock = ManualClock(datetime.combine(options.day or drill.day, time()))
        self.app: App = build_app(settings, org, clock=self.clock, announce=False)
        names = {private_chat(p): f"私聊 {p}" for p in drill.speakers()}
        names |= {group_chat(c.name): f"群聊 {c.name}" for c in drill.chats}
        self.transcript = Transcript(out, self.clock, names, quiet=options.quiet)
        self.app.add_adapter(self.transcript)
        self.cron = [moment for _name, moment in TICK.cron_times(org)]
        self.outcome = Outcome()
        self.events = 0
        self.since: dict[str, int] = {}
        self.block: dict[str, int] | None = None
        """The end of each window of the current block of expectations, by chat."""
        self.block_at: datetime | None = None
        self.story: list[str] = []
        self.active_until = self.clock.now

    def local(self, moment: datetime) -> datetime:
        """Return a drill time (naive, the file's days) as the app's aware local time."""
        return (moment + self.shift).replace(tzinfo=self.app.tz)

    async def run(self) -> Outcome:
        """Set up, play every line, and return what was found."""
        timed = [step for step in self.drill.steps if not isinstance(step, Narration)]
        if timed:
            self.clock.now = self.local(timed[0].at)
        self.active_until = self.clock.now
        await self.set_up()
        self.since = {chat: self.transcript.count(chat) for chat in self.transcript.inbox}
        for step in self.drill.steps:
            if isinstance(step, Narration):
                self.story.append(step.text)
                continue
            if not isinstance(step, Expect) or step.at != self.block_at:
                self.end_block()
            await self.move_to(self.local(step.at))
            await self.play(step)
        self.end_block()
        return self.outcome

    async def set_up(self) -> None:
        """Invite and join the people, and bind the chats, that the file does not join or bind itself."""
        joining = {s.name for s in self.drill.steps if isinstance(s, Say) and s.chat is None and _is(s.text, JOIN)}
        binding = {s.chat for s in self.drill.steps if isinstance(s, Say) and s.chat and _is(s.text, BIND)}
        self.transcript.quiet = True
        for person in self.drill.people:
            if person.name not in joining:
                await self.send(person.name, f"{JOIN} {self.invite(person.name)}")
        for chat in self.drill.chats:
            if chat.name not in binding:
                bind_for_purpose(
                    self.app.engine,
                    self.app.org,
                    platform=self.transcript.platform,
                    chat_id=group_chat(chat.name),
                    purpose=chat.purpose,
                    by=None,
                    now=self.clock.now,
                )
        self.transcript.quiet = self.options.quiet

    def invite(self, name: str) -> str:
        """Create the one-time invite code of a person of the drill."""
        person = next(p for p in self.drill.people if p.name == name)
        with session_scope(self.app.engine) as session:
            ctx = self.app.dispatcher.context(session, self.clock())
            invite = new_invite(
                ctx,
                group_key=person.group,
                role=person.role,
                community=person.community,
                name=person.name,
                ttl=timedelta(days=INVITE_DAYS),
            )
            return invite.code

    async def move_to(self, moment: datetime) -> None:
        """Run the scheduler at every due moment up to ``moment``, tell the story, then run it at ``moment``."""
        while (due := self.next_due(self.clock.now)) < moment:
            self.set_clock(due)
            await self.app.tick()
        self.set_clock(moment)
        for text in self.story:
            self.echo(f"\n{RULE}\n{moment:%H:%M}  {text}\n")
        self.story = []
        await self.app.tick()
        self.active_until = moment + ACTIVE

    def set_clock(self, moment: datetime) -> None:
        """Move the clock, saying so when a new day begins."""
        if moment.date() != self.clock.now.date():
            self.echo(f"\n{DAY_RULE} {moment:%Y-%m-%d} {DAY_RULE}\n")
        self.clock.now = moment

    def next_due(self, after: datetime) -> datetime:
        """Return the next moment the scheduler runs at after ``after``: a cron moment or a catch-up tick.

        The running scheduler also catches up every 30 seconds, which is what escalations and referral chasers
        wait for. A drill follows it every ``CATCH_UP_MINUTES`` for an hour after each line (long enough for an
        alert's escalations) and every ``IDLE_CATCH_UP_MINUTES`` in a quiet stretch, so a week takes seconds.
        """
        step = timedelta(minutes=CATCH_UP_MINUTES if after < self.active_until else IDLE_CATCH_UP_MINUTES)
        midnight = datetime.combine(after.date(), time(), tzinfo=self.app.tz)
        catch_up = midnight + step * ((after - midnight) // step + 1)
        crons = (
            datetime.combine(after.date() + timedelta(days=days), moment, tzinfo=self.app.tz)
            for days in (0, 1)
            for moment in self.cron
        )
        return min([catch_up, *(moment for moment in crons if moment > after)])

    async def play(self, step: Step) -> None:
        """Play one line of the day."""
        if isinstance(step, Say):
            text = step.text
            if step.chat is None and text.strip() == JOIN and step.name in {p.name for p in self.drill.people}:
                text = f"{JOIN} {self.invite(step.name)}"
            where = "" if step.chat is None else f" @ {self.transcript.chat_names[group_chat(step.chat)]}"
            self.echo(f"  {self.clock.now:%H:%M} 👤 {step.name}{where}: {text}\n")
            await self.send(step.name, text, chat=step.chat)
        elif isinstance(step, Tap):
            await self.tap(step)
        elif isinstance(step, SendFile):
            self.echo(f"  {self.clock.now:%H:%M} 👤 {step.name}: 📎 {step.path.name}\n")
            await self.send(step.name, "", attachment=_attachment(step.path))
        elif isinstance(step, Command):
            await self.command(step)
        elif isinstance(step, Expect):
            self.expect(step)

    async def send(
        self,
        name: str,
        text: str,
        *,
        chat: str | None = None,
        button: bool = False,
        attachment: Attachment | None = None,
    ) -> None:
        """Send a message as a person of the drill, in private or in a group chat."""
        self.events += 1
        await self.app.handle(
            IncomingMessage(
                platform=self.transcript.platform,
                chat_id=private_chat(name) if chat is None else group_chat(chat),
                user_id=f"user-{name}",
                text=text,
                is_private=chat is None,
                display_name=name,
                language_code=LANGUAGE_CODES.get(self.options.lang, LANGUAGE_CODES[DEFAULT_LANG]),
                is_button=button,
                event_id=f"event-{self.events}",
                attachment=attachment,
            )
        )

    async def tap(self, step: Tap) -> None:
        """Tap a button by its label on the latest message to the person that carries it; fail if none does."""
        self.outcome.checked += 1
        for message in reversed(self.transcript.inbox.get(private_chat(step.name), [])):
            for button in message.buttons:
                if render(button.label, message.lang) == step.label:
                    self.echo(f"  {self.clock.now:%H:%M} 👤 {step.name}: [点按「{step.label}」]\n")
                    await self.send(step.name, button.value, button=True)
                    return
        self.fail(step.line, f"{step.name} taps [{step.label}]", f"no message to {step.name} carries that button")

    async def command(self, step: Command) -> None:
        """Run a ``lianfang`` subcommand against the drill's database and clock, printing what it prints."""
        self.echo(f"  {self.clock.now:%H:%M} $ lianfang {' '.join(step.args)}\n")
        values = {
            "LIANFANG_DATABASE_URL": self.settings.database_url,
            "LIANFANG_CLOCK_START": self.clock.now.replace(tzinfo=None).isoformat(),
            "LIANFANG_ORG_FILE": str(self.settings.org_file),
        }
        printed = io.StringIO()
        redirect = contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed)
        with _environment(values), contextlib.chdir(self.drill.path.parent), redirect[0], redirect[1]:
            code = await asyncio.to_thread(_run_cli, list(step.args))
        self.echo(printed.getvalue())
        await self.app.drain()
        self.outcome.checked += 1
        if code != 0:
            self.fail(step.line, f"lianfang {' '.join(step.args)} exits 0", f"nothing: it exited {code}")

    def expect(self, step: Expect) -> None:
        """Check one expectation against its target's window."""
        chat = group_chat(step.target[1:]) if step.target.startswith("@") else private_chat(step.target)
        if self.block is None:
            self.block, self.block_at = {}, step.at
        end = self.block.setdefault(chat, self.transcript.count(chat))
        window = self.transcript.window(chat, self.since.get(chat, 0), end)
        texts = [text_of(message) for message in window]
        self.outcome.checked += 1
        if step.count is not None:
            holds = len(window) == step.count
            wanted = f"{step.target}: {step.count} messages"
        else:
            found = any(step.text in text for text in texts)
            holds = found != step.negated
            wanted = f"{'no ' if step.negated else ''}{step.target}: {step.text}"
        if not holds:
            self.fail(step.line, f"expect {wanted}", _sent(window))

    def end_block(self) -> None:
        """Close the current block of expectations: the next windows of its targets start here."""
        if self.block is not None:
            self.since |= self.block
        self.block, self.block_at = None, None

    def fail(self, line: int, expected: str, sent: str) -> None:
        """Record and print one failed expectation."""
        failure = f"{self.drill.path}:{line}: ✗ {expected}\n    sent: {sent}"
        self.outcome.failures.append(failure)
        self.out.write(f"{failure}\n")

    def echo(self, text: str) -> None:
        """Print a line of the transcript unless quiet."""
        if not self.options.quiet:
            self.out.write(text)


def _is(text: str, command: str) -> bool:
    """Return whether a message is the given command (with or without arguments)."""
    return text.split(maxsplit=1)[:1] == [command]


def _sent(window: list[OutgoingMessage]) -> str:
    """Describe what was sent in a window, for a failure."""
    if not window:
        return "nothing"
    lines = [f"{len(window)} message(s)"]
    for message in window:
        lines += [f"      | {line}" for line in text_of(message).split("\n")]
    return "\n".join(lines)


def _attachment(path: Path) -> Attachment:
    """Return a file a person sends, read when the bot downloads it."""
    data = path.read_bytes()

    async def fetch(limit: int) -> bytes:
        if len(data) > limit:
            raise AttachmentTooLarge(path.name)
        return data

    return Attachment(path.name, len(data), fetch=fetch)


def _run_cli(argv: list[str]) -> int:
    """Run ``lianfang ARGS`` in this process; return its exit code."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a while, then put back what was there."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
