"""files and photos kept as a form's answer: a 督办 item's 批示, a market inspection's photo

Revision ID: 0025
Revises: 0023
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_supervisionitem_attachment_id_keptfile"
PHOTO_KEY = "fk_marketinspection_photo_id_keptfile"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "keptfile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervisionitem") as batch:
        batch.add_column(sa.Column("attachment_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(FOREIGN_KEY, "keptfile", ["attachment_id"], ["id"])
    # photo_file_id was never written (no photo could be sent); the photo is now a kept file
    with op.batch_alter_table("marketinspection") as batch:
        batch.drop_column("photo_file_id")
        batch.add_column(sa.Column("photo_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(PHOTO_KEY, "keptfile", ["photo_id"], ["id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("marketinspection") as batch:
        batch.drop_constraint(PHOTO_KEY, type_="foreignkey")
        batch.drop_column("photo_id")
        batch.add_column(
            sa.Column("photo_file_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("supervisionitem") as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("attachment_id")
    op.drop_table("keptfile")
