"""督办 (supervised tasks) and 督查 (inspections): instructions and problems found tracked to done, chased by colour."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.supervision.cli import add_subcommands
from lianfang.handlers.supervision.escalation import SUPERVISION_JOB, digest_lines
from lianfang.handlers.supervision.export import EXPORT
from lianfang.handlers.supervision.figures import REPORT, count_closed, count_open, count_overdue, section_lines
from lianfang.handlers.supervision.inspections import INSPECT_COMMAND, INSPECT_FORM, may_inspect
from lianfang.handlers.supervision.items import ITEM_FORM
from lianfang.handlers.supervision.listing import SUPERVISE_COMMAND
from lianfang.handlers.supervision.scope import uses_supervision
from lianfang.handlers.supervision.settings import SUPERVISION
from lianfang.handlers.supervision.steps import STEP_FORM

FEATURE = Feature(
    name="supervision",
    settings=SUPERVISION,
    cli=add_subcommands,
    commands=(SUPERVISE_COMMAND, INSPECT_COMMAND),
    forms=(ITEM_FORM, STEP_FORM, INSPECT_FORM),
    jobs=(SUPERVISION_JOB,),
    report=REPORT,
    exports=(EXPORT,),
    menu=(
        MenuEntry(
            "supervise",
            label=Text("menu.supervise"),
            private_at=85,
            help=Text("supervision.help"),
            help_at=65,
            shown_to=uses_supervision,
        ),
        MenuEntry(help=Text("supervision.help_inspect"), help_at=66, shown_to=may_inspect),
    ),
)

__all__ = ["FEATURE", "count_closed", "count_open", "count_overdue", "digest_lines", "section_lines"]
