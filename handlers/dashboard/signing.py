"""Signed tokens of the dashboard: a login link's and a browser session's, told apart by their purpose."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

PURPOSE_LOGIN = "login"
PURPOSE_SESSION = "visit"
"""A browser session, naming the login link that opened it (earlier sessions named a member: they no longer open)."""
SEPARATOR = "."
FIELD_SEPARATOR = ":"
MAX_TOKEN_LENGTH = 300


class BadToken(ValueError):
    """A token that is malformed, signed with another key, or meant for another purpose."""


class ExpiredToken(ValueError):
    """A token whose signature is good, past its time."""


@dataclass(frozen=True)
class Signer:
    """Sign and check tokens with the instance's dashboard secret."""

    secret: bytes

    def sign(self, purpose: str, subject: str, expires_at: datetime) -> str:
        """Return a URL-safe token for a subject (a nonce, a member id) valid until a moment."""
        payload = FIELD_SEPARATOR.join((purpose, subject, str(int(expires_at.timestamp()))))
        return _encode(payload.encode()) + SEPARATOR + _encode(self._mac(payload.encode()))

    def open(self, token: str, purpose: str, now: datetime) -> str:
        """Return the subject of a good token for this purpose; raise BadToken or ExpiredToken."""
        if len(token) > MAX_TOKEN_LENGTH or token.count(SEPARATOR) != 1:
            raise BadToken(purpose)
        encoded, mac = token.split(SEPARATOR)
        try:
            payload = _decode(encoded)
            given = _decode(mac)
        except ValueError as exc:
            raise BadToken(purpose) from exc
        if not hmac.compare_digest(given, self._mac(payload)):
            raise BadToken(purpose)
        parts = payload.decode(errors="replace").split(FIELD_SEPARATOR)
        if len(parts) != 3 or parts[0] != purpose or not parts[2].isdigit():
            raise BadToken(purpose)
        if datetime.fromtimestamp(int(parts[2]), UTC) <= now:
            raise ExpiredToken(purpose)
        return parts[1]

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError("not base64") from exc
