"""superseded daily report versions, and bound chats the platform refuses

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dailyreportversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("is_nil", sa.Boolean(), nullable=False),
        sa.Column("is_late", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("superseded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["dailyreport.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dailyreportversion_day_group", "dailyreportversion", ["day", "group_key", "id"], unique=False)
    with op.batch_alter_table("chatbinding") as batch:
        batch.add_column(sa.Column("unreachable_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("unreachable_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("chatbinding") as batch:
        batch.drop_column("unreachable_reason")
        batch.drop_column("unreachable_since")
    op.drop_index("ix_dailyreportversion_day_group", table_name="dailyreportversion")
    op.drop_table("dailyreportversion")
