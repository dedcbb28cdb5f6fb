"""Members, their platform identities, invites and bound chats."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from lianfang.models.base import MAX_ID, Prepared, table_of, to_db_time
from lianfang.models.drafts import DRAFTS, Draft, FormDraft, draft_from_row
from sqlalchemy import Connection, UniqueConstraint, bindparam, delete, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Field, Session, SQLModel, col, select

ROLE_ADMIN = "admin"
ROLE_LEADER = "leader"
ROLE_GROUP_LEAD = "group_lead"
ROLE_REPORTER = "reporter"
ROLE_STAFF = "staff"
ROLES = (ROLE_ADMIN, ROLE_LEADER, ROLE_GROUP_LEAD, ROLE_REPORTER, ROLE_STAFF)
REPORTING_ROLES = (ROLE_REPORTER, ROLE_GROUP_LEAD, ROLE_ADMIN)
"""Roles that may send their group's daily report."""

CHAT_LEADERSHIP = "leadership"
CHAT_GROUP = "group"

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Invite code letters: no 0/O or 1/I, which people mistype on phones."""
INVITE_LENGTH = 8
INVITE_CODE_NOISE = str.maketrans("", "", " \t\r\n-_")
"""Spaces and dashes people put inside a code they copy or type; none of them is an invite letter."""
MAX_REASON = 200
SEEN_RESOLUTION = timedelta(minutes=1)
"""last_seen_at is for choosing a member's latest identity; minute precision saves a write per message."""


class Member(SQLModel, table=True):
    """A person in the joint-prevention organisation."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    group_key: str = Field(max_length=32, index=True)
    role: str = Field(max_length=16)
    community: str | None = Field(default=None, max_length=32)
    lang: str = Field(default="zh_CN", max_length=8)
    active: bool = True
    name_pending: bool = False
    """No real name is known yet (no invite name, none from the platform): ``name`` holds the platform's id."""
    created_at: datetime
    deactivated_at: datetime | None = None
    deactivation_reason: str | None = Field(default=None, max_length=MAX_REASON)


class Identity(SQLModel, table=True):
    """One platform account bound to a member, with its private chat."""

    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_identity_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    chat_id: str = Field(max_length=128)
    last_seen_at: datetime


class Invite(SQLModel, table=True):
    """A one-time code that makes whoever sends ``/join CODE`` a member."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name: str | None = Field(default=None, max_length=64)
    group_key: str = Field(max_length=32)
    role: str = Field(max_length=16)
    community: str | None = Field(default=None, max_length=32)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    member_id: int | None = Field(default=None, foreign_key="member.id")
    """The member the code made; for a relink code, the member it moves to a new account."""
    revoked_at: datetime | None = None
    relink: bool = False
    """The code binds a new account to an existing member instead of making a new one."""

    def is_open(self, now: datetime) -> bool:
        """Tell whether the code can still be used."""
        return self.used_at is None and self.revoked_at is None and self.expires_at > to_db_time(now)


class ChatBinding(SQLModel, table=True):
    """A group chat bound to a purpose: the leadership chat or one working group's chat."""

    __table_args__ = (UniqueConstraint("platform", "kind", "group_key", name="uq_chat_binding_purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    group_key: str = Field(default="", max_length=32)
    bound_by: int | None = Field(default=None, foreign_key="member.id")
    bound_at: datetime
    unreachable_since: datetime | None = None
    """When the platform first refused a message to this chat for good (bot removed, chat gone); None: fine."""
    unreachable_reason: str | None = Field(default=None, max_length=200)


def find_identity(*, session: Session, platform: str, user_id: str) -> Identity | None:
    """Return the identity of a platform account, if it belongs to a member."""
    return session.exec(select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)).first()


@dataclass(frozen=True)
class Speaker:
    """Who sent a message, as the dispatcher needs it: the member's full record is loaded only when used."""

    identity_id: int
    member_id: int
    chat_id: str
    last_seen_at: datetime
    lang: str
    draft: FormDraft | None = None
    """Their draft in the chat the message came from, read by the same statement (see ``find_speaker``)."""


IDENTITIES = table_of(Identity)
MEMBERS = table_of(Member)
SPEAKER_COLUMNS = (IDENTITIES.c.id, MEMBERS.c.id, IDENTITIES.c.chat_id, IDENTITIES.c.last_seen_at, MEMBERS.c.lang)
SPEAKER = Prepared(
    sa_select(*SPEAKER_COLUMNS, *DRAFTS.columns)
    .select_from(
        IDENTITIES.join(MEMBERS, MEMBERS.c.id == IDENTITIES.c.member_id).outerjoin(
            DRAFTS,
            (DRAFTS.c.platform == IDENTITIES.c.platform)
            & (DRAFTS.c.user_id == IDENTITIES.c.user_id)
            & (DRAFTS.c.chat_id == bindparam("chat_id")),
        )
    )
    .where(
        IDENTITIES.c.platform == bindparam("platform"),
        IDENTITIES.c.user_id == bindparam("user_id"),
        MEMBERS.c.active == True,  # noqa: E712
    )
)
"""Who is speaking, and their draft in this chat, in one statement: this runs for every message.

Read afresh each time rather than cached in the process: a member removed, deactivated or given another role on
another instance (or from the CLI) is a stranger, or has the new role, from their very next message, and a cache
would save no statement here, as the draft has to be read anyway."""
TOUCH = Prepared(
    update(IDENTITIES)
    .where(IDENTITIES.c.id == bindparam("identity_id"))
    .values(last_seen_at=bindparam("seen"), chat_id=bindparam("private_chat"))
)


def find_speaker(*, connection: Connection, platform: str, user_id: str, chat_id: str = "") -> Speaker | None:
    """Return who a platform account is, if it belongs to an active member, with their draft in ``chat_id``."""
    row = SPEAKER.first(connection, {"platform": platform, "user_id": user_id, "chat_id": chat_id})
    if row is None:
        return None
    width = len(SPEAKER_COLUMNS)
    draft = None if row[width] is None else draft_from_row(row[width:])
    identity_id, member_id, private_chat, last_seen_at, lang = row[:width]
    return Speaker(identity_id, member_id, private_chat, last_seen_at, lang, draft)


def touch_identity(*, connection: Connection, speaker: Speaker, chat_id: str | None, now: datetime) -> None:
    """Record that an identity was active, and its private chat if known; at most one write a minute."""
    moment = to_db_time(now)
    if (chat_id is None or chat_id == speaker.chat_id) and moment - speaker.last_seen_at < SEEN_RESOLUTION:
        return
    params = {"identity_id": speaker.identity_id, "seen": moment, "private_chat": chat_id or speaker.chat_id}
    TOUCH.run(connection, params)


MEMBER = Prepared(sa_select(*MEMBERS.columns).where(MEMBERS.c.id == bindparam("member_id")))
MEMBER_NAMES = tuple(column.name for column in MEMBERS.columns)


def member_record(*, session: Session, member_id: int) -> Member | None:
    """Return a member's record in a session, as ``session.get`` would, read by a prepared statement.

    A record the session holds already is returned as it is; otherwise the row is read on the session's connection
    and the record joins the session as if loaded: changes to it are flushed as those to any loaded one.
    """
    held = session.identity_map.get(session.identity_key(Member, member_id))
    if isinstance(held, Member):
        return held
    row = MEMBER.first(session.connection(), {"member_id": member_id})
    if row is None:
        return None
    member = Member(**dict(zip(MEMBER_NAMES, row, strict=True)))
    make_transient_to_detached(member)  # persistent once added, with nothing to insert or update
    session.add(member)
    return member


MEMBER_COMMUNITY = Prepared(sa_select(MEMBERS.c.community).where(MEMBERS.c.id == bindparam("member_id")))


def member_community(*, connection: Connection, member_id: int) -> str | None:
    """Return a member's community, read alone: a form that only defaults to it needs no ORM record."""
    row = MEMBER_COMMUNITY.first(connection, {"member_id": member_id})
    return None if row is None else row[0]


def get_member(*, session: Session, member_id: int) -> Member | None:
    """Return a member by id."""
    return session.get(Member, member_id)


def members_named(*, session: Session, ref: str) -> list[Member]:
    """Return the members, active or not, an id or an exact name refers to (several when a name is shared)."""
    ref = unicodedata.normalize("NFKC", ref).strip()
    if ref.isdecimal():  # an id; one too large for the column refers to nobody
        query = select(Member).where(Member.id == int(ref)) if int(ref) <= MAX_ID else select(Member).where(False)
    else:
        query = select(Member).where(Member.name == ref)
    return list(session.exec(query.order_by(col(Member.id))))


def list_members(
    *, session: Session, group_key: str | None = None, roles: tuple[str, ...] = (), active: bool = True
) -> list[Member]:
    """Return active members (or, with ``active=False``, deactivated ones), optionally of one group and some roles.

    Every choice of whom to remind, alert or make report goes through here, so a deactivated member is skipped
    by construction and a group's duties fall to whoever is left (its other reporters, else its leads).
    """
    query = select(Member).where(Member.active == active)
    if group_key is not None:
        query = query.where(Member.group_key == group_key)
    if roles:
        query = query.where(col(Member.role).in_(roles))
    return list(session.exec(query.order_by(col(Member.id))))


def private_identity(*, session: Session, member_id: int) -> Identity | None:
    """Return the member's most recently used platform identity."""
    return session.exec(
        select(Identity)
        .where(Identity.member_id == member_id)
        .order_by(col(Identity.last_seen_at).desc(), col(Identity.id).desc())
    ).first()


def identity_on(*, session: Session, member_id: int, platform: str) -> Identity | None:
    """Return the member's most recently used identity on one platform."""
    return session.exec(
        select(Identity)
        .where(Identity.member_id == member_id, Identity.platform == platform)
        .order_by(col(Identity.last_seen_at).desc(), col(Identity.id).desc())
    ).first()


def identities_of(*, session: Session, member_ids: list[int]) -> dict[int, Identity]:
    """Return each active member's most recently used identity: nothing private reaches a deactivated member."""
    rows = session.exec(
        select(Identity)
        .join(Member, col(Member.id) == Identity.member_id)
        .where(col(Identity.member_id).in_(member_ids), Member.active == True)  # noqa: E712
        .order_by(col(Identity.last_seen_at), col(Identity.id))
    )
    return {row.member_id: row for row in rows}


def new_invite_code() -> str:
    """Return a random invite code that is easy to type."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def create_invite(
    *,
    session: Session,
    group_key: str,
    role: str,
    community: str | None,
    name: str | None,
    now: datetime,
    ttl: timedelta,
) -> Invite:
    """Create a one-time invite code."""
    invite = Invite(
        code=new_invite_code(),
        name=name,
        group_key=group_key,
        role=role,
        community=community,
        created_at=to_db_time(now),
        expires_at=to_db_time(now + ttl),
    )
    session.add(invite)
    session.flush()
    return invite


def normalize_invite_code(text: str) -> str:
    """Return a typed code as stored: full-width made plain, spaces and dashes dropped, upper case."""
    return unicodedata.normalize("NFKC", text).translate(INVITE_CODE_NOISE).upper()


def find_invite(*, session: Session, code: str) -> Invite | None:
    """Return the invite with this code (full-width, spaced or lower case alike), used or not."""
    return session.exec(select(Invite).where(Invite.code == normalize_invite_code(code))).first()


def open_invites(*, session: Session, now: datetime) -> list[Invite]:
    """Return the invites that can still be used, oldest first."""
    return list(
        session.exec(
            select(Invite)
            .where(col(Invite.used_at).is_(None), col(Invite.revoked_at).is_(None), Invite.expires_at > to_db_time(now))
            .order_by(col(Invite.id))
        )
    )


def revoke_invite(*, session: Session, invite: Invite, now: datetime) -> None:
    """Make an invite unusable from now on."""
    invite.revoked_at = to_db_time(now)
    session.add(invite)
    session.flush()


def _revoke_relinks(*, session: Session, member_id: int, now: datetime) -> None:
    """Revoke the member's unused relink codes, so only the newest one can move them."""
    for invite in session.exec(select(Invite).where(Invite.member_id == member_id, Invite.relink == True)):  # noqa: E712
        if invite.is_open(now):
            revoke_invite(session=session, invite=invite, now=now)


def _unlink(*, session: Session, member_id: int) -> int:
    """Remove a member's identities and their drafts; return how many identities there were."""
    identities = list(session.exec(select(Identity).where(Identity.member_id == member_id)))
    for identity in identities:
        session.exec(
            delete(Draft).where(col(Draft.platform) == identity.platform, col(Draft.user_id) == identity.user_id)
        )
        session.delete(identity)
    session.flush()
    return len(identities)


def deactivate_member(*, session: Session, member: Member, reason: str, now: datetime) -> None:
    """Deactivate a member: a stranger from their next message on; their drafts and relink codes are dropped."""
    assert member.id is not None
    member.active = False
    member.deactivated_at = to_db_time(now)
    member.deactivation_reason = reason[:MAX_REASON]
    session.add(member)
    session.exec(delete(Draft).where(col(Draft.member_id) == member.id))
    _revoke_relinks(session=session, member_id=member.id, now=now)
    session.flush()


def reactivate_member(*, session: Session, member: Member) -> None:
    """Make a deactivated member active again, with the accounts they had."""
    member.active = True
    member.deactivated_at = None
    member.deactivation_reason = None
    session.add(member)
    session.flush()


def create_relink(*, session: Session, member: Member, now: datetime, ttl: timedelta) -> tuple[Invite, int]:
    """Unlink a member's accounts now and return a one-time code that binds a new one, with how many were unlinked.

    Unlinking at once, not when the code is used, shuts out a lost or stolen phone straight away.
    """
    assert member.id is not None
    _revoke_relinks(session=session, member_id=member.id, now=now)
    unlinked = _unlink(session=session, member_id=member.id)
    invite = create_invite(
        session=session,
        group_key=member.group_key,
        role=member.role,
        community=member.community,
        name=member.name,
        now=now,
        ttl=ttl,
    )
    invite.relink = True
    invite.member_id = member.id
    session.add(invite)
    session.flush()
    return invite, unlinked


def create_member(
    *,
    session: Session,
    name: str,
    group_key: str,
    role: str,
    community: str | None,
    lang: str,
    now: datetime,
    name_pending: bool = False,
) -> Member:
    """Create a member."""
    member = Member(
        name=name,
        group_key=group_key,
        role=role,
        community=community,
        lang=lang,
        name_pending=name_pending,
        created_at=to_db_time(now),
    )
    session.add(member)
    session.flush()
    return member


def name_member(*, session: Session, member: Member, name: str) -> None:
    """Store the name a member gave for themselves."""
    member.name = name
    member.name_pending = False
    session.add(member)


def bind_identity(
    *, session: Session, member: Member, platform: str, user_id: str, chat_id: str, now: datetime
) -> Identity:
    """Bind a platform account to a member, taking it from a deactivated member who had it."""
    assert member.id is not None
    identity = find_identity(session=session, platform=platform, user_id=user_id) or Identity(
        member_id=member.id, platform=platform, user_id=user_id, chat_id=chat_id, last_seen_at=to_db_time(now)
    )
    identity.member_id = member.id
    identity.chat_id = chat_id
    identity.last_seen_at = to_db_time(now)
    session.add(identity)
    session.flush()
    return identity


def bind_chat(
    *, session: Session, platform: str, chat_id: str, kind: str, group_key: str, member_id: int | None, now: datetime
) -> ChatBinding:
    """Bind a group chat to a purpose, replacing an earlier chat bound to the same purpose."""
    binding = session.exec(
        select(ChatBinding).where(
            ChatBinding.platform == platform, ChatBinding.kind == kind, ChatBinding.group_key == group_key
        )
    ).first()
    if binding is None:
        binding = ChatBinding(
            platform=platform, chat_id=chat_id, kind=kind, group_key=group_key, bound_at=to_db_time(now)
        )
    binding.chat_id = chat_id
    binding.bound_by = member_id
    binding.bound_at = to_db_time(now)
    binding.unreachable_since = None
    binding.unreachable_reason = None
    session.add(binding)
    session.flush()
    return binding


def bound_chats(*, session: Session, kind: str, group_key: str = "") -> list[ChatBinding]:
    """Return the chats bound to a purpose, one per platform."""
    return list(
        session.exec(
            select(ChatBinding)
            .where(ChatBinding.kind == kind, ChatBinding.group_key == group_key)
            .order_by(col(ChatBinding.id))
        )
    )


def binding_of_chat(*, session: Session, platform: str, chat_id: str) -> list[ChatBinding]:
    """Return the purposes a chat is bound to."""
    return list(
        session.exec(select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id))
    )


def rebind_chat(*, session: Session, platform: str, old_chat_id: str, new_chat_id: str) -> list[ChatBinding]:
    """Move every purpose bound to a chat to the chat's new id (a Telegram group became a supergroup)."""
    bindings = binding_of_chat(session=session, platform=platform, chat_id=old_chat_id)
    for binding in bindings:
        binding.chat_id = new_chat_id
        binding.unreachable_since = None
        binding.unreachable_reason = None
        session.add(binding)
    session.flush()
    return bindings


def mark_unreachable(*, session: Session, platform: str, chat_id: str, reason: str, now: datetime) -> list[ChatBinding]:
    """Record that a bound chat refuses messages for good; return the bindings that were reachable until now."""
    table = table_of(ChatBinding)
    ids = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.platform == platform, table.c.chat_id == chat_id, table.c.unreachable_since.is_(None))
            .values(unreachable_since=to_db_time(now), unreachable_reason=reason[:200])
            .returning(table.c.id)
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    chosen = select(ChatBinding).where(col(ChatBinding.id).in_(ids)).order_by(col(ChatBinding.id))
    return list(session.exec(chosen.execution_options(populate_existing=True)))


def unreachable_chats(*, session: Session) -> list[ChatBinding]:
    """Return the bound chats the platform refuses to deliver to."""
    return list(
        session.exec(
            select(ChatBinding).where(col(ChatBinding.unreachable_since).is_not(None)).order_by(col(ChatBinding.id))
        )
    )


def identity_by_chat(*, session: Session, platform: str, chat_id: str) -> Identity | None:
    """Return the identity whose private chat this is."""
    return session.exec(select(Identity).where(Identity.platform == platform, Identity.chat_id == chat_id)).first()
