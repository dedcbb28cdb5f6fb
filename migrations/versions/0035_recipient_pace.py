"""recipient pace: the recent sends per recipient, so several instances keep one WeCom member's limit together

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-30 13:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "recipientpace",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("sent", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "recipient"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("recipientpace")
