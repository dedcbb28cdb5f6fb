"""WeChat Work (企业微信): the self-built app's API, callbacks, rendering, pacing, adapter, routes and setup."""

from lianfang.bot.platform import Platform
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import ApiError, ApiUnreachable
from lianfang.bot.platforms.wecom.callback import BadCallback, BadSignature, CallbackError
from lianfang.bot.platforms.wecom.doctor import examine_wecom
from lianfang.bot.platforms.wecom.routes import WECOM_PATH, wecom_routes
from lianfang.bot.platforms.wecom.settings import WeComSettings, callback_redelivery
from lianfang.bot.platforms.wecom.setup import (
    add_wecom_commands,
    bind_tested_wecom_chat,
    bind_wecom_chat,
    build_wecom,
    check_wecom,
    create_wecom_chat,
    wecom_adapter,
)
from lianfang.bot.types import PLATFORM_WECOM

PLATFORM: Platform[WeComAdapter] = Platform(
    name=PLATFORM_WECOM,
    settings=WeComSettings,
    enabled=lambda settings: bool(isinstance(settings, WeComSettings) and settings.wecom_enabled),
    build=build_wecom,
    routes=wecom_routes,
    redelivery=callback_redelivery,
    check=check_wecom,
    doctor=examine_wecom,
    cli=add_wecom_commands,
)

__all__ = [
    "PLATFORM",
    "WECOM_PATH",
    "ApiError",
    "ApiUnreachable",
    "BadCallback",
    "BadSignature",
    "CallbackError",
    "WeComAdapter",
    "WeComSettings",
    "bind_tested_wecom_chat",
    "bind_wecom_chat",
    "create_wecom_chat",
    "wecom_adapter",
]
