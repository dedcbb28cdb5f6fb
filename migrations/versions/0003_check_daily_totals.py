"""check daily totals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision, counting the results already stored."""
    op.create_table(
        "checkdailytotal",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "community"),
    )
    op.execute(
        "INSERT INTO checkdailytotal (day, community, checked, alerts, referrals) "
        "SELECT day, community, COUNT(*), "
        "SUM(CASE WHEN is_alert THEN 1 ELSE 0 END), SUM(CASE WHEN is_referral THEN 1 ELSE 0 END) "
        "FROM checkresult GROUP BY day, community"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("checkdailytotal")
