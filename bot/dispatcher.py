"""Route each incoming message to the speaker's open form or to a command, inside one transaction."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from lianfang.bot import metrics
from lianfang.bot.config import Settings
from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dated import undated
from lianfang.bot.db import Transaction, Transactions
from lianfang.bot.exports import Exports
from lianfang.bot.forms import CONTROL_COMMANDS, STEP_TOKEN, FormRunner
from lianfang.bot.i18n import normalize_language
from lianfang.bot.menu import Menu
from lianfang.bot.org import Org
from lianfang.bot.report_parts import ReportParts
from lianfang.bot.typed import fold_width, route_fold, typed_button
from lianfang.bot.types import Button, IncomingMessage, OutgoingMessage, Text
from lianfang.models.drafts import FormDraft
from lianfang.models.events import record_event
from lianfang.models.members import find_speaker, touch_identity
from lianfang.models.outbox import Claimed, recent_payloads
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

logger = logging.getLogger(__name__)

COMMAND_PATTERN = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
Handler = Callable[[MemberContext, str], None]
"""What a members' command runs: the dispatcher gives it a context whose member is not optional."""
OpenHandler = Callable[[Context, str], None]
"""What a command open to strangers runs (``OpenCommand``)."""
Rider = Callable[[Connection], None]
"""Other writing that rides on the transaction handling a message."""
START_COMMAND = "start"
FILE_COMMAND = "~file"
"""The command that receives files sent in private chats; no typed text can name it (see COMMAND_PATTERN)."""
DEEP_LINK_SEPARATOR = "_"
ALIAS_SEPARATOR = re.compile(r"[\s:]+")
"""What may stand between a Chinese alias and its argument once folded: spaces of any kind, ``:`` or ``：``."""
SUBCOMMAND_SEPARATOR = " "
"""A command named ``report file`` is a subcommand: ``/report file ...`` reaches it (``/report ...`` does not)."""
TYPED_BUTTON_WINDOW = timedelta(hours=24)
TYPED_BUTTON_MESSAGES = 5
"""A typed button label is looked for among this many of the latest messages to the chat, within the window."""


@dataclass(frozen=True)
class Command:
    """A members' chat command: its handler, Chinese aliases, and who may use it where; strangers are told to join."""

    name: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    private_only: bool = False
    roles: tuple[str, ...] | None = None
    """Roles allowed to use it; None means every member."""
    fetch_if: Callable[[MemberContext], bool] | None = None
    """For the file command: whether a file is worth downloading before the handler runs (who sent it, what)."""
    arg_words: Mapping[str, str] = field(default_factory=dict)
    """Words a member types for the command's arguments, where the button's value uses another (``nil``: 无)."""
    reads_plain: Callable[[MemberContext, str], bool] | None = None
    """For a plain private message from a member that names no command: take it and return True, or return False
    to leave it to the "not understood" answer (the checks feature reads a free-text check this way)."""
    reads_plain_first: bool = False
    """Offer plain messages to this command before those of the commands without it, whatever the features' order
    (a supply need is read before a check: ``东风小区卡点急需防护服50套`` also names a place)."""


@dataclass(frozen=True)
class OpenCommand(Command):
    """A chat command strangers may use too (joining): its handler is given a context that may lack a member."""

    handler: OpenHandler


@dataclass
class Handled:
    """What answering one message queued, and which of it this instance claimed to send at once."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    claimed: list[Claimed] = field(default_factory=list)
    refused: bool = False
    """The message was a tap the core refused (see ``Context.refuse``)."""


@dataclass(frozen=True)
class ParsedCommand:
    """A command name and the rest of the line."""

    name: str
    args: str


def clean_text(text: str) -> str:
    """Drop control and format characters (keeping line breaks) and surrounding blanks."""
    kept = [ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")]
    return "".join(kept).strip()


class Dispatcher:
    """The core's single entry point for incoming messages."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        org: Org,
        tz: tzinfo,
        commands: Sequence[Command],
        runner: FormRunner,
        claim_platforms: Container[str] = (),
        menu: Menu | None = None,
        redelivery: Mapping[str, timedelta] | None = None,
        report_parts: ReportParts | None = None,
        exports: Exports | None = None,
    ) -> None:
        """``claim_platforms``: the platforms whose replies this instance sends itself right after handling."""
        self.engine = engine
        self.transactions = Transactions(engine)
        """Where each message's transaction begins (see ``Transactions``): ``App`` keeps the loop's connection."""
        self.claim_platforms = claim_platforms
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.settings = settings
        self.org = org
        self.tz = tz
        self.runner = runner
        self.menu = menu or Menu()
        self.report_parts = report_parts or ReportParts()
        self.exports = exports or Exports()
        self.redelivery: Mapping[str, timedelta] = redelivery or {}
        """How long each platform may deliver the same event again, for the purge of processed deliveries."""
        self.commands = {command.name: command for command in commands}
        self.aliases = {route_fold(alias).casefold(): command.name for command in commands for alias in command.aliases}
        self.longest_aliases = sorted(self.aliases, key=len, reverse=True)

    def in_words(self, value: str) -> str:
        """Return what a member types for a command value, slash-less: ``/daily nil`` gives ``日报 无``.

        A dated button's day is left out: typed words mean now.
        """
        match = COMMAND_PATTERN.match(undated(value))
        command = self.commands.get(match.group(1).lower()) if match else None
        if match is None or command is None or not command.aliases:
            return value
        args = (match.group(2) or "").split()
        return " ".join([command.aliases[0], *(command.arg_words.get(arg, arg) for arg in args)])

    def context(self, session: Session | Transaction, now: datetime, *, lang: str | None = None) -> Context:
        """Build a context for work not caused by a message (scheduled jobs, the CLI) in a session's transaction."""
        return Context(
            work=session if isinstance(session, Transaction) else Transaction(session=session),
            settings=self.settings,
            org=self.org,
            now=now.astimezone(self.tz),
            tz=self.tz,
            lang=lang or self.settings.default_language,
            runner=self.runner,
            menu=self.menu,
            report_parts=self.report_parts,
            exports=self.exports,
        )

    def wants_attachment(self, msg: IncomingMessage, now: datetime) -> bool:
        """Tell whether a private message's file should be downloaded: a member sent it to answer a form's question
        that takes a file, or the file command accepts it."""
        command = self.commands.get(FILE_COMMAND)
        if not msg.is_private or msg.attachment is None:
            return False
        with self.transactions.begin() as work:
            speaker = find_speaker(
                connection=work.connection, platform=msg.platform, user_id=msg.user_id, chat_id=msg.chat_id
            )
            if speaker is None:
                return False
            ctx = self.context(work, now)
            ctx.msg = msg
            member = ctx.as_member(speaker.member_id)
            if self.runner.wants_file(member):
                return True
            return command is not None and command.fetch_if is not None and command.fetch_if(member)

    def handle(self, msg: IncomingMessage, now: datetime, *, riding: Rider | None = None) -> Handled:
        """Handle one message; return what was queued. Never raises for anything a user can send.

        ``riding`` writes something else in the same transaction (marks replies delivered earlier as sent), so
        that it costs no commit of its own.
        """
        try:
            with self.transactions.begin() as work:
                if riding is not None:
                    riding(work.connection)
                ctx = self._answering(work, msg, now)
                if msg.event_id and not record_event(
                    connection=work.connection, platform=msg.platform, event_id=msg.event_id, now=now
                ):
                    logger.info("duplicate delivery %s/%s ignored", msg.platform, msg.event_id)
                    metrics.redelivered(msg.platform)
                    return Handled()
                ctx = self._route(ctx, msg)
                return Handled(ctx.sent, ctx.claimed, refused=ctx.refused)
        except IntegrityError:
            # A concurrent delivery of the same event, or a race on a unique row: the other one won.
            logger.warning("conflict while handling a message on %s; rolled back", msg.platform, exc_info=True)
        except Exception:
            logger.exception("error while handling a message on %s", msg.platform)
        with self.transactions.begin() as work:
            if riding is not None:
                riding(work.connection)
            ctx = self._answering(work, msg, now, lang=normalize_language(msg.language_code))
            ctx.reply("common.error")
            return Handled(ctx.sent, ctx.claimed)

    def _answering(self, work: Transaction, msg: IncomingMessage, now: datetime, *, lang: str | None = None) -> Context:
        """Build the context that answers a message: its replies are claimed for sending right after the commit."""
        ctx = self.context(work, now, lang=lang)
        ctx.msg = msg
        ctx.claim_until = now + self.lease
        ctx.claim_platforms = self.claim_platforms
        return ctx

    # -- routing --------------------------------------------------------------------------------------------

    def _route(self, ctx: Context, msg: IncomingMessage) -> Context:
        """Answer a message; return the context that answered it (a ``MemberContext`` when a member spoke)."""
        speaker = find_speaker(
            connection=ctx.connection, platform=msg.platform, user_id=msg.user_id, chat_id=msg.chat_id
        )
        if speaker is not None:
            touch_identity(
                connection=ctx.connection, speaker=speaker, chat_id=msg.chat_id if msg.is_private else None, now=ctx.now
            )
            ctx = ctx.as_member(speaker.member_id)
            ctx.lang = speaker.lang
        else:
            ctx.lang = normalize_language(msg.language_code, self.settings.default_language)
        self._answer(ctx, msg, speaker.draft if speaker is not None else None)
        return ctx

    def _answer(self, ctx: Context, msg: IncomingMessage, found: FormDraft | None) -> None:
        """Hand the message to the speaker's open form or to a command, or say why neither takes it.

        ``found`` is the speaker's draft in this chat, as the transaction's first statement read it.
        """
        if msg.attachment is not None and msg.is_private and isinstance(ctx, MemberContext):
            draft = found = self.runner.live_draft(ctx, found)
            if draft is not None and self.runner.answer_file(ctx, draft, msg.attachment):
                return  # a file sent to a question that takes one; any caption goes with it
        if msg.attachment is not None and not msg.attachment.photo and not msg.text.strip():
            if msg.is_private:  # files in groups are the members' business, not the bot's
                self._run_command(ctx, ParsedCommand(FILE_COMMAND, ""))
            return
        text = clean_text(msg.text)
        if len(text) > self.settings.max_message_chars:
            ctx.reply("common.too_long", limit=self.settings.max_message_chars)
            return
        member = ctx if isinstance(ctx, MemberContext) else None
        draft = self.runner.live_draft(ctx, found) if msg.is_private and member is not None else None
        parsed = self._parse(ctx, text, in_form=draft is not None)
        if not msg.is_private and parsed is None:
            return  # chatter in a group is not for the bot
        if member is not None and draft is not None and (parsed is None or parsed.name in CONTROL_COMMANDS):
            self.runner.answer(member, draft, text, parsed.name if parsed else None)
            return
        if parsed is None:
            self._no_command(ctx, text)
            return
        self._run_command(ctx, parsed)

    def _parse(self, ctx: Context, text: str, *, in_form: bool) -> ParsedCommand | None:
        """Read a command: ``/cmd``, then (in a private chat outside a form) a button label typed as words, then an
        alias with its argument after a space or colon, then an alias glued to its argument (``加入CODE``)."""
        assert ctx.msg is not None
        if in_form or not ctx.msg.is_private:
            return self.parse_command(text, in_form=in_form)
        if COMMAND_PATTERN.match(route_fold(text)) is None and ctx.member_id is not None:
            value = self._typed_button_value(ctx, text)
            tapped = self.parse_command(value, in_form=False) if value is not None else None
            if tapped is not None:
                return tapped
        return self.parse_command(text, in_form=False) or self.parse_command(text, in_form=False, glued=True)

    def parse_command(self, text: str, *, in_form: bool, glued: bool = False) -> ParsedCommand | None:
        """Recognise ``/cmd@bot args`` or a Chinese alias (``排查 ...``, ``加入：CODE``); aliases mid-form only for
        control words; with ``glued``, also an alias directly followed by its argument, the longest alias first.

        Text is matched under NFKC, so full-width and IME forms route like ASCII; the argument keeps its
        punctuation but gets ASCII letters, digits and spaces (see ``bot.typed.fold_width``).
        """
        routed = route_fold(text)
        match = COMMAND_PATTERN.match(routed)
        if match:
            start = len(text) if match.group(2) is None else match.start(2)
            return ParsedCommand(match.group(1).lower(), fold_width(text[start:]).strip())
        folded = routed.casefold()
        alias = next((alias for alias in self.longest_aliases if folded.startswith(alias)), None)
        if alias is None:
            return None
        name = self.aliases[alias]
        separator = ALIAS_SEPARATOR.match(routed, len(alias))
        start = len(alias) if separator is None else separator.end()
        if start < len(routed) and separator is None and not glued:
            return None
        if in_form and (name not in CONTROL_COMMANDS or glued):
            return None
        return ParsedCommand(name, fold_width(text[start:]).strip())

    def _typed_button_value(self, ctx: Context, text: str) -> str | None:
        """Return the value of a button lately shown in this chat whose label the text names, newest first.

        Without the day a dated button carries: typed words mean now, whatever day the card was for.
        """
        assert ctx.msg is not None
        payloads = recent_payloads(
            connection=ctx.connection,
            platform=ctx.msg.platform,
            chat_id=ctx.msg.chat_id,
            since=ctx.now - TYPED_BUTTON_WINDOW,
            limit=TYPED_BUTTON_MESSAGES,
        )
        buttons = (Button.from_json(button) for payload in payloads for button in payload.get("buttons", ()))
        button = typed_button(text, buttons)
        return None if button is None else undated(button.value)

    def _deep_link(self, parsed: ParsedCommand) -> ParsedCommand:
        """Turn ``/start check`` or ``/start join_CODE`` (a Telegram deep link's payload) into that command."""
        if parsed.name != START_COMMAND or not parsed.args:
            return parsed
        name, _, rest = parsed.args.partition(DEEP_LINK_SEPARATOR)
        if name == START_COMMAND or name not in self.commands:
            return parsed
        return ParsedCommand(name, rest.replace(DEEP_LINK_SEPARATOR, " ").strip())

    def _subcommand(self, parsed: ParsedCommand) -> ParsedCommand:
        """Turn ``/report file 2020-01-28`` into the command named ``report file``, when a feature declares one."""
        words = parsed.args.split(maxsplit=1)
        if not words:
            return parsed
        name = f"{parsed.name}{SUBCOMMAND_SEPARATOR}{words[0].casefold()}"
        return ParsedCommand(name, words[1] if len(words) > 1 else "") if name in self.commands else parsed

    def _no_command(self, ctx: Context, text: str) -> None:
        if ctx.member_id is None:
            ctx.reply("common.stranger")
        elif STEP_TOKEN.match(text):
            ctx.reply("form.stale_button")
        elif not text:
            ctx.reply("common.empty")
        elif not (isinstance(ctx, MemberContext) and self._read_plain(ctx, text)):
            ctx.reply("common.not_understood")

    def _read_plain(self, ctx: MemberContext, text: str) -> bool:
        """Offer a plain private message to the commands that read one, in order; return whether one took it."""
        for command in sorted(self.commands.values(), key=lambda command: not command.reads_plain_first):
            allowed = command.roles is None or ctx.member.role in command.roles
            if command.reads_plain is not None and allowed and command.reads_plain(ctx, text):
                return True
        return False

    def _run_command(self, ctx: Context, parsed: ParsedCommand) -> None:
        parsed = self._subcommand(self._deep_link(parsed))
        command = self.commands.get(parsed.name)
        assert ctx.msg is not None
        if command is None:
            ctx.reply("common.unknown_command", command=parsed.name[:32])
            return
        if not isinstance(ctx, MemberContext) and not isinstance(command, OpenCommand):
            ctx.reply("common.stranger")
            return
        if command.roles is not None and isinstance(ctx, MemberContext) and ctx.member.role not in command.roles:
            ctx.reply("common.not_allowed")
            return
        if command.private_only and not ctx.msg.is_private:
            # The button opens the bare command: whatever followed it (a phone, a code) stays out of the group's
            # copy and out of a deep link anyone in the group could tap.
            button = Button(Text("common.open_private"), f"/{command.name}", private=True)
            ctx.reply("common.private_only", buttons=[button])
            return
        if isinstance(command, OpenCommand):
            command.handler(ctx, parsed.args)
            return
        if isinstance(ctx, MemberContext):  # always, as a stranger was told to join above
            command.handler(ctx, parsed.args)
