"""Files a member sent that wait for their 确认: kept under a one-time token until they decide or the time runs out."""

from __future__ import annotations

import secrets
from datetime import timedelta

from lianfang.bot.context import MemberContext
from lianfang.models.files import PendingImport, find_pending_import, purge_pending_imports, save_pending_import

TOKEN_BYTES = 12
"""16 URL-safe characters: unguessable, and short enough for Telegram's 64-byte button data."""


HELD_SCREENING_LIST = "screening"
HELD_DUTY_ROSTER = "duty"
"""What a file is held for: a token answers only the command of its own kind."""


def hold_file(ctx: MemberContext, *, kind: str, file_name: str, data: bytes, bad_rows: int = 0) -> PendingImport:
    """Keep a checked file for its sender to confirm within ``import_confirm_minutes``; return it with its token."""
    purge_pending_imports(session=ctx.session, now=ctx.now)
    return save_pending_import(
        session=ctx.session,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        kind=kind,
        member_id=ctx.member_id,
        file_name=file_name,
        data=data,
        bad_rows=bad_rows,
        now=ctx.now,
        expires_at=ctx.now + timedelta(minutes=ctx.settings.import_confirm_minutes),
    )


def find_held_file(ctx: MemberContext, *, kind: str, token: str) -> PendingImport | None:
    """Return the file of this kind the sender holds under this token, expired ones forgotten first; else None."""
    purge_pending_imports(session=ctx.session, now=ctx.now)
    return find_pending_import(session=ctx.session, token=token, kind=kind, member_id=ctx.member_id)
