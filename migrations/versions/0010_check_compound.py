"""check result compound, for coverage per compound

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision; results stored before it have no compound and count under their community only."""
    with op.batch_alter_table("checkresult") as batch:
        batch.add_column(sa.Column("compound", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.create_index("ix_checkresult_community_compound", ["community", "compound"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("checkresult") as batch:
        batch.drop_index("ix_checkresult_community_compound")
        batch.drop_column("compound")
