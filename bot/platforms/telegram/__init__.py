"""Telegram: the Bot API adapter, its settings, the webhook route and polling."""

from datetime import timedelta

from lianfang.bot.platform import Platform
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.telegram.doctor import examine_telegram
from lianfang.bot.platforms.telegram.routes import SECRET_HEADER, TELEGRAM_PATH, by_webhook, telegram_routes
from lianfang.bot.platforms.telegram.run import build_telegram, run_telegram
from lianfang.bot.platforms.telegram.settings import TelegramSettings
from lianfang.bot.types import PLATFORM_TELEGRAM

TELEGRAM_REDELIVERY = timedelta(hours=24)
"""Telegram keeps an update it could not deliver for 24 hours; its update_id carries no timestamp to refuse it by."""

PLATFORM: Platform[TelegramAdapter] = Platform(
    name=PLATFORM_TELEGRAM,
    settings=TelegramSettings,
    enabled=lambda settings: bool(isinstance(settings, TelegramSettings) and settings.telegram_enabled),
    build=build_telegram,
    routes=telegram_routes,
    over_http=by_webhook,
    redelivery=lambda _settings: TELEGRAM_REDELIVERY,
    run=run_telegram,
    doctor=examine_telegram,
)

__all__ = ["PLATFORM", "SECRET_HEADER", "TELEGRAM_PATH", "TelegramAdapter", "TelegramSettings"]
