"""the duty roster: assignments with their check-ins, and each day's leader on duty

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dutyassignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("checked_in_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
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


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("dutyleader")
    with op.batch_alter_table("dutyassignment", schema=None) as batch_op:
        batch_op.drop_index("ix_dutyassignment_member_day")
        batch_op.drop_index(batch_op.f("ix_dutyassignment_day"))
    op.drop_table("dutyassignment")
