"""The incidents (事件) as .xlsx, in full, for the roles that may see personal data; every export audited."""

from __future__ import annotations

import io
import logging
from typing import Any

from lianfang.bot.context import MemberContext
from lianfang.bot.i18n import render
from lianfang.bot.types import Document, Text
from lianfang.handlers.shared.access import sees_full_data
from lianfang.handlers.shared.labels import community_name
from lianfang.handlers.shared.spreadsheet import safe_value
from lianfang.models.audit import ACTION_EXPORT, CHANNEL_PRIVATE, record_access
from lianfang.models.incidents import incidents

logger = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    "incident_export.col_number",
    "incident_export.col_day",
    "incident_export.col_kind",
    "incident_export.col_community",
    "incident_export.col_place",
    "incident_export.col_occurred",
    "incident_export.col_description",
    "incident_export.col_people",
    "incident_export.col_urgent",
    "incident_export.col_status",
)


def send_incidents(ctx: MemberContext, kind_text: dict[str, str], status_text: dict[str, str]) -> None:
    """Send every incident as a file to a member whose role sees full data; others are told it is not for them."""
    from openpyxl import Workbook

    if not sees_full_data(ctx, ctx.member):
        ctx.reply("incident_export.not_allowed")
        return
    lang = ctx.lang
    book = Workbook(write_only=True)
    sheet = book.create_sheet(render(Text("incident_export.sheet"), lang))
    sheet.append([render(Text(column), lang) for column in COLUMNS])
    rows = incidents(session=ctx.session)
    for incident in rows:
        values: list[Any] = [
            incident.id,
            incident.day.isoformat(),
            render(Text(kind_text[incident.kind]), lang),
            render(community_name(ctx.org, incident.community), lang),
            incident.place,
            incident.occurred,
            incident.description,
            incident.people,
            render(Text("incident_export.yes" if incident.urgent else "incident_export.no"), lang),
            render(Text(status_text[incident.status]), lang),
        ]
        sheet.append([safe_value(value) for value in values])
    buffer = io.BytesIO()
    book.save(buffer)
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=ctx.member.name,
        action=ACTION_EXPORT,
        channel=CHANNEL_PRIVATE,
        member_id=ctx.member_id,
        detail=f"incidents; {len(rows)} rows",
    )
    logger.info("incidents exported: %s rows", len(rows))
    data = buffer.getvalue()
    name = f"事件台账-{ctx.today:%Y%m%d}.xlsx"
    ctx.reply("incident_export.sent", rows=len(rows), document=Document(name, len(data), XLSX_MIME, data=data))
