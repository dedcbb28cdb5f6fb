"""The org file's [screening] section: checked with line numbers like the rest of the file."""

from __future__ import annotations

from pathlib import Path

from lianfang.bot.org import default_org_path

from tests.org import check_test_org, load_test_org

SECTION = """
[screening]
group = "{group}"
headers = {{ "返长人员姓名" = "{field}" }}

[[screening.staff]]
member = "张伟"
compounds = ["朝阳新村", "{compound}"]

[[screening.staff]]
member = "{second}"
compounds = ["东风小区"]
"""


def org_with(tmp_path: Path, **values: str) -> Path:
    """Write the bundled org with its [screening] section replaced."""
    text = default_org_path().read_text(encoding="utf-8")
    start = text.index("[screening]")
    end = text.index("\n# ---", start)
    defaults = {"group": "screening", "field": "name", "compound": "朝阳小区", "second": "王芳"}
    path = tmp_path / "org.toml"
    path.write_text(text[:start] + SECTION.format(**{**defaults, **values}) + text[end:], encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """Return the line number of the first line containing needle."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_a_good_section_loads(tmp_path: Path) -> None:
    org = load_test_org(org_with(tmp_path))
    assert org.screening.group == "screening" and org.screening.headers == {"返长人员姓名": "name"}
    assert org.screening.compounds_of("张伟") == ["朝阳新村", "朝阳小区"] and org.screening.compounds_of("李四") == []


def test_the_bundled_org_maps_extra_headers() -> None:
    assert load_test_org().screening.headers["来长时间"] == "arrival_date"


def test_problems_are_reported_with_their_lines(tmp_path: Path) -> None:
    path = org_with(tmp_path, group="screenin", compound="朝阳新城", second="张伟")
    problems = {(p.line, p.field): p.message for p in check_test_org(path)}
    assert problems == {
        (line_of(path, 'group = "screenin"'), "screening.group"): "no group has key 'screenin' "
        "(groups: coordination, screening, supplies, publicity, stability, supervision)",
        (
            line_of(path, "朝阳新城"),
            "screening.staff[0].compounds[1]",
        ): "'朝阳新城' is not among any community's compounds",
        (line_of(path, 'member = "张伟"') + 4, "screening.staff[1].member"): "'张伟' is listed twice",
    }


def test_an_unknown_field_name_is_reported(tmp_path: Path) -> None:
    path = org_with(tmp_path, field="nam")
    (problem,) = check_test_org(path)
    assert problem.line == line_of(path, "返长人员姓名") and problem.field == "screening.headers.返长人员姓名"
    assert problem.message.startswith("must be one of 'name'")
