"""an index for the latest outbox messages of one chat

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: a typed answer finds the buttons its chat was just shown without scanning the outbox."""
    op.create_index("ix_outbox_chat", "outboxmessage", ["platform", "chat_id", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_chat", table_name="outboxmessage")
