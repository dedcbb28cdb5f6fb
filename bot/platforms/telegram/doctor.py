"""``lianfang doctor`` for Telegram: the token (``getMe``) and the webhook Telegram holds against the settings."""

from __future__ import annotations

from typing import Any

import httpx
from lianfang.bot.checkup import Finding, fail, ok, skip
from lianfang.bot.platforms.telegram.adapter import BOT_PATH
from lianfang.bot.platforms.telegram.settings import TelegramSettings

TIMEOUT_SECONDS = 10.0
GET_ME = "telegram getMe"
WEBHOOK = "telegram webhook"
FIX_TOKEN = "set LIANFANG_TELEGRAM_TOKEN to the token @BotFather gave (/mybots → the bot → API Token)"
FIX_UNREACHABLE = "check this server's network (api.telegram.org) and LIANFANG_TELEGRAM_API_BASE_URL"


class _Refused(Exception):
    """The Bot API answered ``ok: false`` (or no JSON); the message never holds the URL, which holds the token."""


async def examine_telegram(settings: TelegramSettings) -> list[Finding]:
    """Call getMe and getWebhookInfo, and compare the webhook Telegram has with LIANFANG_TELEGRAM_WEBHOOK_URL."""
    assert settings.telegram_token is not None
    base = f"{settings.telegram_api_base_url.rstrip('/')}{BOT_PATH}{settings.telegram_token.get_secret_value()}"
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_SECONDS) as client:
        try:
            me = await _call(client, "getMe")
        except _Refused as error:
            return [fail(GET_ME, f"token refused ({error})", FIX_TOKEN), skip(WEBHOOK, "no valid token")]
        except httpx.HTTPError as error:
            return [fail(GET_ME, f"Bot API not reachable ({type(error).__name__})", FIX_UNREACHABLE)]
        found = [ok(GET_ME, f"@{me.get('username', '')}")]
        try:
            info = await _call(client, "getWebhookInfo")
        except (_Refused, httpx.HTTPError) as error:
            return [*found, fail(WEBHOOK, f"getWebhookInfo failed ({type(error).__name__})", FIX_UNREACHABLE)]
    return [*found, _webhook(settings, str(info.get("url") or ""), info)]


async def _call(client: httpx.AsyncClient, method: str) -> dict[str, Any]:
    response = await client.get(f"/{method}")
    try:
        answer = response.json()
    except ValueError:
        raise _Refused(f"HTTP {response.status_code}") from None
    if not isinstance(answer, dict) or not answer.get("ok"):
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        raise _Refused(f"HTTP {response.status_code} {description}".strip())
    result = answer.get("result")
    return result if isinstance(result, dict) else {}


def _webhook(settings: TelegramSettings, registered: str, info: dict[str, Any]) -> Finding:
    """Judge the webhook Telegram holds: the configured one, or none when polling."""
    wanted = settings.telegram_webhook_url or ""
    error = str(info.get("last_error_message") or "")
    if not wanted:
        if registered:
            return fail(
                WEBHOOK,
                f"Telegram sends updates to {registered}, but LIANFANG_TELEGRAM_WEBHOOK_URL is unset (polling)",
                "set LIANFANG_TELEGRAM_WEBHOOK_URL to it, or start lianfang run once to switch Telegram to polling",
            )
        return ok(WEBHOOK, "none (updates by polling)")
    if registered != wanted:
        shown = registered or "none"
        return fail(
            WEBHOOK,
            f"Telegram has {shown}, the settings say {wanted}",
            "start lianfang run (it sets the webhook), or fix LIANFANG_TELEGRAM_WEBHOOK_URL",
        )
    if error:
        return fail(WEBHOOK, f"{wanted}: Telegram's last delivery failed: {error}", "make the URL reach lianfang run")
    return ok(WEBHOOK, f"{wanted}, {info.get('pending_update_count', 0)} update(s) waiting")
