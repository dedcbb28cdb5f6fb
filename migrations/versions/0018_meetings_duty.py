"""meetings with attendees and decisions; the duty roster with its check-ins and each day's leader on duty

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("agenda", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=True),
        sa.Column("series", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("minutes_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organiser_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series", "day", name="uq_meeting_series_day"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_starts_at", ["starts_at"], unique=False)
    op.create_table(
        "meetingattendee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("checked_in_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_meetingattendee_meeting_member"),
    )
    with op.batch_alter_table("meetingattendee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetingattendee_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetingattendee_member_id"), ["member_id"], unique=False)
    op.create_table(
        "meetingdecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("owner_group", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meetingdecision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetingdecision_meeting_id"), ["meeting_id"], unique=False)
    op.create_table(
        "dutyassignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("checked_in_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("handover_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("handover_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "shift", "member_id", name="uq_dutyassignment_day_shift_member"),
    )
    with op.batch_alter_table("dutyassignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dutyassignment_day"), ["day"], unique=False)
        batch_op.create_index("ix_dutyassignment_member_day", ["member_id", "day"], unique=False)
    op.create_table(
        "dutyleader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )
    op.create_table(
        "dutyswap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("from_member_id", sa.Integer(), nullable=False),
        sa.Column("to_member_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["dutyassignment.id"]),
        sa.ForeignKeyConstraint(["from_member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["to_member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dutyswap", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dutyswap_assignment_id"), ["assignment_id"], unique=False)

    op.create_table(
        "leave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["approver_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.create_index("ix_leave_member_days", ["member_id", "start_day", "end_day"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("leave")
    op.drop_table("meetingdecision")
    op.drop_table("meetingattendee")
    op.drop_table("meeting")
    op.drop_table("dutyswap")
    op.drop_table("dutyleader")
    with op.batch_alter_table("dutyassignment", schema=None) as batch_op:
        batch_op.drop_index("ix_dutyassignment_member_day")
        batch_op.drop_index(batch_op.f("ix_dutyassignment_day"))
    op.drop_table("dutyassignment")
