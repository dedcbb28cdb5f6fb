"""Read a drill file into typed lines, or into ``file:line: problem`` for everything wrong with it."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from lianfang.app.drill.overrides import Override, parse_setting
from lianfang.bot.chat_purpose import purpose_of
from lianfang.bot.org import Org
from lianfang.models.members import ROLES

SEPARATOR = "---"
DAY_PREFIX = "==="
NARRATION_PREFIX = "##"
"""A body comment that begins ``##`` is also printed, as the story's next stage direction."""
COMMENT = re.compile(r"(^|\s)#.*$")
TIMED = re.compile(r"^(?P<hour>\d{1,2}):(?P<minute>\d{2})\s+(?P<rest>.*)$")
SPEAKER = re.compile(r"^(?P<name>[^\s:@$]+)(\s+@(?P<chat>[^\s:]+))?\s*:\s*(?P<text>.*)$")
EXPECT = re.compile(r"^expect\s+(?P<no>no\s+)?(?P<target>@?[^\s:]+)\s*:\s*(?P<text>.*)$")
COUNT = re.compile(r"^(?P<count>\d+)\s+messages?$")
TAP = re.compile(r"^\[(?P<label>.+)\]$")
FILE = re.compile(r"^<file\s+(?P<path>.+)>$")
COMMAND_PREFIX = "$ lianfang"
HEADER_KEYS = ("date", "org", "set", "people", "strangers", "chats")
LISTS = ("people", "strangers", "chats")
SETTINGS = "set"
"""The header block of org settings changed for this drill, one indented ``section.key = value`` a line."""


class DrillError(Exception):
    """A drill file that cannot be played: every problem, each as ``file:line: problem``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Person:
    """Someone of the drill who is invited and joins before the first line."""

    name: str
    group: str
    role: str
    community: str | None
    line: int


@dataclass(frozen=True)
class GroupChat:
    """A group chat of the drill and what it is bound to."""

    name: str
    purpose: str
    line: int


@dataclass(frozen=True)
class Say:
    """A person sends text, privately or in a group chat."""

    line: int
    at: datetime
    name: str
    text: str
    chat: str | None = None


@dataclass(frozen=True)
class Tap:
    """A person taps the button with this label on the latest message to them that carries it."""

    line: int
    at: datetime
    name: str
    label: str


@dataclass(frozen=True)
class SendFile:
    """A person sends a file in their private chat."""

    line: int
    at: datetime
    name: str
    path: Path


@dataclass(frozen=True)
class Command:
    """A ``lianfang`` subcommand run against the drill's database and clock."""

    line: int
    at: datetime
    args: tuple[str, ...]


@dataclass(frozen=True)
class Expect:
    """Some message (or none, or exactly ``count``) in the target's window contains ``text``."""

    line: int
    at: datetime
    target: str
    """A person's name, or ``@CHAT``."""
    text: str
    negated: bool = False
    count: int | None = None


@dataclass(frozen=True)
class Narration:
    """A stage direction, printed when the next line plays."""

    line: int
    text: str


Step = Say | Tap | SendFile | Command | Expect | Narration


@dataclass
class Drill:
    """A parsed drill file."""

    path: Path
    day: date
    org: Path | None = None
    people: list[Person] = field(default_factory=list)
    strangers: list[str] = field(default_factory=list)
    chats: list[GroupChat] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)
    """Org settings changed for this drill (``set:``), applied on top of the org file."""
    steps: list[Step] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    """Where each name of the header was given, for problems found against the org."""

    def speakers(self) -> set[str]:
        """Return every name that may speak: people and strangers."""
        return {p.name for p in self.people} | set(self.strangers)


def parse_drill(path: Path, *, today: date) -> Drill:
    """Read a drill file; raise DrillError with every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DrillError([f"{path}: cannot read: {error}"]) from None
    reader = _Reader(path, today)
    reader.read(text.splitlines())
    if reader.problems:
        raise DrillError(reader.problems)
    return reader.drill


def check_against_org(drill: Drill, org: Org) -> None:
    """Raise DrillError if a person's group, role or community, or a chat's purpose, is not in the org."""
    problems = []
    where = drill.path
    for person in drill.people:
        if org.group(person.group) is None:
            problems.append(f"{where}:{person.line}: unknown group {person.group!r}")
        if person.role not in ROLES:
            problems.append(f"{where}:{person.line}: unknown role {person.role!r} (one of {', '.join(ROLES)})")
        if person.community is not None and org.community(person.community) is None:
            problems.append(f"{where}:{person.line}: unknown community {person.community!r}")
    for chat in drill.chats:
        try:
            purpose_of(org, chat.purpose)
        except ValueError as error:
            problems.append(f"{where}:{chat.line}: chat {chat.name}: {error}")
    if problems:
        raise DrillError(problems)


class _Reader:
    """Read lines one by one, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, today: date) -> None:
        self.drill = Drill(path=path, day=today)
        self.problems: list[str] = []
        self.section: str | None = None
        self.in_body = False
        self.day = today
        self.last: datetime | None = None

    def problem(self, number: int, text: str) -> None:
        self.problems.append(f"{self.drill.path}:{number}: {text}")

    def read(self, lines: list[str]) -> None:
        for number, raw in enumerate(lines, start=1):
            stripped = raw.strip()
            if self.in_body and stripped.startswith(NARRATION_PREFIX):
                self.drill.steps.append(Narration(number, stripped.removeprefix(NARRATION_PREFIX).strip()))
                continue
            content = COMMENT.sub("", raw).rstrip()
            if not content.strip():
                continue
            if self.in_body:
                self.body(number, content.strip())
            elif content.strip() == SEPARATOR:
                self.in_body = True
                self.day = self.drill.day
            else:
                self.header(number, content)
        if not self.in_body:
            self.problem(len(lines) or 1, f"missing '{SEPARATOR}' between the header and the day")
        self.check_speakers()

    def header(self, number: int, content: str) -> None:
        if content[:1].isspace() and self.section == SETTINGS:
            self.setting(number, content.strip())
            return
        if content[:1].isspace():
            self.listed(number, content.split())
            return
        key, colon, value = content.partition(":")
        key, value = key.strip(), value.strip()
        if not colon or key not in HEADER_KEYS:
            self.problem(number, f"unknown header line {content.strip()!r} (keys: {', '.join(HEADER_KEYS)})")
            return
        self.section = key if key in (*LISTS, SETTINGS) else None
        if key == "date":
            self.drill.day = self.date(number, value) or self.drill.day
        elif key == "org":
            org = (self.drill.path.parent / value).resolve()
            if not org.is_file():
                self.problem(number, f"org file {value!r} does not exist")
            self.drill.org = org
        elif key == SETTINGS and value:
            self.setting(number, value)
        elif value:
            self.listed(number, value.split())

    def setting(self, number: int, text: str) -> None:
        try:
            override = parse_setting(number, text)
        except ValueError as error:
            self.problem(number, str(error))
            return
        earlier = next((o for o in self.drill.overrides if o.path == override.path), None)
        if earlier is not None:
            self.problem(number, f"{override.name} is set twice (first on line {earlier.line})")
            return
        self.drill.overrides.append(override)

    def listed(self, number: int, words: list[str]) -> None:
        known = self.drill.speakers() | {c.name for c in self.drill.chats}
        if self.section is None:
            self.problem(number, "an indented line belongs under people:, strangers: or chats:")
        elif words[0] in known:
            self.problem(number, f"{words[0]} is named twice")
        elif self.section == "people" and len(words) in (3, 4):
            self.drill.people.append(
                Person(words[0], words[1], words[2], words[3] if len(words) == 4 else None, number)
            )
        elif self.section == "strangers" and len(words) == 1:
            self.drill.strangers.append(words[0])
        elif self.section == "chats" and len(words) == 2:
            self.drill.chats.append(GroupChat(words[0], words[1], number))
        else:
            shapes = {
                "people": "NAME GROUP_KEY ROLE [COMMUNITY_KEY]",
                "strangers": "NAME",
                "chats": "CHAT_NAME PURPOSE",
            }
            self.problem(number, f"a {self.section} line reads {shapes[self.section]}")

    def date(self, number: int, text: str) -> date | None:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            self.problem(number, f"bad date {text.strip()!r} (YYYY-MM-DD)")
            return None

    def body(self, number: int, content: str) -> None:
        if content.startswith(DAY_PREFIX):
            day = self.date(number, content.removeprefix(DAY_PREFIX))
            if day is not None and day < self.day:
                self.problem(number, f"{day} goes back in time")
            elif day is not None:
                self.day = day
            return
        timed = TIMED.match(content)
        if timed is None:
            self.problem(number, "a line of the day starts with HH:MM (or is '=== YYYY-MM-DD')")
            return
        hour, minute = int(timed["hour"]), int(timed["minute"])
        if hour > 23 or minute > 59:
            self.problem(number, f"bad time {timed['hour']}:{timed['minute']}")
            return
        at = datetime.combine(self.day, time(hour, minute))
        if self.last is not None and at < self.last:
            self.problem(number, f"{at:%H:%M} goes back in time (the line before is at {self.last:%H:%M})")
        self.last = max(at, self.last or at)
        step = self.step(number, at, timed["rest"].strip())
        if step is not None:
            self.drill.steps.append(step)

    def step(self, number: int, at: datetime, rest: str) -> Step | None:
        if rest.startswith(COMMAND_PREFIX):
            try:
                return Command(number, at, tuple(shlex.split(rest.removeprefix(COMMAND_PREFIX))))
            except ValueError as error:
                self.problem(number, f"cannot read the command: {error}")
                return None
        if (expect := EXPECT.match(rest)) is not None:
            counted = COUNT.match(expect["text"].strip())
            if counted is not None and expect["no"]:
                self.problem(number, "'expect no' takes a text, not a number of messages")
                return None
            return Expect(
                number,
                at,
                expect["target"],
                expect["text"].strip(),
                negated=bool(expect["no"]),
                count=int(counted["count"]) if counted else None,
            )
        said = SPEAKER.match(rest)
        if said is None:
            self.problem(number, "expected 'NAME: TEXT', 'NAME @CHAT: TEXT', 'expect ...' or '$ lianfang ...'")
            return None
        name, text = said["name"], said["text"].strip()
        if (tap := TAP.match(text)) is not None and said["chat"] is None:
            return Tap(number, at, name, tap["label"].strip())
        if (sent := FILE.match(text)) is not None and said["chat"] is None:
            path = (self.drill.path.parent / sent["path"].strip()).resolve()
            if not path.is_file():
                self.problem(number, f"file {sent['path'].strip()!r} does not exist")
            return SendFile(number, at, name, path)
        return Say(number, at, name, text, chat=said["chat"])

    def check_speakers(self) -> None:
        speakers = self.drill.speakers()
        chats = {c.name for c in self.drill.chats}
        for step in self.drill.steps:
            if isinstance(step, Say | Tap | SendFile) and step.name not in speakers:
                self.problem(step.line, f"{step.name} is neither in people: nor in strangers:")
            if isinstance(step, Say) and step.chat is not None and step.chat not in chats:
                self.problem(step.line, f"unknown chat @{step.chat} (not in chats:)")
            if isinstance(step, Expect):
                target = step.target.removeprefix("@")
                known = chats if step.target.startswith("@") else speakers
                if target not in known:
                    self.problem(step.line, f"unknown target {step.target} (a name from people:/strangers: or @CHAT)")
        self.problems.sort(key=_line_of)


def _line_of(problem: str) -> int:
    """Return the line number of a ``file:line: problem``, for sorting."""
    match = re.search(r":(\d+): ", problem)
    return int(match[1]) if match else 0
