"""Serving Telegram: the adapter built from the settings, the command menus, and polling or the webhook."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lianfang.bot.inbox import DatabaseInboxStore
from lianfang.bot.platform import Menus, settings_of
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.telegram.settings import TelegramSettings
from lianfang.bot.send_pace import DatabaseSlots
from lianfang.bot.types import PLATFORM_TELEGRAM

if TYPE_CHECKING:
    from lianfang.bot.runtime import App

POLL_TASK = "telegram-poll"
TOKEN_ID_SEPARATOR = ":"


def bot_id(token: str) -> str:
    """Return the bot's numeric id, the part of its token before the colon (not a secret: the bot's user id)."""
    return token.partition(TOKEN_ID_SEPARATOR)[0]


def build_telegram(app: App) -> TelegramAdapter | None:
    """Build the Telegram adapter when a bot token is configured, else None."""
    settings = settings_of(app, TelegramSettings)
    if settings.telegram_token is None:
        return None
    token = settings.telegram_token.get_secret_value()
    inbox = DatabaseInboxStore.of(app, PLATFORM_TELEGRAM)
    # the pace is counted in the database, so every instance of this bot keeps to Telegram's limit together
    slots = DatabaseSlots(app.engine, PLATFORM_TELEGRAM, bot_id(token))
    return TelegramAdapter(token, base_url=settings.telegram_api_base_url, inbox=inbox, slots=slots)


async def run_telegram(telegram: TelegramAdapter, app: App, menus: Menus) -> list[asyncio.Task[None]]:
    """Set the command menus, then the webhook (when its URL is set) or start polling; return the polling task."""
    settings = settings_of(app, TelegramSettings)
    await telegram.set_commands(menus.private, menus.group, menus.labels, default_lang=app.settings.default_language)
    if not settings.telegram_webhook_url:
        return [asyncio.create_task(telegram.poll(), name=POLL_TASK)]
    secret = settings.telegram_webhook_secret
    if secret is None:  # the settings refuse a webhook without a secret; this keeps the types honest
        raise ValueError("LIANFANG_TELEGRAM_WEBHOOK_SECRET must be set with LIANFANG_TELEGRAM_WEBHOOK_URL")
    await telegram.set_webhook(settings.telegram_webhook_url, secret.get_secret_value())
    return []
