"""Read an org file: TOML parsing, validation against the composed model, and problems with file:line."""

import difflib
import re
import tomllib
from collections.abc import Collection, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any, get_args, get_origin

from lianfang.bot.org.lines import LineIndex
from lianfang.bot.org.problems import CROSS_FIELD_ERROR, Loc, Located, OrgError, Problem, format_field
from lianfang.bot.org.schema import Org
from lianfang.bot.org.section import OrgSection, org_model
from pydantic import BaseModel, ValidationError

EXAMPLES_PACKAGE = "lianfang.examples"
DEFAULT_ORG_FILE = "wulipai.toml"
FILE_ENCODING = "utf-8-sig"  # tolerate the BOM that Windows Notepad writes
TOML_POSITION_PATTERN = re.compile(r"\s*\(at line (\d+), column \d+\)$")
TOML_END_PATTERN = re.compile(r"\s*\(at end of document\)$")

PLAIN_MESSAGES = {
    "missing": "Field required",
    "extra_forbidden": "unknown field (typo?)",
    "string_type": "must be text in quotes",
    "string_too_short": "must not be empty",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": 'must be a list, e.g. ["a", "b"]',
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dict_type": "must be a table",
}


def default_org_path() -> Path:
    """Return the path of the bundled sample org file (五里牌街道)."""
    return Path(str(files(EXAMPLES_PACKAGE) / DEFAULT_ORG_FILE))


def check_org(
    path: str | Path, sections: Sequence[OrgSection[Any]], figures: Collection[str] | None = None
) -> list[Problem]:
    """Return every problem found in an org file made of the core and these sections; none means it is fine."""
    return _read(Path(path), org_model(sections, figures))[1]


def locate_problems(path: str | Path, located: Located) -> list[Problem]:
    """Turn problems found outside the file (names checked against the database) into problems with file:line."""
    file = str(path)
    try:
        index = LineIndex(Path(path).read_text(encoding=FILE_ENCODING))
    except (OSError, UnicodeDecodeError):
        return [Problem(file, None, format_field(loc), message) for loc, message in located]
    problems = [Problem(file, index.line_for(loc), format_field(loc), message) for loc, message in located]
    return sorted(problems, key=lambda problem: (problem.line is None, problem.line or 0))


def load_org(path: str | Path, sections: Sequence[OrgSection[Any]], figures: Collection[str] | None = None) -> Org:
    """Load an org file made of the core and these sections, raising OrgError with every problem found.

    With ``figures`` (the report figures the features compute), a report field's ``source`` must name one of them.
    """
    org, problems = _read(Path(path), org_model(sections, figures))
    if org is None:
        raise OrgError(problems)
    return org


def _read(path: Path, model: type[Org]) -> tuple[Org | None, list[Problem]]:
    """Read, parse and validate an org file without raising for bad content."""
    file = str(path)
    try:
        text = path.read_text(encoding=FILE_ENCODING)
    except UnicodeDecodeError:
        return None, [Problem(file, None, "", "not UTF-8 text; save the file as UTF-8")]
    except OSError as exc:
        return None, [Problem(file, None, "", f"cannot read file: {exc.strerror or exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(file, text, exc)]
    try:
        org = model.model_validate(data)
    except ValidationError as exc:
        return None, _validation_problems(file, text, exc, model)
    return org, []


def _syntax_problem(file: str, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    """Turn a TOML syntax error into a problem, taking its line from tomllib's message."""
    message = str(error)
    line: int | None = None
    if match := TOML_POSITION_PATTERN.search(message):
        line = int(match[1])
        message = message[: match.start()]
    elif match := TOML_END_PATTERN.search(message):
        line = max(1, len(text.splitlines()))
        message = message[: match.start()]
    return Problem(file, line, "", f"TOML syntax error: {message}")


def _validation_problems(file: str, text: str, error: ValidationError, model: type[Org]) -> list[Problem]:
    """Turn pydantic errors into problems with plain messages and line numbers, in file order."""
    index = LineIndex(text)
    located: Located = []
    for detail in error.errors(include_url=False):
        loc: Loc = tuple(detail["loc"])
        if detail["type"] == CROSS_FIELD_ERROR:
            located += [(loc + inner, message) for inner, message in detail["ctx"]["problems"]]
        else:
            located.append((loc, _plain_message(loc, detail, model)))
    problems = [Problem(file, index.line_for(loc), format_field(loc), message) for loc, message in located]
    return sorted(problems, key=lambda problem: (problem.line is None, problem.line or 0))


def _plain_message(loc: Loc, detail: Any, model: type[Org]) -> str:
    """Say what is wrong in words an administrator editing the file understands."""
    kind: str = detail["type"]
    ctx: dict[str, Any] = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        suggestion = difflib.get_close_matches(str(loc[-1]), _known_fields(model, loc[:-1]), n=1)
        hint = f"; did you mean {suggestion[0]!r}?" if suggestion else ""
        return PLAIN_MESSAGES[kind] + hint
    if kind in PLAIN_MESSAGES:
        return PLAIN_MESSAGES[kind]
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must have at least {minimum} items"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}"
    message: str = detail["msg"]
    return message.removeprefix("Value error, ")


def _known_fields(root: type[Org], loc: Loc) -> list[str]:
    """Return the field names of the model found at `loc` inside the org model, for typo suggestions."""
    model: type[BaseModel] = root
    for part in loc:
        if isinstance(part, int):
            continue  # a list element: the element model was unwrapped with the list field
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
