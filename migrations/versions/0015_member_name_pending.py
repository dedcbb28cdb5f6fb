"""members who have not given their name yet

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision; members stored before it keep the name they have."""
    # A plain ADD COLUMN: a batch would copy the member table, which other tables' foreign keys refer to.
    op.add_column("member", sa.Column("name_pending", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("member") as batch:
        batch.drop_column("name_pending")
