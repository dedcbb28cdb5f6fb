"""A group chat's purpose, as an operator names it on the command line: ``leadership`` or ``group:KEY``."""

from __future__ import annotations

from datetime import datetime

from lianfang.bot.db import session_scope
from lianfang.bot.org import Org
from lianfang.models.members import CHAT_GROUP, CHAT_LEADERSHIP, bind_chat, find_identity
from sqlalchemy import Engine

PURPOSE_LEADERSHIP = "leadership"
PURPOSE_GROUP_PREFIX = "group:"


def purpose_of(org: Org, purpose: str) -> tuple[str, str]:
    """Read ``leadership`` or ``group:KEY`` (a working group of the org) as a binding's kind and group key.

    ValueError names the purposes there are.
    """
    if purpose == PURPOSE_LEADERSHIP:
        return CHAT_LEADERSHIP, ""
    group_key = purpose.removeprefix(PURPOSE_GROUP_PREFIX) if purpose.startswith(PURPOSE_GROUP_PREFIX) else ""
    if org.group(group_key) is None:
        keys = ", ".join(f"{PURPOSE_GROUP_PREFIX}{group.key}" for group in org.groups)
        raise ValueError(f"bind to {PURPOSE_LEADERSHIP} or one of: {keys}")
    return CHAT_GROUP, group_key


def bind_for_purpose(
    engine: Engine, org: Org, *, platform: str, chat_id: str, purpose: str, by: str | None, now: datetime
) -> None:
    """Bind a group chat to its purpose; ``by`` is the platform user id of whoever asked, recorded if a member."""
    kind, group_key = purpose_of(org, purpose)
    with session_scope(engine) as session:
        identity = find_identity(session=session, platform=platform, user_id=by) if by else None
        bind_chat(
            session=session,
            platform=platform,
            chat_id=chat_id,
            kind=kind,
            group_key=group_key,
            # bound_by is nullable: a chat bound from the command line may have been asked for by no member
            member_id=identity.member_id if identity is not None else None,
            now=now,
        )
