"""The WeCom settings, ``LIANFANG_WECOM_*``: the app's credentials, its API address, callbacks and cards."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from lianfang.bot.config import ENV_FILE, ENV_PREFIX, reject_placeholder
from lianfang.bot.platforms.wecom.api import DEFAULT_API_BASE_URL
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FIELDS = ("wecom_secret", "wecom_token", "wecom_aes_key")


class WeComSettings(BaseSettings):
    """Configure the WeCom self-built app; setting the corp id turns WeCom on."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore")

    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base_url: str = DEFAULT_API_BASE_URL
    wecom_callback_window_seconds: int = Field(default=3600, ge=60, le=86400)
    """A WeCom callback whose signed timestamp is further than this from the server's clock is refused."""
    wecom_duplicate_check_seconds: int = Field(default=0, ge=0, le=4 * 3600)
    """When set, WeCom drops an app message identical to one sent to the same member this recently: a message sent
    again after a crash mid-send is shown once (set it above the outbox lease), but so is a second identical answer,
    to ``帮助`` typed twice, say. 0 (the default): off."""

    wecom_cards: Literal["auto", "always", "never"] = "auto"
    """Template cards for reminders: ``auto`` adds the text for members who tapped no card in 7 days (WeChat users
    of 微工作台 see no cards); ``always`` sends cards alone; ``never`` sends text only."""

    @model_validator(mode="after")
    def _no_placeholder_wecom_secrets(self) -> WeComSettings:
        if self.wecom_corp_id:
            if self.wecom_agent_id is None:
                raise ValueError("LIANFANG_WECOM_AGENT_ID must be set when LIANFANG_WECOM_CORP_ID is")
            for name in SECRET_FIELDS:
                reject_placeholder(name, getattr(self, name))
        return self

    @property
    def wecom_enabled(self) -> bool:
        """Tell whether WeCom is configured."""
        return bool(self.wecom_corp_id)


def callback_redelivery(settings: WeComSettings) -> timedelta:
    """Return how long a callback's id must be remembered: one first seen a whole window ahead of the server's clock
    can be replayed for up to two windows after it was recorded, while its signed timestamp is still accepted."""
    return 2 * timedelta(seconds=settings.wecom_callback_window_seconds)
