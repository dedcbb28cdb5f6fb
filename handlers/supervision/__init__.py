"""督办 (supervised tasks) and 督查 (inspections): instructions and problems found tracked to done, chased by colour."""

from datetime import datetime

from lianfang.bot.context import Context
from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.supervision.cli import add_subcommands
from lianfang.handlers.supervision.due import read_due
from lianfang.handlers.supervision.escalation import SUPERVISION_JOB, digest_lines
from lianfang.handlers.supervision.export import EXPORT
from lianfang.handlers.supervision.figures import REPORT, count_closed, count_open, count_overdue, section_lines
from lianfang.handlers.supervision.inspections import INSPECT_COMMAND, INSPECT_FORM, may_inspect
from lianfang.handlers.supervision.items import ITEM_FORM, deliver
from lianfang.handlers.supervision.listing import SUPERVISE_COMMAND
from lianfang.handlers.supervision.scope import uses_supervision
from lianfang.handlers.supervision.settings import SUPERVISION, oversight_group
from lianfang.handlers.supervision.steps import STEP_FORM
from lianfang.models.supervision import SOURCE_MEETING, create_item

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


def due_from_text(ctx: Context, text: str) -> datetime:
    """Read a typed due date as items take it (1月30日, 明天 18:00; the day alone means ``due_time``).

    Raises the form's FieldError for an unreadable, past or far date.
    """
    return read_due(text, ctx.now, ctx.tz, SUPERVISION.of(ctx.org).due_time)


def supervise_decision(
    ctx: Context, *, creator_id: int, content: str, lead_group: str, due_at: datetime, reference: str
) -> tuple[int, int]:
    """Open a 督办 item from a meeting's decision and deliver it to the lead group; return (its number, reached)."""
    item = create_item(
        session=ctx.session,
        now=ctx.now,
        creator_id=creator_id,
        source=SOURCE_MEETING,
        content=content,
        lead_group=lead_group,
        due_at=due_at,
        reference=reference,
    )
    assert item.id is not None
    return item.id, len(deliver(ctx, item))


__all__ = [
    "FEATURE",
    "count_closed",
    "count_open",
    "count_overdue",
    "digest_lines",
    "due_from_text",
    "oversight_group",
    "section_lines",
    "supervise_decision",
]
