"""A terminal chat: each input line is a message to the bot, each reply is printed as plain text."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from lianfang.bot.ports import Dispatch
from lianfang.bot.render import document_line, render_plain
from lianfang.bot.types import PLATFORM_CONSOLE, IncomingMessage, OutgoingMessage

GROUP_PREFIX = "@"
"""``@领导群 /bind leadership`` speaks in the console group chat named 领导群."""


class ConsoleAdapter:
    """Print messages for console chats; the user's own private chat is printed without a label."""

    platform = PLATFORM_CONSOLE

    def __init__(self, out: TextIO, *, user_id: str, display_name: str = "", language_code: str | None = None) -> None:
        self.out = out
        self.user_id = user_id
        self.display_name = display_name
        self.language_code = language_code
        self.dispatch: Dispatch | None = None
        self.files_dir: Path | None = None
        """Where documents the bot sends are written, made on the first one."""

    async def start(self, dispatch: Dispatch) -> None:
        """Remember where input goes."""
        self.dispatch = dispatch

    async def send(self, message: OutgoingMessage) -> None:
        """Print one message, labelled with its chat unless it is the user's private chat."""
        text = render_plain(message)
        if message.document is not None and message.document.data is not None:
            if self.files_dir is None:
                self.files_dir = Path(tempfile.mkdtemp(prefix="lianfang-files-"))
            path = self.files_dir / Path(message.document.file_name).name
            path.write_bytes(message.document.data)
            text = f"{text}\n{document_line(message, str(path))}"
        if message.chat.chat_id != self.user_id:
            label = message.chat.chat_id.removeprefix("group:")
            text = "\n".join(f"[{label}] {line}" for line in text.split("\n"))
        self.out.write(text + "\n\n")
        self.out.flush()

    async def stop(self) -> None:
        """Nothing to release."""

    def incoming(self, line: str, number: int) -> IncomingMessage:
        """Turn one input line into a message: private, or in a named group chat with the ``@name`` prefix."""
        chat_id, is_private, text = self.user_id, True, line
        if line.startswith(GROUP_PREFIX) and " " in line:
            name, _, text = line[len(GROUP_PREFIX) :].partition(" ")
            chat_id, is_private = f"group:{name}", False
        return IncomingMessage(
            platform=self.platform,
            chat_id=chat_id,
            user_id=self.user_id,
            text=text,
            is_private=is_private,
            display_name=self.display_name,
            language_code=self.language_code,
            event_id=None,
        )

    async def run(self, stream: TextIO, handle: Callable[[IncomingMessage], Awaitable[object]], prompt: bool) -> int:
        """Read lines until end of input; return how many were handled."""
        count = 0
        while True:
            if prompt:
                self.out.write("> ")
                self.out.flush()
            line = await asyncio.to_thread(stream.readline)
            if not line:
                return count
            count += 1
            await handle(self.incoming(line.rstrip("\r\n"), count))
