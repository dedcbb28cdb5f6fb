"""referrals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("person", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_chased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["checkresult.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["screeningtarget.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["screeningvisit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referral_community", "referral", ["community"], unique=False)
    op.create_index("ix_referral_status_updated", "referral", ["status", "updated_at"], unique=False)
    op.create_table(
        "referralstep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referralstep_referral_id", "referralstep", ["referral_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_referralstep_referral_id", table_name="referralstep")
    op.drop_table("referralstep")
    op.drop_index("ix_referral_status_updated", table_name="referral")
    op.drop_index("ix_referral_community", table_name="referral")
    op.drop_table("referral")
