"""The dashboard's HTTP routes: the login link, the page, and a clear page for every refusal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date, datetime
from http import HTTPStatus

from jinja2 import Environment, PackageLoader, select_autoescape
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.runtime import App
from lianfang.bot.types import Text
from lianfang.handlers.dashboard.login import (
    LOGIN_PATH,
    LOGOUT_PATH,
    PAGE_PATH,
    TOKEN_PARAM,
    Refusal,
    log_out,
    redeem_link,
    session_login,
    session_member,
    session_token,
    signer_of,
)
from lianfang.handlers.dashboard.settings import DASHBOARD
from lianfang.handlers.dashboard.sparkline import sparkline
from lianfang.handlers.dashboard.view import Dashboard, build_dashboard
from lianfang.handlers.report_files import font_data
from lianfang.models.members import Member
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

logger = logging.getLogger(__name__)

COOKIE = "lianfang_dashboard"
FONT_PATH = "/dashboard/font.otf"
"""The bundled Chinese font, for a browser with none (a bare server's Chromium, an old phone): no CDN, no login."""
FONT_CACHE = "public, max-age=604800"
DAY_PARAM = "day"
REFRESH_SECONDS = 60
MAX_DAY_LENGTH = 10
BAD_DAY = "bad_day"
FUTURE_DAY = "future_day"
NOT_SERVED = "not_served"
FAILED = "failed"
ERRORS = {
    Refusal.OFF: ("dashboard.error_off", HTTPStatus.NOT_FOUND),
    Refusal.FORGED: ("dashboard.error_forged", HTTPStatus.FORBIDDEN),
    Refusal.EXPIRED: ("dashboard.error_expired", HTTPStatus.GONE),
    Refusal.USED: ("dashboard.error_used", HTTPStatus.GONE),
    Refusal.NO_SESSION: ("dashboard.error_no_session", HTTPStatus.UNAUTHORIZED),
    Refusal.STRANGER: ("dashboard.error_stranger", HTTPStatus.FORBIDDEN),
    Refusal.ENDED: ("dashboard.error_ended", HTTPStatus.UNAUTHORIZED),
    BAD_DAY: ("dashboard.error_bad_day", HTTPStatus.BAD_REQUEST),
    FUTURE_DAY: ("dashboard.error_future_day", HTTPStatus.BAD_REQUEST),
    NOT_SERVED: ("dashboard.error_not_served", HTTPStatus.METHOD_NOT_ALLOWED),
    FAILED: ("dashboard.error_failed", HTTPStatus.INTERNAL_SERVER_ERROR),
}
"""Each refusal's explanation and HTTP status."""
WORDS = {
    "title": "dashboard.title",
    "error_title": "dashboard.error_title",
    "how_to_login": "dashboard.how_to_login",
    "groups": "dashboard.section_groups",
    "figures": "dashboard.section_figures",
    "alerts": "dashboard.section_alerts",
    "no_alerts": "dashboard.no_alerts",
    "acknowledged": "dashboard.acknowledged",
    "referrals": "dashboard.section_referrals",
    "observation": "dashboard.section_observation",
    "coverage": "dashboard.section_coverage",
    "supplies": "dashboard.section_supplies",
    "supervision": "dashboard.section_supervision",
    "nothing": "dashboard.nothing",
    "no_data": "dashboard.no_data",
    "show_day": "dashboard.show_day",
    "show": "dashboard.show",
    "today": "dashboard.today",
    "masked_note": "dashboard.masked_note",
    "full_note": "dashboard.full_note",
    "refreshed": "dashboard.refreshed",
    "place": "dashboard.place",
    "targets": "dashboard.targets",
    "verified": "dashboard.verified",
    "logout": "dashboard.logout",
    "logged_out_title": "dashboard.logged_out_title",
    "logged_out": "dashboard.logged_out",
}
"""The page's own words, by the name the templates use."""

TEMPLATES = Environment(
    loader=PackageLoader("lianfang.handlers.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals["sparkline"] = sparkline


def words(lang: str) -> dict[str, str]:
    """Return the page's words in a language."""
    return {name: render(Text(key), lang) for name, key in WORDS.items()}


def error_page(lang: str, reason: Refusal | str) -> HTMLResponse:
    """Return the page explaining a refusal, with its status; it never says more than why."""
    key, status = ERRORS[reason]
    html = TEMPLATES.get_template("error.html").render(
        words=words(lang), message=render(Text(key), lang), lang=_html_lang(lang)
    )
    return HTMLResponse(html, status_code=status)


def dashboard_routes(app: App) -> Sequence[BaseRoute]:
    """Build the dashboard's routes for an instance."""
    lang = app.settings.default_language
    secure = app.settings.base_url().startswith("https://")

    async def login(request: Request) -> Response:
        signer = signer_of(app.settings)
        if signer is None or request.method != "GET":
            return error_page(lang, Refusal.OFF if signer is None else NOT_SERVED)
        token = request.query_params.get(TOKEN_PARAM, "")
        now = app.clock()

        def redeem() -> int | Refusal:
            with session_scope(app.engine) as session:
                return redeem_link(session, signer, token, now)

        found = await asyncio.to_thread(redeem)
        if isinstance(found, Refusal):
            return error_page(lang, found)
        hours = DASHBOARD.of(app.org).session_hours
        response = RedirectResponse(PAGE_PATH, status_code=HTTPStatus.SEE_OTHER)
        response.set_cookie(
            COOKIE,
            session_token(signer, found, now, hours),
            max_age=hours * 3600,
            path=PAGE_PATH,
            httponly=True,
            samesite="strict",
            secure=secure,
        )
        return response

    async def page(request: Request) -> Response:
        signer = signer_of(app.settings)
        if signer is None or request.method != "GET":
            return error_page(lang, Refusal.OFF if signer is None else NOT_SERVED)
        now = app.clock()
        login_id = session_login(signer, request.cookies.get(COOKIE), now)
        if isinstance(login_id, Refusal):
            return error_page(lang, login_id)
        wanted = request.query_params.get(DAY_PARAM, "")
        try:
            return await asyncio.to_thread(_page, app, login_id, wanted, now)
        except Exception:
            logger.exception("dashboard page failed")
            return error_page(lang, FAILED)

    async def logout(request: Request) -> Response:
        signer = signer_of(app.settings)
        if signer is None or request.method != "POST":
            return error_page(lang, Refusal.OFF if signer is None else NOT_SERVED)
        now = app.clock()
        login_id = session_login(signer, request.cookies.get(COOKIE), now)

        def end() -> None:
            if isinstance(login_id, int):
                with session_scope(app.engine) as session:
                    log_out(session, login_id, now)

        await asyncio.to_thread(end)
        # whether the session was live or not, the browser forgets it and is told it is out
        html = TEMPLATES.get_template("logged_out.html").render(words=words(lang), lang=_html_lang(lang))
        response = HTMLResponse(html, headers={"Cache-Control": "no-store"})
        response.delete_cookie(COOKIE, path=PAGE_PATH, httponly=True, samesite="strict", secure=secure)
        return response

    async def font(request: Request) -> Response:
        if request.method != "GET":
            return error_page(lang, NOT_SERVED)
        return Response(font_data(), media_type="font/otf", headers={"Cache-Control": FONT_CACHE})

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return [
        Route(FONT_PATH, font, methods=methods),
        Route(LOGIN_PATH, login, methods=methods),
        Route(LOGOUT_PATH, logout, methods=methods),
        Route(PAGE_PATH, page, methods=methods),
    ]


def _page(app: App, login_id: int, wanted: str, now: datetime) -> Response:
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, now)
        member_id = session_member(session, login_id)
        if isinstance(member_id, Refusal):
            return error_page(ctx.lang, member_id)
        member = session.get(Member, member_id)
        if member is None or not member.active:
            return error_page(ctx.lang, Refusal.STRANGER)
        lang = member.lang
        day = _day(wanted, ctx.today)
        if day is None:
            return error_page(lang, BAD_DAY)
        if day > ctx.today:
            return error_page(lang, FUTURE_DAY)
        board = build_dashboard(ctx, member, day)
        html = render_page(board, lang, ctx.now.strftime("%H:%M"), ctx.today)
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _day(text: str, today: date) -> date | None:
    if not text:
        return today
    if len(text) > MAX_DAY_LENGTH:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def render_page(board: Dashboard, lang: str, refreshed: str, today: date) -> str:
    return TEMPLATES.get_template("page.html").render(
        board=board,
        words=words(lang),
        lang=_html_lang(lang),
        refresh=REFRESH_SECONDS,
        refreshed=refreshed,
        today=today.isoformat(),
        day=board.day.isoformat(),
    )


def _html_lang(lang: str) -> str:
    return "zh-CN" if lang.startswith("zh") else "en"
