"""The HTTP side of an instance: the Telegram webhook, the WeCom callback and a health check."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus

from lianfang.bot.db import session_scope
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom.adapter import BadSignature, CallbackError, WeComAdapter
from lianfang.bot.runtime import App
from lianfang.models.members import ChatBinding, unreachable_chats
from lianfang.models.outbox import backlog as outbox_backlog
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

logger = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000
"""Telegram updates are a few kilobytes; anything much larger is not from Telegram."""
STATUS_OK = "ok"
STATUS_DEGRADED = "degraded"
"""The database answers, but a platform has an outage and messages wait for it (``outages`` says which, why)."""
STATUS_ERROR = "error"

WECOM_PATH = "/wecom/callback"
WECOM_SIGNATURE = "msg_signature"
WECOM_TIMESTAMP = "timestamp"
WECOM_NONCE = "nonce"
WECOM_ECHOSTR = "echostr"
WECOM_MAX_BODY_BYTES = 64_000
"""An encrypted WeCom callback holds at most a 2,048-byte message; a few kilobytes in all."""
CLOSE_HEADERS = {"Connection": "close"}
"""Sent with a refused body, so the server drops the connection instead of reading the rest of the upload."""


def create_web_app(
    app: App,
    telegram: TelegramAdapter | None,
    *,
    wecom: WeComAdapter | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> Starlette:
    """Build the Starlette app: ``/telegram`` and ``/wecom/callback`` for the platforms served, and ``/healthz``.

    ``wall_clock`` (Unix seconds) judges WeCom's signed timestamps; it is the real time even when the app runs on a
    simulated clock, since WeCom signs with the real time.
    """
    secret = app.settings.telegram_webhook_secret
    expected = secret.get_secret_value().encode() if secret is not None else None
    body_seconds = app.settings.http_body_timeout_seconds
    window = app.settings.wecom_callback_window_seconds

    def fresh(timestamp: str, what: str) -> bool:
        """Tell whether a signed WeCom timestamp is within the window around now; log a refusal."""
        if timestamp.isdigit() and abs(wall_clock() - int(timestamp)) <= window:
            return True
        logger.warning("wecom %s: signed timestamp outside the %s s window; refused", what, window)
        return False

    async def health(_request: Request) -> JSONResponse:
        outbox = await asyncio.to_thread(_outbox_health, app)
        database = outbox is not None
        outages = [outage.describe() for outage in list(app.deliverer.outages.values())]
        body: dict[str, object] = {
            "status": STATUS_ERROR if not database else STATUS_DEGRADED if outages else STATUS_OK,
            "database": database,
            "scheduler_leader": app.leadership.is_leader,
            "outages": outages,
        }
        if outbox is not None:
            body.update(outbox)
        return JSONResponse(body, status_code=HTTPStatus.OK if database else HTTPStatus.SERVICE_UNAVAILABLE)

    async def telegram_webhook(request: Request) -> Response:
        assert telegram is not None
        given = request.headers.get(SECRET_HEADER, "").encode()
        if expected is None or not hmac.compare_digest(given, expected):
            logger.warning("telegram webhook: request without the right secret refused")
            return Response(status_code=HTTPStatus.FORBIDDEN)
        body = await _bounded_body(request, MAX_BODY_BYTES, body_seconds)
        if isinstance(body, Response):
            return body
        try:
            update = telegram.parse(json.loads(body))
        except (ValueError, RecursionError):  # bad JSON, undecodable bytes, absurd nesting, not an update
            logger.warning("telegram webhook: body is not an update")
            return Response(status_code=HTTPStatus.BAD_REQUEST)
        # Handled in the background (in order per chat) so Telegram gets its answer at once;
        # a redelivery after a crash is recognised by its update_id.
        await telegram.feed(update)
        return Response(status_code=HTTPStatus.OK)

    async def wecom_verify(request: Request) -> Response:
        # WeCom checks the callback URL once, when an admin saves it: answer with the decrypted echostr.
        assert wecom is not None
        params = request.query_params
        try:
            echo = wecom.verify_url(
                params.get(WECOM_SIGNATURE, ""),
                params.get(WECOM_TIMESTAMP, ""),
                params.get(WECOM_NONCE, ""),
                params.get(WECOM_ECHOSTR, ""),
            )
        except CallbackError as error:
            return _refused(error, "URL verification")
        if not fresh(params.get(WECOM_TIMESTAMP, ""), "URL verification"):
            return Response(status_code=HTTPStatus.FORBIDDEN)
        return PlainTextResponse(echo)

    async def wecom_callback(request: Request) -> Response:
        assert wecom is not None
        body = await _bounded_body(request, WECOM_MAX_BODY_BYTES, body_seconds)
        if isinstance(body, Response):
            return body
        params = request.query_params
        timestamp = params.get(WECOM_TIMESTAMP, "")
        try:
            fields = wecom.open_callback(body, params.get(WECOM_SIGNATURE, ""), timestamp, params.get(WECOM_NONCE, ""))
        except CallbackError as error:
            return _refused(error, "callback")
        # The timestamp is signed, so it is judged after the signature: a replay of a genuine callback outside the
        # window is refused, and the processed-event table need only remember the window's deliveries.
        if not fresh(timestamp, "callback"):
            return Response(status_code=HTTPStatus.FORBIDDEN)
        # WeCom retries a callback not answered within 5 s, so it is answered now and handled in the
        # background (in order per member); a retried delivery is recognised by its MsgId.
        await wecom.feed(fields)
        return PlainTextResponse("")

    routes = [Route(HEALTH_PATH, health, methods=["GET"])]
    if telegram is not None:
        routes.append(Route(TELEGRAM_PATH, telegram_webhook, methods=["POST"]))
    if wecom is not None:
        routes.append(Route(WECOM_PATH, wecom_verify, methods=["GET"]))
        routes.append(Route(WECOM_PATH, wecom_callback, methods=["POST"]))
    return Starlette(routes=routes)


def _refused(error: CallbackError, what: str) -> Response:
    """Answer a WeCom request that failed its checks: 403 for a bad signature, 400 for a signed but bad body."""
    if isinstance(error, BadSignature):
        logger.warning("wecom %s: bad signature; refused", what)
        return Response(status_code=HTTPStatus.FORBIDDEN)
    logger.warning("wecom %s: refused: %s", what, error)
    return Response(status_code=HTTPStatus.BAD_REQUEST)


async def _bounded_body(request: Request, limit: int, seconds: float) -> bytes | Response:
    """Read the request body as it arrives; answer 413 past ``limit`` bytes, 408 when it takes over ``seconds``.

    The stream is read chunk by chunk, so a chunked upload without a Content-Length costs at most ``limit`` bytes.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Response(status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, headers=CLOSE_HEADERS)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    logger.warning("%s: body over %s bytes refused", request.url.path, limit)
                    return Response(status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, headers=CLOSE_HEADERS)
                chunks.append(chunk)
    except TimeoutError:
        logger.warning("%s: body not received within %s s; refused", request.url.path, seconds)
        return Response(status_code=HTTPStatus.REQUEST_TIMEOUT, headers=CLOSE_HEADERS)
    except ClientDisconnect:
        return Response(status_code=HTTPStatus.BAD_REQUEST, headers=CLOSE_HEADERS)
    return b"".join(chunks)


def _outbox_health(app: App) -> dict[str, object] | None:
    """Return the outbox backlog and the age of its oldest waiting message; None if the database is unreachable."""
    try:
        with session_scope(app.engine) as session:
            count, oldest = outbox_backlog(session=session)
            lost = [_chat_health(binding) for binding in unreachable_chats(session=session)]
    except Exception:
        logger.warning("health check: database unreachable", exc_info=True)
        return None
    age = (app.clock() - oldest).total_seconds() if oldest is not None else 0.0
    return {"outbox_backlog": count, "outbox_oldest_seconds": round(max(age, 0.0), 1), "unreachable_chats": lost}


def _chat_health(binding: ChatBinding) -> dict[str, object]:
    """Describe a bound chat the platform refuses: its platform, purpose, since when and why."""
    since = binding.unreachable_since.isoformat() if binding.unreachable_since else None
    purpose = {"platform": binding.platform, "kind": binding.kind, "group": binding.group_key}
    return {**purpose, "since": since, "reason": binding.unreachable_reason}
