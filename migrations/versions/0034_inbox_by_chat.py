"""the inbox by chat: a delivery is handled only after the earlier ones of its chat, whoever kept them

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-30 12:00:00

Each delivery kept looks up whether earlier ones of its chat are still waiting (a dead instance's, or another
instance's in progress). The index keeps that lookup short however long the inbox grows during an outage.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_inboxevent_chat", "inboxevent", ["platform", "chat_key", "id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_inboxevent_chat", table_name="inboxevent")
