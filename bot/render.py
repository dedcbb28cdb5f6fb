"""Rendering outgoing messages as plain text, for platforms (and terminals) without buttons."""

from __future__ import annotations

from collections.abc import Callable

from lianfang.bot.i18n import Escape, render, render_lines
from lianfang.bot.types import FORM_CONTROL_VALUES, STEP_TOKEN, Button, OutgoingMessage, Text

BYTES_PER_KB = 1024
ActionLine = Callable[[Button], Text]
"""The line that tells a reader what to send for an action button, in the words of their platform."""


def is_choice(button: Button) -> bool:
    """Tell whether a button answers the current question (numbered) rather than running a command."""
    return STEP_TOKEN.match(button.value) is not None


def action_line(button: Button) -> Text:
    """Say which command to send for an action button: ``· 填报：发送 /daily``."""
    return Text("render.action", {"label": button.label, "command": button.value})


def render_plain(message: OutgoingMessage, escape: Escape | None = None, action: ActionLine = action_line) -> str:
    """Render a message with its choices as numbered lines and its actions as what to send (``action``)."""
    parts = [render_lines(message.lines, message.lang, escape)]
    choices = [button for button in message.buttons if is_choice(button)]
    # form controls are named in every question's hint line already
    actions = [b for b in message.buttons if not is_choice(b) and b.value not in FORM_CONTROL_VALUES]
    for number, button in enumerate(choices, 1):
        parts.append(render(Text("render.choice", {"number": number, "label": button.label}), message.lang, escape))
    for button in actions:
        parts.append(render(action(button), message.lang, escape))
    return "\n".join(parts)


def document_line(message: OutgoingMessage, where: str | None = None) -> str | None:
    """Name the file a message carries, with its size (and where it was saved), for text-only outputs."""
    document = message.document
    if document is None:
        return None
    params = {"name": document.file_name, "kb": f"{document.size / BYTES_PER_KB:.1f}"}
    if where is not None:
        return render(Text("files.document_saved", {**params, "path": where}), message.lang)
    return render(Text("files.document_line", params), message.lang)


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most ``limit`` characters, on line boundaries where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks
