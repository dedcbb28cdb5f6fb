"""The org file's [dashboard] section: how long a login link and a browser session last."""

from lianfang.bot.org import OrgModel, OrgSection
from pydantic import Field

SECTION_NAME = "dashboard"
DEFAULT_SESSION_HOURS = 12
DEFAULT_LINK_MINUTES = 15
MAX_SESSION_HOURS = 24 * 7
MAX_LINK_MINUTES = 60


class DashboardRules(OrgModel):
    """Describe the dashboard's logins."""

    session_hours: int = Field(default=DEFAULT_SESSION_HOURS, ge=1, le=MAX_SESSION_HOURS, strict=True)
    """How long a browser stays logged in after a login link was used."""
    link_minutes: int = Field(default=DEFAULT_LINK_MINUTES, ge=1, le=MAX_LINK_MINUTES, strict=True)
    """How long a login link sent in chat works (once)."""


DASHBOARD = OrgSection(SECTION_NAME, DashboardRules)
