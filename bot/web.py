"""The HTTP side of an instance: the Telegram webhook and a health check (the WeCom callback joins later)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.adapters.telegram import TelegramAdapter
from bot.app import App

logger = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000
"""Telegram updates are a few kilobytes; anything much larger is not from Telegram."""
STATUS_OK = "ok"
STATUS_ERROR = "error"


def create_web_app(app: App, telegram: TelegramAdapter | None) -> Starlette:
    """Build the Starlette app: ``POST /telegram`` when Telegram is served, and ``GET /healthz``."""
    secret = app.settings.telegram_webhook_secret
    expected = secret.get_secret_value().encode() if secret is not None else None

    async def health(_request: Request) -> JSONResponse:
        database = await asyncio.to_thread(_database_reachable, app)
        body = {"status": STATUS_OK if database else STATUS_ERROR, "database": database}
        return JSONResponse(body, status_code=HTTPStatus.OK if database else HTTPStatus.SERVICE_UNAVAILABLE)

    async def telegram_webhook(request: Request) -> Response:
        assert telegram is not None
        given = request.headers.get(SECRET_HEADER, "").encode()
        if expected is None or not hmac.compare_digest(given, expected):
            logger.warning("telegram webhook: request without the right secret refused")
            return Response(status_code=HTTPStatus.FORBIDDEN)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return Response(status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            update = telegram.parse(json.loads(body))
        except (ValueError, RecursionError):  # bad JSON, undecodable bytes, absurd nesting, not an update
            logger.warning("telegram webhook: body is not an update")
            return Response(status_code=HTTPStatus.BAD_REQUEST)
        # Handled in the background (in order per chat) so Telegram gets its answer at once;
        # a redelivery after a crash is recognised by its update_id.
        await telegram.feed(update)
        return Response(status_code=HTTPStatus.OK)

    routes = [Route(HEALTH_PATH, health, methods=["GET"])]
    if telegram is not None:
        routes.append(Route(TELEGRAM_PATH, telegram_webhook, methods=["POST"]))
    return Starlette(routes=routes)


def _database_reachable(app: App) -> bool:
    try:
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        logger.warning("health check: database unreachable", exc_info=True)
        return False
    return True
