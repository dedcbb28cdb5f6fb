"""The Telegram settings, ``LIANFANG_TELEGRAM_*``: the bot token, the webhook and the Bot API address."""

from __future__ import annotations

import re

from lianfang.bot.config import ENV_FILE, ENV_PREFIX, reject_placeholder
from lianfang.bot.platforms.telegram.adapter import DEFAULT_API_BASE_URL
from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramSettings(BaseSettings):
    """Configure the Telegram bot; setting the token turns Telegram on, the webhook URL switches off polling."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram refuses setWebhook unless the secret is 1-256 of A-Z a-z 0-9 _ -
        if value is not None and not WEBHOOK_SECRET.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _no_placeholder_telegram_secrets(self) -> TelegramSettings:
        if self.telegram_token is not None:
            reject_placeholder("telegram_token", self.telegram_token)
            if self.telegram_webhook_url:
                reject_placeholder("telegram_webhook_secret", self.telegram_webhook_secret)
        return self

    @property
    def telegram_enabled(self) -> bool:
        """Tell whether a Telegram token is configured."""
        return self.telegram_token is not None
