"""The scan every end-to-end test ends with: no person's personal data in any message that reached a group chat.

Persons are the people the bot keeps records about (check results, ledger targets, referrals; observations point
at these). Members are staff: a reporter's name in a group is fine, so a person who shares a member's name is
not looked for by name.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from lianfang.bot.i18n import render
from lianfang.bot.personal_text import split_address
from lianfang.bot.render import render_plain
from lianfang.models.checks import CheckResult
from lianfang.models.referrals import Referral
from lianfang.models.screening import ScreeningTarget
from sqlalchemy import Select, create_engine, inspect, null, select, text

PERSON_QUERIES: dict[str, Select[Any]] = {
    # Through the models: phones and ID numbers are stored encrypted, and the scan looks for what readers would see.
    "checkresult": select(CheckResult.person, CheckResult.phone, CheckResult.address, null()),
    "screeningtarget": select(
        ScreeningTarget.name, ScreeningTarget.phone, ScreeningTarget.address, ScreeningTarget.id_number
    ),
    "referral": select(Referral.person, Referral.phone, Referral.address, null()),
}
MIN_LENGTH = 2


@dataclass(frozen=True)
class Person:
    """One person's data as the database holds it."""

    name: str
    phone: str | None
    address: str
    id_number: str | None


def flat(value: str) -> str:
    """Return text as compared: NFKC, no invisible characters or whitespace, lower case."""
    value = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf" and not ch.isspace()).casefold()


def digits(value: str) -> str:
    """Return the digits of a text, for phones written with separators."""
    return re.sub(r"[\s\-.·()]", "", unicodedata.normalize("NFKC", value))


def memory_group_texts(harness: Any) -> list[str]:
    """Return what a harness's memory adapter delivered to group chats, as readers see it (buttons too)."""
    groups = harness.group_chat_ids()
    texts = []
    for message in harness.adapter.delivered:
        if message.chat.chat_id in groups:
            buttons = [f"{render(b.label, message.lang)} {b.value}" for b in message.buttons]
            texts.append("\n".join([render_plain(message), *buttons]))
    return texts


def telegram_group_texts(fake: Any) -> list[str]:
    """Return what the fake Bot API delivered to group chats (negative chat ids), buttons included."""
    return [
        f"{params.get('text', '')}\n{json.dumps(params.get('reply_markup') or {}, ensure_ascii=False)}"
        for params in fake.delivered
        if str(params.get("chat_id", "")).startswith("-")
    ]


def wecom_group_texts(fake: Any, group_methods: tuple[str, ...]) -> list[str]:
    """Return what the fake WeCom API delivered to app group chats and group robots."""
    return [json.dumps(call.body, ensure_ascii=False) for call in fake.delivered if call.method in group_methods]


def load_persons(database_url: str) -> tuple[list[Person], set[str]]:
    """Return every person in a database, and the members' names."""
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        persons: list[Person] = []
        members: set[str] = set()
        with engine.connect() as connection:
            for table, query in PERSON_QUERIES.items():
                if table in tables:
                    persons += [Person(*row) for row in connection.execute(query)]
            if "member" in tables:
                members = {flat(row[0]) for row in connection.execute(text("SELECT name FROM member"))}
        return persons, members
    finally:
        engine.dispose()


def leaks(texts: list[str], persons: list[Person], members: set[str]) -> list[str]:
    """Return a description of each person's data found in the texts."""
    found = []
    for number, raw in enumerate(texts, start=1):
        seen, seen_digits = flat(raw), digits(raw)
        for person in persons:
            name = flat(person.name)
            if len(name) >= MIN_LENGTH and name not in members and name in seen:
                found.append(f"group message {number} names {person.name}: {raw!r}")
            if person.phone and len(digits(person.phone)) >= 7 and digits(person.phone) in seen_digits:
                found.append(f"group message {number} shows the phone of {person.name}: {raw!r}")
            if person.id_number and flat(person.id_number) in seen:
                found.append(f"group message {number} shows the ID number of {person.name}: {raw!r}")
            _kept, hidden = split_address(person.address)
            # An address with nothing hidden (an anonymised record keeps compound and building) is what groups see.
            pieces = [flat(person.address), *(flat(piece) for piece in hidden)] if any(hidden) else []
            if any(len(piece) > MIN_LENGTH and piece in seen for piece in pieces):
                found.append(f"group message {number} shows the address of {person.name}: {raw!r}")
    return found
