"""indexes for the daily report's ledger and referral figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_screeningtarget_status", "screeningtarget", ["status"], unique=False)
    op.create_index("ix_screeningvisit_day", "screeningvisit", ["day"], unique=False)
    op.create_index("ix_referral_created_at", "referral", ["created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_referral_created_at", table_name="referral")
    op.drop_index("ix_screeningvisit_day", table_name="screeningvisit")
    op.drop_index("ix_screeningtarget_status", table_name="screeningtarget")
