"""The screening ledger (台账): district lists imported, verified household by household, exported."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.screening import files, verification
from lianfang.handlers.screening.cli import add_subcommands
from lianfang.handlers.screening.export import export_ledger
from lianfang.handlers.screening.importing import (
    ImportFileError,
    ImportReport,
    RowProblem,
    assign_unassigned,
    import_list,
    import_rows,
    notify_replaced,
    read_table_data,
)
from lianfang.handlers.screening.verification import notify_assignees
from lianfang.handlers.shared.access import in_screening_group
from lianfang.handlers.shared.screening_settings import SCREENING

FEATURE = Feature(
    name="screening",
    settings=SCREENING,
    cli=add_subcommands,
    commands=(*verification.COMMANDS, *files.COMMANDS),
    forms=verification.FORMS,
    exports=files.EXPORTS,
    menu=(
        MenuEntry("tasks", label=Text("menu.tasks"), private_at=50),
        MenuEntry("export", label=Text("menu.export"), private_at=120),
        MenuEntry(help=Text("screening.help"), help_at=20, shown_to=in_screening_group),
    ),
)

__all__ = [
    "FEATURE",
    "ImportFileError",
    "ImportReport",
    "RowProblem",
    "assign_unassigned",
    "export_ledger",
    "import_list",
    "import_rows",
    "notify_assignees",
    "notify_replaced",
    "read_table_data",
]
