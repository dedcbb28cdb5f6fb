"""key persons under observation

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("last_exposure", sa.Date(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("close_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("close_note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["checkresult.id"]),
        sa.ForeignKeyConstraint(["closed_by"], ["member.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["screeningtarget.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["screeningvisit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observation_check_id"), ["check_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_observation_target_id"), ["target_id"], unique=False)
        batch_op.create_index("ix_observation_member_status", ["member_id", "status", "start_on"], unique=False)
        batch_op.create_index("ix_observation_start_on", ["start_on"], unique=False)
        batch_op.create_index("ix_observation_closed_on", ["closed_on", "status"], unique=False)
        batch_op.create_index("ix_observation_status_start", ["status", "start_on"], unique=False)
    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("symptoms", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["observation_id"], ["observation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("observation_id", "day", name="uq_followup_observation_day"),
    )
    op.create_index("ix_followup_day_status", "followup", ["day", "status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_followup_day_status", table_name="followup")
    op.drop_table("followup")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_status_start")
        batch_op.drop_index("ix_observation_closed_on")
        batch_op.drop_index("ix_observation_start_on")
        batch_op.drop_index("ix_observation_member_status")
        batch_op.drop_index(batch_op.f("ix_observation_target_id"))
        batch_op.drop_index(batch_op.f("ix_observation_check_id"))
    op.drop_table("observation")
