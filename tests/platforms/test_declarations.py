"""Every platform package declares itself completely, and the composition root lists every one of them."""

from __future__ import annotations

import importlib

import pytest
from lianfang.app.platforms import PLATFORMS, Settings, configured, platform_named
from lianfang.bot import config
from lianfang.bot.platform import Platform
from lianfang.bot.platforms.telegram import PLATFORM as TELEGRAM
from lianfang.bot.platforms.wecom import PLATFORM as WECOM
from lianfang.bot.types import PLATFORM_CONSOLE, PLATFORM_MEMORY, PLATFORM_TELEGRAM, PLATFORM_WECOM
from starlette.routing import Route

from tests.fake_wecom import AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, SECRET
from tests.fakes import Harness
from tests.paths import ROOT

PLATFORMS_FOLDER = ROOT / "bot" / "platforms"
PACKAGE = "lianfang.bot.platforms"
ROUTE_PATHS = {PLATFORM_TELEGRAM: {"/telegram"}, PLATFORM_WECOM: {"/wecom/callback"}}
"""The paths Telegram's webhook and WeCom's callback URL are configured with: they must never move."""
SETTINGS = {
    "telegram_token": "7000001:AAE-fake-token-for-tests",
    "telegram_webhook_url": "https://bot.example.org/telegram",
    "telegram_webhook_secret": "a-long-random-string",
    "wecom_corp_id": CORP_ID,
    "wecom_agent_id": AGENT_ID,
    "wecom_secret": SECRET,
    "wecom_token": CALLBACK_TOKEN,
    "wecom_aes_key": AES_KEY,
}


def platform_packages() -> set[str]:
    """Return the names of the packages under bot/platforms/, read from the folder."""
    return {path.parent.name for path in PLATFORMS_FOLDER.glob("*/__init__.py")}


def test_app_lists_every_platform_package_once() -> None:
    listed = [platform.name for platform in PLATFORMS]
    assert sorted(listed) == sorted(platform_packages())
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("name", sorted(platform_packages()))
def test_each_package_exports_a_complete_declaration(name: str) -> None:
    declared = importlib.import_module(f"{PACKAGE}.{name}").PLATFORM
    assert isinstance(declared, Platform)
    assert declared.name == name
    assert platform_named(name) is declared
    for hook in (declared.enabled, declared.build, declared.routes, declared.over_http, declared.check):
        assert callable(hook)
    assert callable(declared.run) and callable(declared.cli)
    if declared.settings is not None:
        assert issubclass(Settings, declared.settings), f"{name}'s settings are not part of app Settings"


def test_the_one_settings_object_is_the_kernels_and_every_platforms() -> None:
    parts = {platform.settings for platform in PLATFORMS if platform.settings is not None}
    assert set(Settings.__bases__) == {config.Settings, *parts}
    fields = Settings.model_fields
    assert {"database_url", "telegram_token", "wecom_corp_id", "wecom_callback_window_seconds"} <= set(fields)


def test_only_the_configured_platforms_are_served() -> None:
    nothing = Settings(_env_file=None)
    assert configured(nothing) == []
    both = Settings(_env_file=None, **SETTINGS)
    assert [platform.name for platform in configured(both)] == [PLATFORM_TELEGRAM, PLATFORM_WECOM]
    assert PLATFORM_CONSOLE not in {platform.name for platform in configured(both)}
    assert PLATFORM_MEMORY not in {platform.name for platform in configured(both)}


def test_polling_telegram_serves_no_webhook_route() -> None:
    polling = Settings(_env_file=None, telegram_token=SETTINGS["telegram_token"])
    assert not TELEGRAM.over_http(polling)
    assert TELEGRAM.over_http(Settings(_env_file=None, **SETTINGS))
    assert WECOM.over_http(Settings(_env_file=None, **SETTINGS))


@pytest.mark.parametrize("declared", [TELEGRAM, WECOM], ids=lambda declared: declared.name)
def test_routes_keep_their_paths(database_url: str, declared: Platform) -> None:
    harness = Harness.create(database_url, **SETTINGS)
    try:
        adapter = declared.build(harness.app)
        assert adapter is not None
        routes = declared.routes(adapter, harness.app, lambda: 0.0)
        assert {route.path for route in routes if isinstance(route, Route)} == ROUTE_PATHS[declared.name]
    finally:
        harness.app.engine.dispose()
