"""The daily report as files: a .docx for the district, an .xlsx of the figures, and a chart, sent after the report."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.report_files.cli import add_subcommands
from lianfang.handlers.report_files.content import ReportContent, build_content
from lianfang.handlers.report_files.delivery import COMMANDS, FILE_KINDS, FILES_JOB, post_files
from lianfang.handlers.report_files.font import font_data
from lianfang.handlers.report_files.settings import REPORT
from lianfang.handlers.shared.access import is_overseer

FEATURE = Feature(
    name="report_files",
    commands=COMMANDS,
    jobs=(FILES_JOB,),
    menu=(MenuEntry(help=Text("report_files.help"), help_at=91, shown_to=is_overseer),),
    settings=REPORT,
    cli=add_subcommands,
)

__all__ = ["FEATURE", "FILE_KINDS", "REPORT", "ReportContent", "build_content", "font_data", "post_files"]
