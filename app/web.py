"""The HTTP side of an instance: a health check, and the routes of the platforms served (webhooks, callbacks)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Sequence
from http import HTTPStatus

from lianfang.app.features import FEATURE_ROUTES
from lianfang.app.platforms import platform_named
from lianfang.bot.db import session_scope
from lianfang.bot.feature import RouteFactory
from lianfang.bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from lianfang.bot.metrics import Facts, scrape
from lianfang.bot.platform import WallClock
from lianfang.bot.ports import Adapter
from lianfang.bot.runtime import App
from lianfang.models.members import ChatBinding, unreachable_chats
from lianfang.models.outbox import backlog as outbox_backlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
BEARER = "Bearer "
STATUS_OK = "ok"
STATUS_DEGRADED = "degraded"
"""The database answers, but a platform has an outage and messages wait for it (``outages`` says which, why)."""
STATUS_ERROR = "error"


def create_web_app(
    app: App,
    *served: Adapter | None,
    wall_clock: WallClock = time.time,
    features: Sequence[RouteFactory] = FEATURE_ROUTES,
) -> Starlette:
    """Build the Starlette app: ``/healthz``, the routes each served platform declares, and the features' pages.

    ``None`` among ``served`` is skipped (no platform). ``wall_clock`` (Unix seconds) is the real time, even when
    the app runs on a simulated clock: platforms sign their requests with it.
    """

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

    routes: list[BaseRoute] = [Route(HEALTH_PATH, health, methods=["GET"])]
    token = app.settings.metrics_token
    if token is not None:
        routes.append(metrics_route(app, token=token.get_secret_value()))
    for adapter in served:
        if adapter is not None:
            routes.extend(platform_named(adapter.platform).routes(adapter, app, wall_clock))
    for feature_routes in features:
        routes.extend(feature_routes(app))
    return Starlette(routes=routes)


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


def metrics_route(app: App, *, token: str | None) -> Route:
    """Return ``GET /metrics``: Prometheus text for requests bearing ``token`` (or for every request when None)."""
    facts = Facts(
        app.engine, is_leader=lambda: app.leadership.is_leader, clock=app.clock, platforms=lambda: app.adapters
    )
    expected = f"{BEARER}{token}".encode() if token is not None else None

    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if expected is not None and not hmac.compare_digest(given, expected):
            return PlainTextResponse("unauthorized\n", status_code=HTTPStatus.UNAUTHORIZED)
        body = await asyncio.to_thread(scrape, facts)
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    return Route(METRICS_PATH, metrics, methods=["GET"])


def create_metrics_app(app: App) -> Starlette:
    """Build the app of ``LIANFANG_METRICS_PORT``: ``/metrics`` alone, without a token (a private port)."""
    return Starlette(routes=[metrics_route(app, token=None)])
