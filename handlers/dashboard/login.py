"""/dashboard (看板): a one-time login link in a private chat, and the links and sessions the web pages check.

A browser session is the login link it was opened with: its cookie names that link's record, so logging out ends it
on the server and the cookie cannot be replayed, even if it was copied before.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import Enum

from lianfang.bot.config import Settings
from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.handlers.dashboard.settings import DASHBOARD
from lianfang.handlers.dashboard.signing import PURPOSE_LOGIN, PURPOSE_SESSION, BadToken, ExpiredToken, Signer
from lianfang.models.audit import record_access
from lianfang.models.dashboard import add_login, end_login, get_login, login_of, use_login
from lianfang.models.members import Member
from sqlmodel import Session

COMMAND = "dashboard"
LOGIN_PATH = "/dashboard/login"
PAGE_PATH = "/dashboard"
LOGOUT_PATH = "/dashboard/logout"
AUDIT_LOGIN = "login"
AUDIT_LOGOUT = "logout"
AUDIT_CHANNEL = "web"
"""The audit log's channel of the dashboard's pages."""
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
    ENDED = "ended"
    """The session was logged out."""


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
    link = new_login_link(ctx, signer, ctx.member_id)
    ctx.reply("dashboard.link", link=link, minutes=DASHBOARD.of(ctx.org).link_minutes)


def new_login_link(ctx: Context, signer: Signer, member_id: int) -> str:
    """Record a one-time login link for a member and return it (valid ``[dashboard] link_minutes``)."""
    expires_at = ctx.now + timedelta(minutes=DASHBOARD.of(ctx.org).link_minutes)
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    add_login(session=ctx.session, nonce=nonce, member_id=member_id, now=ctx.now, expires_at=expires_at)
    token = signer.sign(PURPOSE_LOGIN, nonce, expires_at)
    return f"{ctx.settings.base_url()}{LOGIN_PATH}?{TOKEN_PARAM}={token}"


DASHBOARD_COMMAND = Command(COMMAND, dashboard_command, aliases=("看板",), private_only=True)


def redeem_link(session: Session, signer: Signer, token: str, now: datetime) -> int | Refusal:
    """Use a login link: return its id (the session it opens), or why it is refused (forged, expired, used already).

    The login is audited.
    """
    nonce = _opened(signer, token, PURPOSE_LOGIN, now, expired=Refusal.EXPIRED)
    if isinstance(nonce, Refusal):
        return nonce
    login_id = use_login(session=session, nonce=nonce, now=now)
    if login_id is not None:
        _audit(session, login_id, AUDIT_LOGIN, now)
        return login_id
    login = login_of(session=session, nonce=nonce)
    if login is None:
        return Refusal.FORGED
    return Refusal.USED if login.used_at is not None else Refusal.EXPIRED


def session_token(signer: Signer, login_id: int, now: datetime, hours: int) -> str:
    """Return the cookie value of the browser session a login link opened."""
    return signer.sign(PURPOSE_SESSION, str(login_id), now + timedelta(hours=hours))


def session_login(signer: Signer, cookie: str | None, now: datetime) -> int | Refusal:
    """Return the login id a session cookie names, or why there is none (missing, forged, expired)."""
    if not cookie:
        return Refusal.NO_SESSION
    subject = _opened(signer, cookie, PURPOSE_SESSION, now, expired=Refusal.NO_SESSION)
    if isinstance(subject, Refusal):
        return subject
    return int(subject) if subject.isdigit() else Refusal.FORGED


def session_member(session: Session, login_id: int) -> int | Refusal:
    """Return the member of a live browser session, or ENDED once it was logged out."""
    login = get_login(session=session, login_id=login_id)
    if login is None or login.used_at is None:
        return Refusal.FORGED
    if login.ended_at is not None:
        return Refusal.ENDED
    return login.member_id


def log_out(session: Session, login_id: int, now: datetime) -> bool:
    """End a browser session on the server and audit it; True if it was live."""
    if not end_login(session=session, login_id=login_id, now=now):
        return False
    _audit(session, login_id, AUDIT_LOGOUT, now)
    return True


def _audit(session: Session, login_id: int, action: str, now: datetime) -> None:
    login = get_login(session=session, login_id=login_id)
    member = session.get(Member, login.member_id) if login else None
    record_access(
        session=session,
        now=now,
        actor=member.name if member else "",
        action=action,
        channel=AUDIT_CHANNEL,
        member_id=member.id if member else None,
        detail=f"dashboard session {login_id}",
    )


def _opened(signer: Signer, token: str, purpose: str, now: datetime, *, expired: Refusal) -> str | Refusal:
    """Return a token's subject, ``expired`` past its time, or FORGED."""
    try:
        return signer.open(token, purpose, now)
    except ExpiredToken:
        return expired
    except BadToken:
        return Refusal.FORGED
