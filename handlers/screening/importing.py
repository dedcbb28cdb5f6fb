"""Import of the district's screening lists (.xlsx, .csv): find the header, validate rows, merge, assign."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lianfang.bot.context import Context
from lianfang.bot.forms import FieldError
from lianfang.bot.org import Org
from lianfang.bot.types import Text, TextError
from lianfang.handlers.shared.access import in_reach
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.idcard import ERROR_BIRTH, ERROR_CHECKSUM, ERROR_FORMAT, IdNumberError, parse_id_number
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, phone_of
from lianfang.handlers.shared.screening_settings import SCREENING
from lianfang.models.audit import ACTION_IMPORT, CHANNEL_CLI, MAX_DETAIL, record_access
from lianfang.models.members import Member, get_member, list_members
from lianfang.models.screening import (
    STATUS_OPEN,
    ScreeningTarget,
    add_targets,
    existing_by_id_number,
    merge_into_target,
    open_counts,
    unassigned_targets,
    update_target,
)

logger = logging.getLogger(__name__)

SUFFIX_XLSX = ".xlsx"
SUFFIX_CSV = ".csv"
SUPPORTED_SUFFIXES = (SUFFIX_XLSX, SUFFIX_CSV)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
"""UTF-8 (with or without the BOM) first, then GB 18030, the superset of the GBK that Excel in China writes."""
HEADER_SCAN_ROWS = 30
"""Title rows, notes and blank lines above the header are skipped up to this many rows."""
MIN_HEADER_MATCHES = 2
MAX_NAME = 64
MAX_ADDRESS = 200
MAX_REASON = 200
MAX_COMPOUND = 64
MAX_BATCH = 64
EXCEL_DIGITS = 15
"""Significant digits Excel keeps in a number cell."""
MAX_EXCEL_SERIAL = 2958465
"""The last day Excel can store (9999-12-31)."""
EARLIEST_DATE = date(2000, 1, 1)
LEAP_DAY = (2, 29)
LEAP_CYCLE = 4
FIELD_NAME = "name"
FIELD_ID = "id_number"
FIELD_PHONE = "phone"
FIELD_ADDRESS = "address"
FIELD_COMMUNITY = "community"
FIELD_COMPOUND = "compound"
FIELD_REASON = "reason"
FIELD_ARRIVAL = "arrival_date"
COLUMN_KEYS = {
    FIELD_NAME: "screening.col_name",
    FIELD_ID: "screening.col_id_number",
    FIELD_PHONE: "screening.col_phone",
    FIELD_ADDRESS: "screening.col_address",
    FIELD_COMMUNITY: "screening.col_community",
    FIELD_COMPOUND: "screening.col_compound",
    FIELD_REASON: "screening.col_reason",
    FIELD_ARRIVAL: "screening.col_arrival_date",
}
ID_ERROR_KEYS = {
    ERROR_FORMAT: "screening.error_id_format",
    ERROR_CHECKSUM: "screening.error_id_checksum",
    ERROR_BIRTH: "screening.error_id_birth",
}
REPLACED_KEYS = {
    frozenset({FIELD_PHONE}): "screening.replaced_phone",
    frozenset({FIELD_ADDRESS}): "screening.replaced_address",
    frozenset({FIELD_PHONE, FIELD_ADDRESS}): "screening.replaced_phone_address",
}
"""The notice to a target's staff member, by the fields a list changed."""
MERGE_FIELDS = (FIELD_PHONE, FIELD_ADDRESS, FIELD_REASON, FIELD_ARRIVAL)
"""Fields a later row or a new list fills in on an existing person."""

BUILTIN_HEADERS: dict[str, tuple[str, ...]] = {
    FIELD_NAME: ("姓名", "名字", "人员姓名", "name", "full name"),
    FIELD_ID: ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "id number", "id no", "id"),
    FIELD_PHONE: ("联系电话", "手机号", "手机号码", "电话", "联系方式", "phone", "mobile", "telephone"),
    FIELD_ADDRESS: ("住址", "现住址", "居住地址", "详细地址", "地址", "现居住地址", "address", "current address"),
    FIELD_COMMUNITY: ("社区", "所属社区", "community"),
    FIELD_COMPOUND: ("小区", "所属小区", "compound"),
    FIELD_REASON: ("事由", "原因", "排查原因", "类别", "reason"),
    FIELD_ARRIVAL: (
        "抵达日期",
        "返长日期",
        "到达日期",
        "返回日期",
        "来长日期",
        "抵长日期",
        "arrival date",
        "arrival",
        "date of arrival",
    ),
}
HEADER_NOISE = re.compile(r"[\s*＊:：]|[(（][^)）]*[)）]")
"""Spaces, required-field stars, colons and parenthesised notes such as (18位) around header names."""
FULL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
SHORT_DATE = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
TIME_SUFFIX = re.compile(r"[\sT]+\d{1,2}:\d{2}(?::\d{2})?$")
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
"""Control characters a cell should never hold: NUL and other C0/C1 controls, zero-width and bidi overrides."""
LINE_BREAKS = re.compile("[\t\r\n\u2028\u2029]+")
"""Breaks inside a cell (Alt+Enter in Excel) read as one space."""
FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
"""A formula element in a worksheet's XML."""
WORKSHEETS = "xl/worksheets/"
PHONE_NOISE = re.compile(r"[\s\-—()（）]")
PHONE_PREFIXES = ("+86", "0086")


class ImportFileError(TextError):
    """A file that cannot be imported at all; ``key`` says why."""


class FormulaWithoutValue:
    """A formula cell saved without its result (written by a program that does not calculate)."""

    def __repr__(self) -> str:
        return "FORMULA_WITHOUT_VALUE"


FORMULA_WITHOUT_VALUE = FormulaWithoutValue()


@dataclass(frozen=True)
class RowProblem:
    """Why one row of the file was rejected, or what was done about it."""

    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> Text:
        """Return the line shown to the importer: the spreadsheet row number and the reason."""
        return Text("screening.import_row", {"row": self.row, "reason": Text(self.key, self.params)})


@dataclass
class ImportRow:
    """One good row: its spreadsheet row number and validated values."""

    row: int
    values: dict[str, Any]


@dataclass
class ImportReport:
    """What an import found and did."""

    batch: str
    rows: int = 0
    good: list[ImportRow] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    merged: list[RowProblem] = field(default_factory=list)
    cleaned: list[RowProblem] = field(default_factory=list)
    """Rows whose cells lost control characters (imported all the same)."""
    unassigned: list[RowProblem] = field(default_factory=list)
    replaced: list[tuple[ScreeningTarget, tuple[str, ...]]] = field(default_factory=list)
    """Targets whose phone or address the list changed (the old values kept), with the fields changed."""
    assigned: dict[int, int] = field(default_factory=dict)
    """New targets per member id."""
    added: int = 0
    updated: int = 0
    written: bool = False

    @property
    def bad_rows(self) -> int:
        """Return how many rows were rejected (a row can have several problems)."""
        return len({problem.row for problem in self.rejected})


# -- reading ----------------------------------------------------------------------------------------------


def read_table(path: Path) -> list[tuple[int, list[Any]]]:
    """Return (spreadsheet row number, cell values) for every row of the first sheet or the CSV file."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ImportFileError("screening.error_file_type", suffix=path.suffix.lower() or "-")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError("screening.error_file_unreadable", error=error.strerror or type(error).__name__) from None
    return read_table_data(path.name, data)


def read_table_data(file_name: str, data: bytes) -> list[tuple[int, list[Any]]]:
    """Return the rows of a list given as a file name (for its type) and its bytes."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ImportFileError("screening.error_file_type", suffix=suffix or "-")
    if not data.strip():
        raise ImportFileError("files.error_empty")
    if suffix == SUFFIX_XLSX:
        return list(_xlsx_rows(data))
    return list(_csv_rows(data))


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl  # openpyxl parses with defusedxml when it is installed (a pinned dependency)

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # zipfile, XML and openpyxl errors all mean the same to the user
        logger.debug("cannot open a workbook", exc_info=True)
        raise ImportFileError("screening.error_file_unreadable", error=type(error).__name__) from None
    rows = _first_sheet(book)
    if _has_formulas(data):
        formulas = _first_sheet(openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False))
        for (_number, values), (_same, written) in zip(rows, formulas, strict=False):
            for index, value in enumerate(values):
                if value is None and index < len(written) and _is_formula(written[index]):
                    values[index] = FORMULA_WITHOUT_VALUE
    yield from rows


def _first_sheet(book: Any) -> list[tuple[int, list[Any]]]:
    try:
        sheet = book.worksheets[0]
        return [(number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    except Exception as error:  # a damaged sheet inside a readable archive
        logger.debug("cannot read a workbook's sheet", exc_info=True)
        raise ImportFileError("screening.error_file_unreadable", error=type(error).__name__) from None
    finally:
        book.close()


def _has_formulas(data: bytes) -> bool:
    """Tell whether any worksheet of the archive holds a formula (a cheap scan before a second read)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(FORMULA_TAG.search(archive.read(name)) for name in archive.namelist() if name.startswith(WORKSHEETS))


def _is_formula(value: Any) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula

    return isinstance(value, ArrayFormula) or (isinstance(value, str) and value.startswith("="))


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("screening.error_file_encoding")
    yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def header_names(org: Org) -> dict[str, str]:
    """Return the known header names, normalized, with the field each names; the org's names win."""
    names = {_normalize_header(name): key for key, aliases in BUILTIN_HEADERS.items() for name in aliases}
    names.update({_normalize_header(name): key for name, key in SCREENING.of(org).headers.items()})
    return names


def _normalize_header(value: Any) -> str:
    return HEADER_NOISE.sub("", strip_invisible(str(value))).casefold() if value is not None else ""


def strip_invisible(text: str) -> str:
    """Remove control characters (NUL, zero-width, bidi overrides): PostgreSQL refuses NUL, and the rest hide text."""
    return INVISIBLE.sub("", text)


def find_header(rows: Sequence[tuple[int, list[Any]]], org: Org) -> tuple[int, dict[int, str]]:
    """Return the position of the header row among ``rows`` and which column holds which field."""
    known = header_names(org)
    for position, (_number, values) in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[int, str] = {}
        for index, value in enumerate(values):
            key = known.get(_normalize_header(value))
            if key is not None and key not in columns.values():
                columns[index] = key
        if len(columns) >= MIN_HEADER_MATCHES and FIELD_NAME in columns.values():
            missing = [key for key in (FIELD_ADDRESS,) if key not in columns.values()]
            if missing:
                raise ImportFileError("screening.error_missing_column", column=_column(missing[0]))
            if FIELD_ID not in columns.values() and FIELD_PHONE not in columns.values():
                raise ImportFileError("screening.error_missing_column", column=_column(FIELD_ID))
            return position, columns
    raise ImportFileError("screening.error_no_header", rows=HEADER_SCAN_ROWS)


# -- validation -------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """Return a cell as trimmed text; whole numbers stored as floats lose their '.0'."""
    if value is None or value is FORMULA_WITHOUT_VALUE:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return LINE_BREAKS.sub(" ", str(value).replace("\u3000", " ")).strip()


class DateError(ValueError):
    """A date cell that is not a date (``found`` is None) or a readable date that cannot be right."""

    def __init__(self, key: str, found: date | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.found = found


def parse_date(value: Any, *, today: date) -> date:
    """Read a date from an Excel date cell, an Excel serial number or common written forms.

    Written forms: 2020-01-23, 2020/1/23, 2020.1.23, 20200123, 2020年1月23日, and 1月23日 or 1/23, which
    take the most recent such day up to ``today`` (12月30日 read on 2020-01-02 is 2019-12-30). Raises
    DateError when it is none of these, not a real date, before 2000 or after ``today``.
    """
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        if not 0 < value <= MAX_EXCEL_SERIAL:
            raise DateError("screening.error_date")
        found = from_excel(value).date()
    else:
        found = _written_date(TIME_SUFFIX.sub("", cell_text(value).translate(FULLWIDTH_DIGITS)), today=today)
    if found > today:
        raise DateError("screening.error_date_future", found)
    if found < EARLIEST_DATE:
        raise DateError("screening.error_date_implausible", found)
    return found


def _written_date(text: str, *, today: date) -> date:
    try:
        if match := FULL_DATE.match(text) or COMPACT_DATE.match(text):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
        if match := SHORT_DATE.match(text):
            month, day = (int(part) for part in match.groups())
            return _most_recent(month, day, today=today)
    except ValueError:  # 2020-02-30, 13月1日
        pass
    raise DateError("screening.error_date")


def _most_recent(month: int, day: int, *, today: date) -> date:
    """Return the latest month/day on or before ``today``: this year's, else last year's (2月29日 may go back 4)."""
    for year in range(today.year, today.year - LEAP_CYCLE - 1, -1):
        try:
            found = date(year, month, day)
        except ValueError:
            if (month, day) != LEAP_DAY:
                raise
            continue
        if found <= today:
            return found
    raise DateError("screening.error_date")


def normalize_phone(value: Any) -> str:
    """Return a mainland mobile or landline number without spaces, dashes or +86; ValueError if it is none."""
    text = PHONE_NOISE.sub("", cell_text(value).translate(FULLWIDTH_DIGITS))
    for prefix in PHONE_PREFIXES:
        text = text.removeprefix(prefix)
    try:
        return phone_of(text)
    except FieldError:
        raise ValueError("not a phone number") from None


def validate_row(number: int, cells: dict[str, Any], *, today: date) -> tuple[dict[str, Any], list[RowProblem]]:
    """Check one row; return its clean values and every problem found."""
    problems: list[RowProblem] = []
    values: dict[str, Any] = {}
    formulas = [key for key, value in cells.items() if value is FORMULA_WITHOUT_VALUE]
    problems += [RowProblem(number, "screening.error_formula_no_value", {"column": _column(key)}) for key in formulas]

    def text_field(key: str, limit: int, *, required: bool) -> None:
        text = cell_text(cells.get(key))
        if not text:
            if required and key not in formulas:
                problems.append(RowProblem(number, "screening.error_required", {"column": _column(key)}))
            return
        if len(text) > limit:
            problems.append(RowProblem(number, "screening.error_too_long", {"column": _column(key), "limit": limit}))
            return
        values[key] = text

    text_field(FIELD_NAME, MAX_NAME, required=True)
    text_field(FIELD_ADDRESS, MAX_ADDRESS, required=True)
    text_field(FIELD_COMMUNITY, MAX_COMPOUND, required=False)
    text_field(FIELD_COMPOUND, MAX_COMPOUND, required=False)
    text_field(FIELD_REASON, MAX_REASON, required=False)
    raw_id = cells.get(FIELD_ID)
    if cell_text(raw_id):
        if isinstance(raw_id, int | float) and len(cell_text(raw_id)) > EXCEL_DIGITS:
            # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has lost its end.
            # A 15-digit old number fits, so it is read like text and gets its own reasons.
            problems.append(RowProblem(number, "screening.error_id_numeric"))
        else:
            try:
                values[FIELD_ID] = parse_id_number(cell_text(raw_id), today=today).number
            except IdNumberError as error:
                problems.append(RowProblem(number, ID_ERROR_KEYS[error.reason], {"value": cell_text(raw_id)}))
    if cell_text(cells.get(FIELD_PHONE)):
        try:
            values[FIELD_PHONE] = normalize_phone(cells[FIELD_PHONE])
        except ValueError:
            problems.append(RowProblem(number, "screening.error_phone", {"value": cell_text(cells[FIELD_PHONE])}))
    if not cell_text(raw_id) and not cell_text(cells.get(FIELD_PHONE)) and not {FIELD_ID, FIELD_PHONE} & set(formulas):
        problems.append(RowProblem(number, "screening.error_no_contact"))
    if cell_text(cells.get(FIELD_ARRIVAL)):
        try:
            values[FIELD_ARRIVAL] = parse_date(cells[FIELD_ARRIVAL], today=today)
        except DateError as error:
            # a date that was read is shown as read, without the 00:00:00 an Excel date cell carries
            shown = error.found.isoformat() if error.found else cell_text(cells[FIELD_ARRIVAL])
            problems.append(RowProblem(number, error.key, {"value": shown}))
    return values, problems


def _column(key: str) -> Text:
    return Text(COLUMN_KEYS[key])


def parse_rows(rows: list[tuple[int, list[Any]]], *, org: Org, today: date, report: ImportReport) -> None:
    """Read a list into ``report``: good rows (duplicates in the file merged) and rejected rows with reasons."""
    position, columns = find_header(rows, org)
    first_row_of: dict[str, ImportRow] = {}
    for number, values in rows[position + 1 :]:
        if all(value is not FORMULA_WITHOUT_VALUE and not cell_text(value) for value in values):
            continue  # blank lines and empty formatted rows
        report.rows += 1
        cells = {key: values[index] for index, key in columns.items() if index < len(values)}
        dirty = [key for key, value in cells.items() if isinstance(value, str) and INVISIBLE.search(value)]
        for key in dirty:
            cells[key] = strip_invisible(cells[key])
        report.cleaned += [RowProblem(number, "screening.cleaned_controls", {"column": _column(key)}) for key in dirty]
        clean, problems = validate_row(number, cells, today=today)
        if problems:
            report.rejected.extend(problems)
            continue
        row = ImportRow(number, clean)
        id_number = clean.get(FIELD_ID)
        earlier = first_row_of.get(id_number) if id_number else None
        if earlier is not None:
            for key, value in clean.items():
                earlier.values.setdefault(key, value)
            report.merged.append(RowProblem(number, "screening.merged_in_file", {"first": earlier.row}))
            continue
        if id_number:
            first_row_of[id_number] = row
        report.good.append(row)


# -- assignment -------------------------------------------------------------------------------------------


@dataclass
class Assigner:
    """Send rows to a community by address, then to a field staff member by compound or fewest open targets."""

    org: Org
    staff: dict[str, list[Member]]
    """Members of the screening group, by community key."""
    load: dict[int, int]

    @classmethod
    def load_from(cls, ctx: Context) -> Assigner:
        """Read the screening group's members and their open targets."""
        members = list_members(session=ctx.session, group_key=SCREENING.of(ctx.org).group)
        staff: dict[str, list[Member]] = {}
        for member in members:
            if member.community:
                staff.setdefault(member.community, []).append(member)
        load = open_counts(session=ctx.session, member_ids=[m.id for m in members if m.id is not None])
        return cls(ctx.org, staff, load)

    def place(self, values: dict[str, Any]) -> tuple[str | None, str | None]:
        """Return the community key and compound of an address (a valid community column wins)."""
        address = values[FIELD_ADDRESS]
        matched = self.org.place(address)
        compound = values.get(FIELD_COMPOUND) or (matched[0] if matched else None)
        given = self.org.community(values[FIELD_COMMUNITY]) if values.get(FIELD_COMMUNITY) else None
        if given is not None:
            return given.key, compound
        return (matched[1] if matched else None), compound

    def member_for(self, community: str, compound: str | None) -> Member | None:
        """Pick the staff member for a target: the one given its compound, else the least loaded."""
        members = self.staff.get(community, [])
        if not members:
            return None
        chosen = None
        if compound:
            chosen = next((m for m in members if compound in SCREENING.of(self.org).compounds_of(m.name)), None)
        if chosen is None:
            chosen = min(members, key=lambda m: (self.load.get(m.id or 0, 0), m.id or 0))
        self.load[chosen.id or 0] = self.load.get(chosen.id or 0, 0) + 1
        return chosen


# -- the import -------------------------------------------------------------------------------------------


def import_list(
    ctx: Context, path: Path, *, batch: str, actor: str, dry_run: bool = False, only_valid: bool = False
) -> ImportReport:
    """Import a district list file into the ledger in the context's transaction (the command line)."""
    rows = read_table(path)
    return import_rows(ctx, rows, file_name=path.name, batch=batch, actor=actor, dry_run=dry_run, only_valid=only_valid)


def import_rows(
    ctx: Context,
    rows: list[tuple[int, list[Any]]],
    *,
    file_name: str,
    batch: str,
    actor: str,
    channel: str = CHANNEL_CLI,
    member_id: int | None = None,
    importer: Member | None = None,
    dry_run: bool = False,
    only_valid: bool = False,
) -> ImportReport:
    """Import a district list's rows into the ledger in the context's transaction.

    Nothing is written when the run is dry, or when a row was rejected and ``only_valid`` is not set. Messages
    about people already on the ledger name their record only when it is within the ``importer``'s reach (the
    command line, with no importer, sees all).
    """
    report = ImportReport(batch=batch[:MAX_BATCH])
    parse_rows(rows, org=ctx.org, today=ctx.today, report=report)
    existing = existing_by_id_number(
        session=ctx.session, id_numbers=[row.values[FIELD_ID] for row in report.good if FIELD_ID in row.values]
    )
    assigner = Assigner.load_from(ctx)
    new_rows: list[dict[str, Any]] = []
    updates: list[tuple[ScreeningTarget, dict[str, Any]]] = []
    for row in report.good:
        target = existing.get(row.values.get(FIELD_ID, ""))
        if target is not None:
            changes = {key: row.values[key] for key in MERGE_FIELDS if row.values.get(key) not in (None, "")}
            updates.append((target, changes))
            if importer is None or in_reach(ctx, importer, owner_id=target.member_id, community=target.community):
                report.merged.append(RowProblem(row.row, "screening.merged_existing", {"number": target.id}))
            else:
                report.merged.append(RowProblem(row.row, "screening.merged_existing_elsewhere"))
            continue
        community, compound = assigner.place(row.values)
        member = assigner.member_for(community, compound) if community else None
        given = row.values.get(FIELD_COMMUNITY)
        if community is None and given:
            report.unassigned.append(RowProblem(row.row, "screening.unassigned_unknown_community", {"value": given}))
        elif community is None:
            report.unassigned.append(RowProblem(row.row, "screening.unassigned_no_community"))
        elif member is None:
            report.unassigned.append(
                RowProblem(row.row, "screening.unassigned_no_staff", {"community": _community_text(ctx.org, community)})
            )
        else:
            assert member.id is not None
            report.assigned[member.id] = report.assigned.get(member.id, 0) + 1
        new_rows.append(
            {
                "id_number": row.values.get(FIELD_ID),
                "name": row.values[FIELD_NAME],
                "phone": row.values.get(FIELD_PHONE),
                "address": row.values[FIELD_ADDRESS],
                "community": community,
                "compound": compound[:MAX_COMPOUND] if compound else None,
                "reason": row.values.get(FIELD_REASON, ""),
                "arrival_date": row.values.get(FIELD_ARRIVAL),
                "batch": report.batch,
                "source_row": row.row,
                "member_id": member.id if member else None,
                "status": STATUS_OPEN,
                "due_on": ctx.today,
            }
        )
    if dry_run or (report.rejected and not only_valid):
        return report
    report.added = add_targets(session=ctx.session, now=ctx.now, rows=new_rows)
    for target, changes in updates:
        replaced = merge_into_target(
            session=ctx.session, target=target, now=ctx.now, batch=report.batch, actor=actor, fields=changes
        )
        if replaced:
            report.replaced.append((target, replaced))
    report.updated = len(updates)
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=actor,
        action=ACTION_IMPORT,
        channel=channel,
        member_id=member_id,
        detail=f"{file_name}; batch {report.batch}; {report.added} added, {report.updated} merged"[:MAX_DETAIL],
    )
    report.written = True
    logger.info(
        "screening list imported: %s added, %s merged, %s rejected", report.added, report.updated, len(report.rejected)
    )
    return report


def notify_replaced(ctx: Context, report: ImportReport) -> int:
    """Tell each assigned staff member privately which of their targets got a new phone or address; return how many."""
    by_member: dict[int, list[tuple[ScreeningTarget, tuple[str, ...]]]] = {}
    for target, fields in report.replaced:
        if target.member_id is not None:
            by_member.setdefault(target.member_id, []).append((target, fields))
    told = 0
    for member_id, changed in by_member.items():
        member = get_member(session=ctx.session, member_id=member_id)
        if member is None:
            continue
        lines = [
            Text(REPLACED_KEYS[frozenset(fields)], {"number": target.id, "batch": report.batch})
            for target, fields in changed
        ]
        told += len(send_privately(ctx, [member], lines))
    return told


def assign_unassigned(ctx: Context) -> tuple[dict[int, int], int]:
    """Give targets that have no staff member to one now; return new targets per member and how many are left."""
    assigner = Assigner.load_from(ctx)
    assigned: dict[int, int] = {}
    left = 0
    for target in unassigned_targets(session=ctx.session):
        values = {FIELD_ADDRESS: target.address, FIELD_COMPOUND: target.compound, FIELD_COMMUNITY: target.community}
        community, compound = assigner.place(values)
        member = assigner.member_for(community, compound) if community else None
        if member is None or member.id is None:
            left += 1
            continue
        update_target(session=ctx.session, target=target, now=ctx.now, community=community, member_id=member.id)
        assigned[member.id] = assigned.get(member.id, 0) + 1
    logger.info("screening targets assigned: %s, still unassigned: %s", sum(assigned.values()), left)
    return assigned, left


def _community_text(org: Org, key: str) -> Text:
    community = org.community(key)
    return Text.bilingual(community.name, community.name_en) if community else Text.raw(key)
