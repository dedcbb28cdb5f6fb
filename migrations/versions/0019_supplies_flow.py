"""supplies flow: request steps, purchases, stock levels, movements and batches; market inspections, incidents

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString
Time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("supplyneed") as batch:
        batch.add_column(sa.Column("updated_at", Time(), nullable=True))
        batch.add_column(sa.Column("approved_quantity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decision_note", Text(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("source", Text(length=8), nullable=False, server_default=""))
        batch.add_column(sa.Column("place", Text(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("issued_to", Text(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("received_quantity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("shortfall", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE supplyneed SET updated_at = created_at")
    op.create_index("ix_supplyneed_status_updated", "supplyneed", ["status", "updated_at"], unique=False)
    op.create_table(
        "supplystep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("status", Text(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at", Time(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("note", Text(length=200), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["supplyneed.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supplystep_need_id", "supplystep", ["need_id"], unique=False)
    op.create_table(
        "purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("item", Text(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("supplier", Text(length=64), nullable=False),
        sa.Column("unit_price_fen", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("budget_line", Text(length=32), nullable=False),
        sa.Column("status", Text(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Time(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by"], ["member.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["supplyneed.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_purchase_budget_line", "purchase", ["budget_line"], unique=False)
    op.create_table(
        "stocklevel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item", Text(length=64), nullable=False),
        sa.Column("place", Text(length=32), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("updated_at", Time(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item", "place", name="uq_stocklevel_item_place"),
    )
    op.create_table(
        "stockmovement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", Time(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", Text(length=16), nullable=False),
        sa.Column("item", Text(length=64), nullable=False),
        sa.Column("place", Text(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("source", Text(length=16), nullable=False),
        sa.Column("batch", Text(length=32), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("reason", Text(length=200), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["supplyneed.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stockmovement_item_place_day", "stockmovement", ["item", "place", "day"], unique=False)
    op.create_table(
        "stockbatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item", Text(length=64), nullable=False),
        sa.Column("place", Text(length=32), nullable=False),
        sa.Column("batch", Text(length=32), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stockbatch_item_place", "stockbatch", ["item", "place"], unique=False)
    op.create_index("ix_stockbatch_expiry", "stockbatch", ["expiry"], unique=False)

    op.create_table(
        "marketinspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", Time(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("market", Text(length=64), nullable=False),
        sa.Column("checked", Text(length=64), nullable=False),
        sa.Column("findings", Text(length=500), nullable=False),
        sa.Column("action", Text(length=16), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("photo_file_id", Text(length=200), nullable=False),
        sa.Column("followed_up_at", Time(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_marketinspection_day", "marketinspection", ["day"], unique=False)
    op.create_table(
        "marketclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market", Text(length=64), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", Time(), nullable=False),
        sa.Column("lifted_at", Time(), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["inspection_id"], ["marketinspection.id"]),
        sa.ForeignKeyConstraint(["lifted_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_marketclosure_market", "marketclosure", ["market"], unique=False)
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", Time(), nullable=False),
        sa.Column("updated_at", Time(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", Text(length=16), nullable=False),
        sa.Column("community", Text(length=32), nullable=False),
        sa.Column("place", Text(length=200), nullable=False),
        sa.Column("occurred", Text(length=32), nullable=False),
        sa.Column("description", Text(length=1000), nullable=False),
        sa.Column("people", Text(length=500), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", Text(length=16), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_day", "incident", ["day"], unique=False)
    op.create_index("ix_incident_status", "incident", ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_incident_status", table_name="incident")
    op.drop_index("ix_incident_day", table_name="incident")
    op.drop_table("incident")
    op.drop_index("ix_marketclosure_market", table_name="marketclosure")
    op.drop_table("marketclosure")
    op.drop_index("ix_marketinspection_day", table_name="marketinspection")
    op.drop_table("marketinspection")
    op.drop_index("ix_stockbatch_expiry", table_name="stockbatch")
    op.drop_index("ix_stockbatch_item_place", table_name="stockbatch")
    op.drop_table("stockbatch")
    op.drop_index("ix_stockmovement_item_place_day", table_name="stockmovement")
    op.drop_table("stockmovement")
    op.drop_table("stocklevel")
    op.drop_index("ix_purchase_budget_line", table_name="purchase")
    op.drop_table("purchase")
    op.drop_index("ix_supplystep_need_id", table_name="supplystep")
    op.drop_table("supplystep")
    op.drop_index("ix_supplyneed_status_updated", table_name="supplyneed")
    with op.batch_alter_table("supplyneed") as batch:
        for column in (
            "shortfall",
            "received_quantity",
            "issued_to",
            "place",
            "source",
            "decision_note",
            "approved_quantity",
            "updated_at",
        ):
            batch.drop_column(column)
