"""The org file's [report] section: who signs the upward report, where its files go, where its issues count from."""

from __future__ import annotations

from typing import Literal

from lianfang.bot.org import CalendarDate, OrgModel, OrgSection
from pydantic import Field

SECTION_NAME = "report"
Audience = Literal["coordination", "leadership"]
AUDIENCE_COORDINATION: Audience = "coordination"
AUDIENCE_LEADERSHIP: Audience = "leadership"


class ReportSettings(OrgModel):
    """Describe the upward daily report: its signature line, the chats its files go to, and its first issue."""

    unit: str = ""
    """报送单位; the org's name when empty."""
    signer: str = ""
    """签发人."""
    contact: str = ""
    """联系人 (and a work phone, if the district wants one)."""
    files_to: list[Audience] = Field(default_factory=lambda: [AUDIENCE_COORDINATION])
    """The chats the day's .docx, .xlsx and chart go to after the text report: 综合组, and the leadership chat."""
    first_issue: CalendarDate | None = None
    """The day of 第1期; when not given, the first day the bot ran its daily loop."""


REPORT = OrgSection(SECTION_NAME, ReportSettings)
