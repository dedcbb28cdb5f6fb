"""alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("raised_by", sa.Integer(), nullable=True),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("full", sa.JSON(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("next_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["acked_by"], ["member.id"]),
        sa.ForeignKeyConstraint(["check_id"], ["checkresult.id"]),
        sa.ForeignKeyConstraint(["raised_by"], ["member.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["screeningvisit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_next_at", "alert", ["next_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_alert_next_at", table_name="alert")
    op.drop_table("alert")
