"""/dashboard (看板): a one-time login link in a private chat, and the links and sessions the web pages check."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import Enum

from lianfang.bot.config import Settings
from lianfang.bot.context import MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.handlers.dashboard.settings import DASHBOARD
from lianfang.handlers.dashboard.signing import PURPOSE_LOGIN, PURPOSE_SESSION, BadToken, ExpiredToken, Signer
from lianfang.models.dashboard import add_login, login_of, use_login
from sqlmodel import Session

COMMAND = "dashboard"
LOGIN_PATH = "/dashboard/login"
PAGE_PATH = "/dashboard"
TOKEN_PARAM = "token"
NONCE_BYTES = 32


class Refusal(Enum):
    """Why a login link or a session was not accepted; each has its own page."""

    OFF = "off"
    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    NO_SESSION = "no_session"
    STRANGER = "stranger"


def signer_of(settings: Settings) -> Signer | None:
    """Return the signer of this instance's dashboard, or None when the dashboard is off (no secret set)."""
    if settings.dashboard_secret is None:
        return None
    return Signer(settings.dashboard_secret.get_secret_value().encode())


def dashboard_command(ctx: MemberContext, _args: str) -> None:
    """Send the speaker a login link that works once, for a few minutes."""
    signer = signer_of(ctx.settings)
    if signer is None:
        ctx.reply("dashboard.off")
        return
    minutes = DASHBOARD.of(ctx.org).link_minutes
    expires_at = ctx.now + timedelta(minutes=minutes)
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    add_login(session=ctx.session, nonce=nonce, member_id=ctx.member_id, now=ctx.now, expires_at=expires_at)
    token = signer.sign(PURPOSE_LOGIN, nonce, expires_at)
    link = f"{ctx.settings.base_url()}{LOGIN_PATH}?{TOKEN_PARAM}={token}"
    ctx.reply("dashboard.link", link=link, minutes=minutes)


DASHBOARD_COMMAND = Command(COMMAND, dashboard_command, aliases=("看板",), private_only=True)


def redeem_link(session: Session, signer: Signer, token: str, now: datetime) -> int | Refusal:
    """Use a login link: return its member's id, or why it is refused (forged, expired, used already)."""
    nonce = _opened(signer, token, PURPOSE_LOGIN, now, expired=Refusal.EXPIRED)
    if isinstance(nonce, Refusal):
        return nonce
    member_id = use_login(session=session, nonce=nonce, now=now)
    if member_id is not None:
        return member_id
    login = login_of(session=session, nonce=nonce)
    if login is None:
        return Refusal.FORGED
    return Refusal.USED if login.used_at is not None else Refusal.EXPIRED


def session_token(signer: Signer, member_id: int, now: datetime, hours: int) -> str:
    """Return the cookie value of a browser session for a member."""
    return signer.sign(PURPOSE_SESSION, str(member_id), now + timedelta(hours=hours))


def session_member(signer: Signer, cookie: str | None, now: datetime) -> int | Refusal:
    """Return the member id of a session cookie, or why there is none (missing, forged, expired)."""
    if not cookie:
        return Refusal.NO_SESSION
    subject = _opened(signer, cookie, PURPOSE_SESSION, now, expired=Refusal.NO_SESSION)
    if isinstance(subject, Refusal):
        return subject
    return int(subject) if subject.isdigit() else Refusal.FORGED


def _opened(signer: Signer, token: str, purpose: str, now: datetime, *, expired: Refusal) -> str | Refusal:
    """Return a token's subject, ``expired`` past its time, or FORGED."""
    try:
        return signer.open(token, purpose, now)
    except ExpiredToken:
        return expired
    except BadToken:
        return Refusal.FORGED
