"""Declarative forms and the runner that walks a user through one, keeping its state in the database."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from lianfang.bot import metrics
from lianfang.bot.context import Context, MemberContext
from lianfang.bot.i18n import LANGUAGES, render
from lianfang.bot.typed import fold_width, label_key, match_key
from lianfang.bot.types import (
    FETCH_TOO_LARGE,
    STEP_TOKEN,
    VALUE_BACK,
    VALUE_CANCEL,
    VALUE_SKIP,
    Attachment,
    Button,
    Text,
    TextError,
)
from lianfang.models.base import to_db_time
from lianfang.models.drafts import FormDraft, delete_draft, get_draft, save_draft
from lianfang.models.files import delete_kept_files, keep_file
from sqlalchemy import Connection

logger = logging.getLogger(__name__)

CMD_CANCEL = "cancel"
CMD_BACK = "back"
CMD_SKIP = "skip"
CONTROL_COMMANDS = (CMD_CANCEL, CMD_BACK, CMD_SKIP)

SKIP_BUTTON = Button(Text("form.button_skip"), VALUE_SKIP)
BACK_BUTTON = Button(Text("form.button_back"), VALUE_BACK)
CANCEL_BUTTON = Button(Text("form.button_cancel"), VALUE_CANCEL)
CONTROL_BUTTONS = (SKIP_BUTTON, BACK_BUTTON, CANCEL_BUTTON)
"""The form controls' buttons; their labels typed as words work like the buttons."""
CONTROL_VALUE_COMMANDS = {VALUE_SKIP: CMD_SKIP, VALUE_BACK: CMD_BACK, VALUE_CANCEL: CMD_CANCEL}
SUBMIT_LABEL = Text("form.button_submit")
SUBMIT_BUTTON = Button(SUBMIT_LABEL, "")
"""The summary's submit button for matching typed words; its shown value carries the step."""

VALUE_SUBMIT = "submit"
SUBMIT_WORDS = frozenset({VALUE_SUBMIT, "提交", "确认", "确定", "是", "好", "ok", "yes", "y", "1"})
STEP_START_RANGE = 10**9
"""A draft's step count starts at a random number below this, so a step names its draft as well as its question
(and stays far below PostgreSQL's integer limit however many steps follow)."""
SUMMARY_FIELD = ""
"""The field part of the summary's step token: the summary asks no field."""
HINT_KEYS = {
    (False, False): "form.hint_cancel",
    (False, True): "form.hint_back_cancel",
    (True, False): "form.hint_skip_cancel",
    (True, True): "form.hint_skip_back_cancel",
}
"""The controls line under a question, by (optional question, something to go back to)."""
FILE_ID = "id"
FILE_NAME = "name"
"""A file answer is stored as ``{"id": kept file id, "name": its name}`` (see ``file_answer``)."""
BYTES_PER_MB = 1024 * 1024
EDIT_PATTERN = re.compile(r"^(?:修改|改|edit)\s*(\d{1,3})$", re.IGNORECASE)
"""At the summary, ``修改 2`` asks the summary's second line again, then comes back to the summary."""


def _label_words(button: Button) -> list[str]:
    """Return what typing a button's label comes to, in every language (see ``bot.typed.typed_button``)."""
    return [word for lang in LANGUAGES if (word := label_key(render(button.label, lang)))]


@cache
def _control_words() -> dict[str, str]:
    """Return the control commands by the words of their buttons' labels: every answer is compared with them."""
    words: dict[str, str] = {}
    for button in CONTROL_BUTTONS:
        for word in _label_words(button):
            words.setdefault(word, CONTROL_VALUE_COMMANDS[button.value])
    return words


@cache
def _submit_words() -> frozenset[str]:
    """Return the words of the submit button's label."""
    return frozenset(_label_words(SUBMIT_BUTTON))


class FieldError(TextError):
    """An answer that does not fit; ``key`` names what was expected."""


@dataclass(frozen=True)
class Choice:
    """One allowed answer: a stored value, its label, and words that also pick it."""

    value: str
    label: Text
    aliases: tuple[str, ...] = ()


Parser = Callable[[str, Context], Any]
ChoicesFn = Callable[[Context, dict[str, Any]], Sequence[Choice]]


@dataclass(frozen=True)
class FormField:
    """One question of a form."""

    name: str
    prompt: Text
    label: Text
    parse: Parser | None = None
    """Turns typed text into a value or raises FieldError; None means only a choice is accepted."""
    choices: ChoicesFn | None = None
    optional: bool = False
    when: Callable[[dict[str, Any]], bool] | None = None
    display: Callable[[Any], Text] | None = None
    takes_file: bool = False
    """Answered by a file or photo sent in the chat, kept in ``models.files``; its value is ``file_answer``'s."""

    def applies(self, data: dict[str, Any]) -> bool:
        """Tell whether this question is asked given the answers so far."""
        return self.when is None or self.when(data)


@dataclass(frozen=True)
class Form:
    """A named form: its questions (which may depend on the context) and what submitting does."""

    name: str
    title: Text
    fields: Callable[[Context, dict[str, Any]], Sequence[FormField]]
    on_submit: Callable[[MemberContext, dict[str, Any], dict[str, Any]], None]
    """Called with the answers and the draft's context, in the same transaction that removes the draft; only a
    member fills a form, so its context's member is not optional."""
    confirm: bool = True


def file_answer(value: Any) -> tuple[int, str] | None:
    """Return the kept file's id and name a file question's stored answer holds, or None (skipped)."""
    if not isinstance(value, dict) or not isinstance(value.get(FILE_ID), int):
        return None
    return value[FILE_ID], str(value.get(FILE_NAME, ""))


def forget_answers(connection: Connection, answers: Iterable[Any]) -> None:
    """Delete the kept files of answers no record will hold: a cancelled, expired or replaced answer."""
    delete_kept_files(connection=connection, file_ids=[kept[0] for value in answers if (kept := file_answer(value))])


def static_fields(*fields: FormField) -> Callable[[Context, dict[str, Any]], Sequence[FormField]]:
    """Wrap a fixed tuple of questions."""
    return lambda _ctx, _context: fields


def step_value(draft: FormDraft, field: str, value: str) -> str:
    """Return the button value answering ``field`` with ``value`` at the draft's current step."""
    return f"#{draft.step}.{field}:{value}"


def pick_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Find the choice a typed number, value, label or alias names (full width, case and emoji aside)."""
    answer = match_key(text)
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return choices[int(answer) - 1]
    typed = label_key(text)
    if not typed:
        return None
    for choice in choices:
        names = {choice.value, *choice.aliases, *(render(choice.label, lang) for lang in LANGUAGES)}
        if typed in {label_key(name) for name in names}:
            return choice
    return None


class FormRunner:
    """Walk users through forms; all state lives in the Draft table."""

    def __init__(self, forms: Sequence[Form]) -> None:
        self.forms = {form.name: form for form in forms}

    # -- entry points -------------------------------------------------------------------------------------

    def active_draft(self, ctx: Context) -> FormDraft | None:
        """Return the speaker's draft in this chat, dropping it with a notice if it expired."""
        assert ctx.msg is not None
        draft = get_draft(
            connection=ctx.connection, platform=ctx.msg.platform, chat_id=ctx.msg.chat_id, user_id=ctx.msg.user_id
        )
        return self.live_draft(ctx, draft)

    def live_draft(self, ctx: Context, draft: FormDraft | None) -> FormDraft | None:
        """Return a draft read in this transaction (the speaker's here) unless it expired: then drop it with a
        notice."""
        if draft is None:
            return None
        if draft.expires_at <= to_db_time(ctx.now) or draft.form not in self.forms:
            ctx.reply(Text("form.expired", {"form": self.forms[draft.form].title if draft.form in self.forms else ""}))
            delete_draft(connection=ctx.connection, draft=draft)
            return None
        return draft

    def start(
        self,
        ctx: MemberContext,
        form_name: str,
        *,
        prefill: dict[str, Any] | None = None,
        defaults: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        lead: Text | None = None,
    ) -> None:
        """Start a form for the speaker (replacing any draft they had here) and ask the first open question.

        ``prefill`` holds answers the user gave up front or the bot took from its records (they can go back to
        them); ``defaults`` holds answers known from the member's profile, neither announced nor revisited by
        /back. ``lead`` replaces the opening line that says the form started.
        """
        assert ctx.msg is not None
        form = self.forms[form_name]
        draft = self.active_draft(ctx)
        if draft is not None:
            if draft.form != form_name or draft.data:
                ctx.reply(Text("form.replaced", {"form": self.forms[draft.form].title}))
            delete_draft(connection=ctx.connection, draft=draft)
        stamp = to_db_time(ctx.now)
        draft = FormDraft(
            platform=ctx.msg.platform,
            chat_id=ctx.msg.chat_id,
            user_id=ctx.msg.user_id,
            member_id=ctx.member_id,
            lang=ctx.lang,
            form=form_name,
            data={},
            history=[],
            context=dict(context or {}),
            created_at=stamp,
            updated_at=stamp,
            expires_at=stamp,
            step=secrets.randbelow(STEP_START_RANGE),
        )
        fields = {field.name: field for field in form.fields(ctx, draft.context)}
        draft.data.update({name: value for name, value in (defaults or {}).items() if name in fields})
        for name, value in (prefill or {}).items():
            if name in fields and value is not None:
                draft.data[name] = value
                draft.history.append(name)
        if lead is None and draft.history:
            lead = Text("form.started_prefilled", {"form": form.title, "count": len(draft.history)})
        elif lead is None:
            lead = Text("form.started", {"form": form.title})
        self._advance(ctx, form, draft, lead=lead)

    def answer(self, ctx: MemberContext, draft: FormDraft, text: str, command: str | None) -> None:
        """Take one message from a user who has a draft: a control command or an answer."""
        metrics.form_step(draft.form)
        form = self.forms[draft.form]
        command = command or self._typed_control(text)
        if command == CMD_CANCEL:
            forget_answers(ctx.connection, draft.data.values())
            delete_draft(connection=ctx.connection, draft=draft)
            ctx.reply(Text("form.cancelled", {"form": form.title}))
            return
        fields = list(form.fields(ctx, draft.context))
        current = self._next_field(fields, draft.data)
        if command == CMD_BACK:
            self._back(ctx, draft)
        elif command == CMD_SKIP:
            if current is None:
                ctx.reply("form.nothing_to_skip")
            elif not current.optional:
                ctx.reply(Text("form.cannot_skip", {"field": current.label}))
            else:
                draft.data[current.name] = None
                draft.history.append(current.name)
        else:
            answer = self._strip_step(ctx, draft, current, text)
            if answer is None:
                pass
            elif current is None:
                if self._is_submit(answer):
                    self._submit(ctx, form, draft, fields)
                    return
                edit = EDIT_PATTERN.match(match_key(answer))
                if edit is None:
                    ctx.reply("form.confirm_expected")
                elif not self._reopen(ctx, draft, fields, int(edit.group(1))):
                    ctx.reply(Text("form.edit_range", {"count": len(self._answered(fields, draft.data))}))
            elif self._says_submit(ctx, draft, current, answer):
                if self._submit_early(ctx, form, draft, fields):
                    return
            else:
                self._take(ctx, draft, current, answer)
        self._advance(ctx, form, draft)

    def wants_file(self, ctx: Context) -> bool:
        """Tell whether the speaker's draft here asks a question a file answers; changes nothing (a file is being
        weighed for download)."""
        assert ctx.msg is not None
        draft = get_draft(
            connection=ctx.connection, platform=ctx.msg.platform, chat_id=ctx.msg.chat_id, user_id=ctx.msg.user_id
        )
        if draft is None or draft.expires_at <= to_db_time(ctx.now) or draft.form not in self.forms:
            return False
        current = self._next_field(list(self.forms[draft.form].fields(ctx, draft.context)), draft.data)
        return current is not None and current.takes_file

    def answer_file(self, ctx: MemberContext, draft: FormDraft, attachment: Attachment) -> bool:
        """Take a file sent while a draft is open, if its open question takes one; return whether it did.

        A file too large or that could not be downloaded is answered, and the question stays open.
        """
        form = self.forms[draft.form]
        current = self._next_field(list(form.fields(ctx, draft.context)), draft.data)
        if current is None or not current.takes_file:
            return False
        limit = ctx.settings.max_import_bytes
        if attachment.error == FETCH_TOO_LARGE or (attachment.size is not None and attachment.size > limit):
            ctx.reply(Text("form.file_too_large", {"limit": f"{limit / BYTES_PER_MB:g}"}))
        elif attachment.data is None:
            ctx.reply("form.file_failed")
        else:
            file_id = keep_file(
                session=ctx.session,
                now=ctx.now,
                member_id=ctx.member_id,
                file_name=attachment.file_name,
                mime_type=attachment.mime_type or "",
                data=attachment.data,
            )
            draft.data[current.name] = {FILE_ID: file_id, FILE_NAME: attachment.file_name}
            draft.history.append(current.name)
        self._advance(ctx, form, draft)
        return True

    # -- words typed for buttons --------------------------------------------------------------------------

    @staticmethod
    def _typed_control(text: str) -> str | None:
        """Return the control command whose button label the text is (``返回上一项``, ``Skip``), if any."""
        return _control_words().get(label_key(text))

    @staticmethod
    def _says_submit(ctx: Context, draft: FormDraft, current: FormField, text: str) -> bool:
        """Tell whether text typed at a question is the submit button's label rather than one of its choices."""
        if label_key(text) not in _submit_words():
            return False
        choices = list(current.choices(ctx, draft.data)) if current.choices else []
        return pick_choice(text, choices) is None

    def _submit_early(self, ctx: MemberContext, form: Form, draft: FormDraft, fields: Sequence[FormField]) -> bool:
        """Submit with every question left open skipped, if none of them is required; else say which is.

        Return whether the form was submitted.
        """
        data = dict(draft.data)
        while (field := self._next_field(fields, data)) is not None:
            if not field.optional:
                ctx.reply(Text("form.submit_incomplete", {"field": field.label}))
                return False
            data[field.name] = None
        draft.data = data
        self._submit(ctx, form, draft, fields)
        return True

    # -- steps --------------------------------------------------------------------------------------------

    @staticmethod
    def _next_field(fields: Sequence[FormField], data: dict[str, Any]) -> FormField | None:
        for field in fields:
            if field.name not in data and field.applies(data):
                return field
        return None

    @staticmethod
    def _is_submit(text: str) -> bool:
        return match_key(text) in SUBMIT_WORDS or label_key(text) in _submit_words()

    @staticmethod
    def _strip_step(ctx: Context, draft: FormDraft, current: FormField | None, text: str) -> str | None:
        """Return the answer a tapped choice carries, or None (saying so) when it belongs to another question."""
        match = STEP_TOKEN.match(text)
        if match is None:
            return text
        field = current.name if current is not None else SUMMARY_FIELD
        if match.group(1) != str(draft.step) or match.group(2) != field:
            ctx.reply("form.stale_button")
            return None
        return match.group(3)

    def _take(self, ctx: Context, draft: FormDraft, field: FormField, text: str) -> None:
        if field.takes_file:
            ctx.reply(Text("form.file_expected", {"field": field.label}))
            return
        choices = list(field.choices(ctx, draft.data)) if field.choices else []
        chosen = pick_choice(text, choices) if choices else None
        if chosen is not None:
            draft.data[field.name] = chosen.value
            draft.history.append(field.name)
            return
        if field.parse is None:
            ctx.reply(Text("form.pick_one", {"count": len(choices)}))
            return
        try:
            value = field.parse(fold_width(text).strip(), ctx)
        except FieldError as error:
            ctx.reply(Text(error.key, error.params))
            return
        draft.data[field.name] = value
        draft.history.append(field.name)

    def _back(self, ctx: Context, draft: FormDraft) -> None:
        if not draft.history:
            ctx.reply("form.nothing_to_go_back")
            return
        name = draft.history.pop()
        forget_answers(ctx.connection, [draft.data.pop(name, None)])

    def _advance(self, ctx: MemberContext, form: Form, draft: FormDraft, lead: Text | None = None) -> None:
        """Ask the next open question, or show the summary for confirmation, and store the draft.

        ``lead`` is a line put before the question in the same message (the form's opening line).
        """
        opening = [lead] if lead else []
        fields = list(form.fields(ctx, draft.context))
        field = self._next_field(fields, draft.data)
        draft.step += 1
        draft.updated_at = to_db_time(ctx.now)
        draft.expires_at = to_db_time(ctx.now + timedelta(minutes=ctx.settings.draft_ttl_minutes))
        if field is None and not form.confirm:
            self._submit(ctx, form, draft, fields)
            return
        save_draft(connection=ctx.connection, draft=draft)
        if field is None:
            lines = [*opening, Text("form.summary_title", {"form": form.title})]
            lines += self.summary(ctx, fields, draft.data)
            lines.append(Text("form.confirm_prompt"))
            buttons = [
                Button(SUBMIT_LABEL, step_value(draft, SUMMARY_FIELD, VALUE_SUBMIT)),
                BACK_BUTTON,
                CANCEL_BUTTON,
            ]
            ctx.reply(*lines, buttons=buttons)
            return
        choices = list(field.choices(ctx, draft.data)) if field.choices else []
        hint = HINT_KEYS[field.optional, bool(draft.history)]
        buttons = [Button(choice.label, step_value(draft, field.name, choice.value)) for choice in choices]
        if field.optional:
            buttons.append(SKIP_BUTTON)
        ctx.reply(*opening, field.prompt, Text(hint), buttons=buttons)

    def summary(self, ctx: Context, fields: Sequence[FormField], data: dict[str, Any]) -> list[Text]:
        """Return one numbered line per answered question: label and shown value."""
        return [
            Text("form.summary_line", {"number": number, "label": field.label, "value": self.show(ctx, field, data)})
            for number, field in enumerate(self._answered(fields, data), 1)
        ]

    @staticmethod
    def _answered(fields: Sequence[FormField], data: dict[str, Any]) -> list[FormField]:
        return [field for field in fields if field.name in data and field.applies(data)]

    def _reopen(self, ctx: Context, draft: FormDraft, fields: Sequence[FormField], number: int) -> bool:
        """Forget the answer on the summary's line ``number`` so it is asked again; False if there is no such line."""
        answered = self._answered(fields, draft.data)
        if not 1 <= number <= len(answered):
            return False
        name = answered[number - 1].name
        forget_answers(ctx.connection, [draft.data.pop(name)])
        if name in draft.history:
            draft.history.remove(name)
        return True

    @staticmethod
    def show(ctx: Context, field: FormField, data: dict[str, Any]) -> Text:
        """Return how a stored answer is shown to people: a choice by its label, other values as typed."""
        value = data[field.name]
        if value is None:
            return Text("form.skipped_value")
        if field.display is not None:
            return field.display(value)
        kept = file_answer(value) if field.takes_file else None
        if kept is not None:
            return Text("form.file_value", {"name": kept[1]})
        for choice in field.choices(ctx, data) if field.choices else ():
            if choice.value == value:
                return choice.label
        return Text.raw(str(value))

    def _submit(self, ctx: MemberContext, form: Form, draft: FormDraft, fields: Sequence[FormField]) -> None:
        data = {field.name: draft.data.get(field.name) for field in fields if field.applies(draft.data)}
        delete_draft(connection=ctx.connection, draft=draft)
        form.on_submit(ctx, data, dict(draft.context))
