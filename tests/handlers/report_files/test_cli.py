"""``lianfang report`` as an operator runs it: each format written, bad input refused with exit 2."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from lianfang.app.cli import EXIT_INVALID, EXIT_OK, main
from openpyxl import load_workbook
from PIL import Image


@pytest.fixture
def cli(cli_on_database: Callable[[str], Path]) -> Path:
    """Point the command line at the test database, on a drill clock at 16:00 on 28 January 2020."""
    return cli_on_database("2020-01-28T16:00:00")


def test_each_format_is_written(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--date", "2020-01-27", "--format", "docx", "--out", "day.docx"]) == EXIT_OK
    assert Document(str(cli / "day.docx")).paragraphs[1].text.endswith("2020-01-27")
    assert "已写入 day.docx" in capsys.readouterr().out
    assert main(["report", "--format", "xlsx"]) == EXIT_OK
    assert "近30日" in load_workbook(cli / "report-20200128.xlsx").sheetnames
    assert main(["report", "--format", "png", "--out", str(cli / "chart.png")]) == EXIT_OK
    assert Image.open(io.BytesIO((cli / "chart.png").read_bytes())).width == 1080
    capsys.readouterr()
    assert main(["report", "--date", "2020-01-28"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("【五里牌街道疫情防控每日工作信息】2020-01-28") and "一、疫情变化" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2020-02-30"], "is not a date"),
        (["--date", "28/01/2020"], "is not a date"),
        (["--date", "2020-01-29"], "is in the future"),
        (["--format", "pdf"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    cli: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = main(["report", *args])
    except SystemExit as exit_:  # argparse refuses a bad choice itself
        code = exit_.code
    assert code == EXIT_INVALID
    assert message in capsys.readouterr().err
    assert list(cli.glob("report-*")) == []
