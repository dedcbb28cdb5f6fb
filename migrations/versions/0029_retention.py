"""retention: the emergency's end date, the marks of erased records, and the access log by member and time

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "emergency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("table_name", "row_id", name="uq_erasure_table_row"),
    )
    op.create_index("ix_auditentry_member_at", "auditentry", ["member_id", "at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_auditentry_member_at", table_name="auditentry")
    op.drop_table("erasure")
    op.drop_table("emergency")
