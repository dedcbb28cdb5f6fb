"""the kind of an outbox message's failure in its own column

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("failed", "refused", "migrated", "outage", "privacy")
"""The values of ``FailureKind`` as this revision knows them."""
KIND_LENGTH = 16
STATUS_FAILED = "failed"
REASON_PREFIXES = {
    "refused": ("forbidden",),
    "migrated": ("migrated",),
    "outage": ("network", "token", "telegram_error", "wecom_error"),
}
"""How the adapters began the reason of each kind before the kind was stored (the rest were plain failures)."""
REASON_PRIVACY = "privacy"

outbox = sa.table(
    "outboxmessage", sa.column("status", sa.String()), sa.column("error", sa.String()), sa.column("failure_kind")
)


def upgrade() -> None:
    """Apply this revision; messages that failed before it get the kind their reason told."""
    kind = sa.Enum(*KINDS, name="failurekind", native_enum=False, length=KIND_LENGTH)
    op.add_column("outboxmessage", sa.Column("failure_kind", kind, nullable=True))
    failed = outbox.c.status == STATUS_FAILED
    for value, prefixes in REASON_PREFIXES.items():
        # The last time a reason prefix is read: from now on the kind is stored when a message fails.
        matches = sa.or_(*(outbox.c.error.like(f"{prefix}%") for prefix in prefixes))
        op.execute(outbox.update().where(failed, outbox.c.failure_kind.is_(None), matches).values(failure_kind=value))
    op.execute(
        outbox.update()
        .where(failed, outbox.c.failure_kind.is_(None), outbox.c.error == REASON_PRIVACY)
        .values(failure_kind="privacy")
    )
    op.execute(outbox.update().where(failed, outbox.c.failure_kind.is_(None)).values(failure_kind="failed"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_column("failure_kind")
