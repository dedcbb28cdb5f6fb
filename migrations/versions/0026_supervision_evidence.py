"""a 督办 step's evidence: the photo or file sent with a progress note or a report of done

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_supervisionevent_evidence_id_keptfile"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("supervisionevent") as batch:
        batch.add_column(sa.Column("evidence_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(FOREIGN_KEY, "keptfile", ["evidence_id"], ["id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("supervisionevent") as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("evidence_id")
