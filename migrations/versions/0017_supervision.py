"""督办 items, their history, and 督查 inspections

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", text(length=16), nullable=False),
        sa.Column("subject", text(length=64), nullable=False),
        sa.Column("owner_group", text(length=32), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["inspector_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspection_day", "inspection", ["day"], unique=False)
    op.create_table(
        "supervisionitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("source", text(length=16), nullable=False),
        sa.Column("reference", text(length=64), nullable=False),
        sa.Column("content", text(length=500), nullable=False),
        sa.Column("lead_group", text(length=32), nullable=False),
        sa.Column("assist_groups", text(length=200), nullable=False),
        sa.Column("priority", text(length=8), nullable=False),
        sa.Column("due_at", moment(), nullable=False),
        sa.Column("state", text(length=16), nullable=False),
        sa.Column("accepted_at", moment(), nullable=True),
        sa.Column("last_activity_at", moment(), nullable=False),
        sa.Column("requested_due_at", moment(), nullable=True),
        sa.Column("request_reason", text(length=1000), nullable=False),
        sa.Column("closed_at", moment(), nullable=True),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("red_repeats", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["creator_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisionitem_state_due", "supervisionitem", ["state", "due_at"], unique=False)
    op.create_index("ix_supervisionitem_group_state", "supervisionitem", ["lead_group", "state"], unique=False)
    op.create_index("ix_supervisionitem_closed_at", "supervisionitem", ["closed_at"], unique=False)
    op.create_index("ix_supervisionitem_created_at", "supervisionitem", ["created_at"], unique=False)
    op.create_index("ix_supervisionitem_inspection_id", "supervisionitem", ["inspection_id"], unique=False)
    op.create_table(
        "supervisionevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", moment(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("action", text(length=16), nullable=False),
        sa.Column("note", text(length=1000), nullable=False),
        sa.Column("due_at", moment(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["supervisionitem.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisionevent_item_id", "supervisionevent", ["item_id"], unique=False)
    op.create_table(
        "supervisionshare",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("group_key", text(length=32), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["supervisionitem.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisionshare_group_item", "supervisionshare", ["group_key", "item_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_supervisionshare_group_item", table_name="supervisionshare")
    op.drop_table("supervisionshare")
    op.drop_index("ix_supervisionevent_item_id", table_name="supervisionevent")
    op.drop_table("supervisionevent")
    for name in ("inspection_id", "created_at", "closed_at", "group_state", "state_due"):
        op.drop_index(f"ix_supervisionitem_{name}", table_name="supervisionitem")
    op.drop_table("supervisionitem")
    op.drop_index("ix_inspection_day", table_name="inspection")
    op.drop_table("inspection")
