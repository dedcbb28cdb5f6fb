"""member lifecycle: deactivation with a reason, revoked invites, relink codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision; members and invites stored before it are active and unrevoked."""
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("deactivated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("deactivation_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    with op.batch_alter_table("invite") as batch:
        batch.add_column(sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("relink", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("invite") as batch:
        batch.drop_column("relink")
        batch.drop_column("revoked_at")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("deactivation_reason")
        batch.drop_column("deactivated_at")
