"""看板: the leadership dashboard, a web page reached through a one-time login link sent in a private chat."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.dashboard.login import DASHBOARD_COMMAND, new_login_link, signer_of
from lianfang.handlers.dashboard.pages import dashboard_routes
from lianfang.handlers.dashboard.settings import DASHBOARD
from lianfang.handlers.dashboard.view import Dashboard, build_dashboard

FEATURE = Feature(
    name="dashboard",
    settings=DASHBOARD,
    commands=(DASHBOARD_COMMAND,),
    routes=dashboard_routes,
    menu=(
        MenuEntry("dashboard", label=Text("menu.dashboard"), private_at=105, help=Text("dashboard.help"), help_at=95),
    ),
)

__all__ = ["FEATURE", "Dashboard", "build_dashboard", "new_login_link", "signer_of"]
