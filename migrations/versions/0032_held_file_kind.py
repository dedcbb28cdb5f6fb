"""held file kind: a screening list's token and a duty roster's token answer only their own command

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30 05:30:00

Files held before this revision were nearly all screening lists (the roster upload is newer); an undecided roster
held across the upgrade is refused as unknown, and its sender sends it again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pendingimport") as batch:
        batch.add_column(
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="screening")
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("pendingimport") as batch:
        batch.drop_column("kind")
