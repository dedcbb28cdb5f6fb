"""dashboard login links (one-time, recorded when sent and marked when used); a coverage index on the ledger

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dashboardlogin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nonce"),
    )
    op.create_index(op.f("ix_dashboardlogin_member_id"), "dashboardlogin", ["member_id"], unique=False)
    op.create_index("ix_screeningtarget_coverage", "screeningtarget", ["community", "compound", "status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_screeningtarget_coverage", table_name="screeningtarget")
    op.drop_index(op.f("ix_dashboardlogin_member_id"), table_name="dashboardlogin")
    op.drop_table("dashboardlogin")
