"""The org file's [report] section: its defaults, a typo in files_to named by line, the issue number it starts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.bot.org import default_org_path
from lianfang.handlers.report_files.content import issue_number
from lianfang.handlers.report_files.settings import REPORT, ReportSettings

from tests.fakes import Harness
from tests.org import check_test_org, load_test_org


def test_the_sample_names_its_signature_and_a_missing_section_has_defaults(tmp_path: Path) -> None:
    report = REPORT.of(load_test_org())
    assert (report.signer, report.files_to) == ("王宏武", ["coordination"])
    text = default_org_path().read_text(encoding="utf-8")
    start = text.index("[report]")
    without = tmp_path / "without.toml"
    without.write_text(text[:start] + text[text.index("\n\n", start) :], encoding="utf-8")
    assert REPORT.of(load_test_org(without)) == ReportSettings()


def test_an_unknown_audience_is_named_by_line(tmp_path: Path) -> None:
    text = default_org_path().read_text(encoding="utf-8")
    typo = tmp_path / "typo.toml"
    typo.write_text(text.replace('files_to = ["coordination"]', 'files_to = ["leaders"]'), encoding="utf-8")
    [problem] = check_test_org(typo)
    assert problem.field == "report.files_to[0]"
    assert problem.line == text[: text.index("files_to = ")].count("\n") + 1


async def test_issues_count_working_days_from_the_first(harness: Harness) -> None:
    org = harness.org.model_copy(update={"report": ReportSettings(first_issue=date(2020, 1, 25))})
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        assert issue_number(ctx, date(2020, 1, 28)) == 1  # nothing ran yet: today is the first
        ctx.org = org
        assert issue_number(ctx, date(2020, 1, 28)) == 4
        assert issue_number(ctx, date(2020, 1, 20)) == 1
