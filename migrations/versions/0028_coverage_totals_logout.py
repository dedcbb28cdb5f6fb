"""running coverage totals of the screening ledger per community and compound; dashboard sessions that end at logout

Revision ID: 0028
Revises: 0025
Create Date: 2026-11-30 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision, counting the ledger already stored."""
    op.create_table(
        "coveragetotal",
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("compound", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("targets", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community", "compound"),
    )
    op.execute(
        "INSERT INTO coveragetotal (community, compound, targets, verified) "
        "SELECT COALESCE(community, ''), COALESCE(compound, ''), COUNT(*), "
        "SUM(CASE WHEN status = 'verified' THEN 1 ELSE 0 END) "
        "FROM screeningtarget GROUP BY COALESCE(community, ''), COALESCE(compound, '')"
    )
    with op.batch_alter_table("dashboardlogin") as batch:
        batch.add_column(sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("dashboardlogin") as batch:
        batch.drop_column("ended_at")
    op.drop_table("coveragetotal")
