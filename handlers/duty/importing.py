"""Importing a duty roster (值班表) from .xlsx or .csv: every row checked, bad rows named, all or nothing."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from lianfang.bot.context import Context
from lianfang.bot.forms import FieldError
from lianfang.bot.types import Text, TextError
from lianfang.handlers.duty.roster import DATE_FORMAT, shift_bounds
from lianfang.handlers.duty.settings import DUTY
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, phone_of
from lianfang.models.duty import MAX_NOTE, assignments_on, replace_days
from lianfang.models.members import Member, members_named

logger = logging.getLogger(__name__)

SUFFIX_XLSX = ".xlsx"
SUFFIX_CSV = ".csv"
SUPPORTED_SUFFIXES = (SUFFIX_XLSX, SUFFIX_CSV)
COL_DATE = "日期"
COL_SHIFT = "班次"
COL_LEADER = "值班领导"
COL_STAFF = "值班人员"
COL_PHONE = "联系电话"
COL_NOTE = "备注"
REQUIRED_COLUMNS = (COL_DATE, COL_SHIFT, COL_LEADER, COL_STAFF)
OPTIONAL_COLUMNS = (COL_PHONE, COL_NOTE)
NAME_SPLIT = re.compile(r"[、,，;；/\s]+")
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MAX_ROWS = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
ONE_DAY = timedelta(days=1)


class RosterFileError(TextError):
    """A roster file that cannot be read at all (wrong type, unreadable, no header row)."""


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row, by its row number in the sheet."""

    row: int
    text: Text

    def line(self) -> Text:
        """Return the problem as a line naming its row."""
        return Text("duty.import_row", {"row": self.row, "problem": self.text})


@dataclass
class RosterImport:
    """What an import found: the rows it would write, the leaders of the days, and every problem."""

    rows: int = 0
    assignments: list[tuple[date, str, int, str, str]] = field(default_factory=list)
    leaders: dict[date, int] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    written: bool = False

    @property
    def days(self) -> list[date]:
        """Return the days the roster covers."""
        return sorted({a[0] for a in self.assignments} | set(self.leaders))


def read_rows(path: Path) -> list[tuple[int, list[Any]]]:
    """Return the numbered rows of a roster file's first sheet."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise RosterFileError("duty.import_file_type", suffix=path.suffix.lower() or "-")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RosterFileError("duty.import_unreadable", error=error.strerror or type(error).__name__) from None
    return read_data(path.name, data)


def read_data(file_name: str, data: bytes) -> list[tuple[int, list[Any]]]:
    """Return the numbered rows of the first sheet of a roster file's bytes, read by the file name's suffix."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise RosterFileError("duty.import_file_type", suffix=suffix or "-")
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError("duty.import_too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    if suffix == SUFFIX_CSV:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        return [(number, list(row)) for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    import openpyxl  # parses with defusedxml, a pinned dependency

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return [(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
        finally:
            book.close()
    except Exception as error:  # zip, XML and openpyxl errors all mean the same to the user
        logger.debug("cannot read a roster workbook", exc_info=True)
        raise RosterFileError("duty.import_unreadable", error=type(error).__name__) from None


def cell(value: Any) -> str:
    """Return a cell as trimmed text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_day(value: Any) -> date | None:
    """Read a date cell: an Excel date, or 2020-01-28, 2020/1/28, 2020.1.28, 2020年1月28日; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = DATE_PATTERN.match(cell(value).translate(FULLWIDTH_DIGITS))
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[str, int]]:
    """Find the header row among the first rows; return its index in ``rows`` and each column's position."""
    for index, (_number, values) in enumerate(rows[:10]):
        names = [cell(v) for v in values]
        if all(column in names for column in REQUIRED_COLUMNS):
            wanted = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
            return index, {name: names.index(name) for name in wanted if name in names}
    raise RosterFileError("duty.import_no_header", columns="、".join(REQUIRED_COLUMNS))


class _Members:
    """Resolve names to active members once per import."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cache: dict[str, list[Member]] = {}

    def one(self, name: str) -> Member:
        if name not in self.cache:
            self.cache[name] = [m for m in members_named(session=self.ctx.session, ref=name) if m.active]
        found = self.cache[name]
        if not found:
            raise FieldError("duty.import_unknown_member", name=name[:32])
        if len(found) > 1:
            raise FieldError("duty.import_ambiguous_member", name=name, count=len(found))
        return found[0]


def check_roster(ctx: Context, rows: list[tuple[int, list[Any]]]) -> RosterImport:
    """Check every row of a roster; return what would be written and every problem by row number."""
    rules = DUTY.of(ctx.org)
    header, columns = _header(rows)
    result = RosterImport()
    members = _Members(ctx)
    leader_rows: dict[date, tuple[int, int]] = {}
    spans: list[tuple[int, int, str, datetime, datetime]] = []  # (row, member, name, start, end)
    body = [(n, values) for n, values in rows[header + 1 :] if any(cell(v) for v in values)]
    if len(body) > MAX_ROWS:
        raise RosterFileError("duty.import_too_many", limit=MAX_ROWS)

    def get(values: list[Any], column: str) -> Any:
        position = columns.get(column)
        return values[position] if position is not None and position < len(values) else None

    for number, values in body:
        result.rows += 1
        problems: list[Text] = []
        day = parse_day(get(values, COL_DATE))
        if day is None:
            problems.append(Text("duty.import_bad_date", {"value": cell(get(values, COL_DATE))[:20] or "-"}))
        shift = rules.shift(cell(get(values, COL_SHIFT)))
        if shift is None:
            known = "、".join(s.name for s in rules.shifts)
            problems.append(
                Text("duty.import_bad_shift", {"value": cell(get(values, COL_SHIFT))[:20] or "-", "shifts": known})
            )
        leader: Member | None = None
        if leader_name := cell(get(values, COL_LEADER)):
            try:
                leader = members.one(leader_name)
            except FieldError as error:
                problems.append(error.text())
        staff: list[Member] = []
        names = [name for name in NAME_SPLIT.split(cell(get(values, COL_STAFF))) if name]
        if not names:
            problems.append(Text("duty.import_no_staff"))
        for name in dict.fromkeys(names):
            try:
                staff.append(members.one(name))
            except FieldError as error:
                problems.append(error.text())
        phone = ""
        if raw_phone := cell(get(values, COL_PHONE)):
            try:
                phone = phone_of(raw_phone)
            except FieldError:
                problems.append(Text("duty.import_bad_phone"))
        note = cell(get(values, COL_NOTE))
        if len(note) > MAX_NOTE:
            problems.append(Text("duty.import_note_too_long", {"limit": MAX_NOTE}))
        if day is not None and leader is not None and leader.id is not None:
            earlier = leader_rows.setdefault(day, (number, leader.id))
            if earlier[1] != leader.id:
                problems.append(
                    Text("duty.import_leader_conflict", {"row": earlier[0], "date": day.strftime(DATE_FORMAT)})
                )
        if problems:
            result.problems += [RowProblem(number, text) for text in problems]
            continue
        assert day is not None and shift is not None
        if leader is not None and leader.id is not None:
            result.leaders[day] = leader.id
        start, end = shift_bounds(shift, day, ctx.tz)
        for member in staff:
            assert member.id is not None
            spans.append((number, member.id, member.name, start, end))
            result.assignments.append((day, shift.key, member.id, phone, note))
    result.problems += _overlaps(ctx, spans, result.days)
    result.problems.sort(key=lambda problem: problem.row)
    return result


def _overlaps(
    ctx: Context, spans: Sequence[tuple[int, int, str, datetime, datetime]], days: Sequence[date]
) -> list[RowProblem]:
    """Name each row putting a person on a shift that overlaps another of theirs, in the file or kept on the roster."""
    rules = DUTY.of(ctx.org)
    problems: list[RowProblem] = []
    covered = set(days)
    near = sorted({d + delta for d in covered for delta in (-ONE_DAY, ONE_DAY)} - covered)
    kept = []
    for assignment in assignments_on(session=ctx.session, days=near):
        shift = rules.shift(assignment.shift)
        if shift is not None:
            kept.append((0, assignment.member_id, "", *shift_bounds(shift, assignment.day, ctx.tz)))
    for index, (row, member_id, name, start, end) in enumerate(spans):
        for other_row, other_member, _other, other_start, other_end in [*spans[:index], *kept]:
            if other_member == member_id and start < other_end and other_start < end:
                key = "duty.import_overlap" if other_row else "duty.import_overlap_roster"
                problems.append(RowProblem(row, Text(key, {"name": name, "row": other_row})))
                break
    return problems


def import_roster(ctx: Context, path: Path) -> RosterImport:
    """Check a roster file and, only when every row is good, replace the roster of the days it covers."""
    return import_rows(ctx, read_rows(path))


def import_rows(ctx: Context, rows: list[tuple[int, list[Any]]]) -> RosterImport:
    """Check a roster's rows and, only when every row is good, replace the roster of the days they cover."""
    result = check_roster(ctx, rows)
    if result.problems or not result.rows:
        return result
    replace_days(session=ctx.session, now=ctx.now, leaders=result.leaders, rows=result.assignments)
    result.written = True
    logger.info("duty roster imported: %d rows, %d assignments", result.rows, len(result.assignments))
    return result
