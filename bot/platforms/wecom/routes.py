"""The WeCom callback endpoint, ``/wecom/callback``: URL verification (GET) and message callbacks (POST)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING

from lianfang.bot.platform import WallClock, settings_of
from lianfang.bot.platforms.request_body import bounded_body
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.callback import BadSignature, CallbackError
from lianfang.bot.platforms.wecom.settings import WeComSettings
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from lianfang.bot.runtime import App

logger = logging.getLogger(__name__)

WECOM_PATH = "/wecom/callback"
WECOM_SIGNATURE = "msg_signature"
WECOM_TIMESTAMP = "timestamp"
WECOM_NONCE = "nonce"
WECOM_ECHOSTR = "echostr"
WECOM_MAX_BODY_BYTES = 64_000
"""An encrypted WeCom callback holds at most a 2,048-byte message; a few kilobytes in all."""


def wecom_routes(wecom: WeComAdapter, app: App, wall_clock: WallClock) -> Sequence[BaseRoute]:
    """Return the callback routes of the WeCom app served.

    ``wall_clock`` (Unix seconds) judges WeCom's signed timestamps; it is the real time even when the app runs on a
    simulated clock, since WeCom signs with the real time.
    """
    window = settings_of(app, WeComSettings).wecom_callback_window_seconds
    body_seconds = app.settings.http_body_timeout_seconds

    def fresh(timestamp: str, what: str) -> bool:
        """Tell whether a signed WeCom timestamp is within the window around now; log a refusal."""
        if timestamp.isdigit() and abs(wall_clock() - int(timestamp)) <= window:
            return True
        logger.warning("wecom %s: signed timestamp outside the %s s window; refused", what, window)
        return False

    async def wecom_verify(request: Request) -> Response:
        # WeCom checks the callback URL once, when an admin saves it: answer with the decrypted echostr.
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
        body = await bounded_body(request, WECOM_MAX_BODY_BYTES, body_seconds)
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
        # WeCom retries a callback not answered within 5 s, so it is kept, answered now and handled in the
        # background (in order per member); a retried delivery is recognised by its MsgId.
        try:
            await wecom.feed(fields)
        except Exception:
            # not kept (the database is unreachable): an error answer makes WeCom send it again
            logger.exception("wecom callback: could not be kept; answered with an error so that WeCom retries")
            return Response(status_code=HTTPStatus.SERVICE_UNAVAILABLE)
        return PlainTextResponse("")

    return [Route(WECOM_PATH, wecom_verify, methods=["GET"]), Route(WECOM_PATH, wecom_callback, methods=["POST"])]


def _refused(error: CallbackError, what: str) -> Response:
    """Answer a WeCom request that failed its checks: 403 for a bad signature, 400 for a signed but bad body."""
    if isinstance(error, BadSignature):
        logger.warning("wecom %s: bad signature; refused", what)
        return Response(status_code=HTTPStatus.FORBIDDEN)
    logger.warning("wecom %s: refused: %s", what, error)
    return Response(status_code=HTTPStatus.BAD_REQUEST)
