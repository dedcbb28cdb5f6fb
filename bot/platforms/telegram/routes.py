"""The Telegram webhook endpoint, ``/telegram``: updates posted by Telegram with the webhook's secret."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING

from lianfang.bot.platform import WallClock, settings_of
from lianfang.bot.platforms.request_body import bounded_body
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.telegram.settings import TelegramSettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from lianfang.bot.runtime import App

logger = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000
"""Telegram updates are a few kilobytes; anything much larger is not from Telegram."""


def by_webhook(settings: object) -> bool:
    """Tell whether updates arrive by webhook (a webhook URL is set) rather than by polling."""
    return isinstance(settings, TelegramSettings) and bool(settings.telegram_webhook_url)


def telegram_routes(telegram: TelegramAdapter, app: App, _wall_clock: WallClock) -> Sequence[BaseRoute]:
    """Return the webhook route of the bot; without a configured secret it refuses every call."""
    secret = settings_of(app, TelegramSettings).telegram_webhook_secret
    expected = secret.get_secret_value().encode() if secret is not None else None
    body_seconds = app.settings.http_body_timeout_seconds

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if expected is None or not hmac.compare_digest(given, expected):
            logger.warning("telegram webhook: request without the right secret refused")
            return Response(status_code=HTTPStatus.FORBIDDEN)
        body = await bounded_body(request, MAX_BODY_BYTES, body_seconds)
        if isinstance(body, Response):
            return body
        try:
            update = telegram.parse(json.loads(body))
        except (ValueError, RecursionError):  # bad JSON, undecodable bytes, absurd nesting, not an update
            logger.warning("telegram webhook: body is not an update")
            return Response(status_code=HTTPStatus.BAD_REQUEST)
        # Kept in the inbox, then handled in the background (in order per chat), so Telegram gets its answer at
        # once and a crash loses nothing; an update handled twice after a crash is recognised by its update_id.
        try:
            await telegram.keep(update)
        except Exception:
            logger.exception("telegram webhook: update %s not kept; Telegram will send it again", update.update_id)
            return Response(status_code=HTTPStatus.SERVICE_UNAVAILABLE)
        return Response(status_code=HTTPStatus.OK)

    return [Route(TELEGRAM_PATH, telegram_webhook, methods=["POST"])]
