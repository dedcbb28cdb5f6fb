"""files sealed at rest: documents waiting in the outbox, lists waiting for 确认, and files kept as answers

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-30 06:30:00

A document the outbox sends (an export of the ledger), a list held for its importer's 确认 and a photo kept with a
record can all hold personal data. Their bytes become sealed text (``SealedBytes``). Each table gets the sealed
copy in a new column, filled row by row in this migration's transaction under the data key that ``lianfang db
upgrade`` (or any start) installs; the old column then goes and the new one takes its name. The downgrade does the
same the other way.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from alembic import op
from lianfang.models.rekey import SealedColumn, has_values
from lianfang.models.sealed import DataKeyError, installed_keyring, seal_bytes, unseal_bytes

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILES = (
    SealedColumn("outgoingfile", "data", "outgoingfile.data", binary=True),
    SealedColumn("pendingimport", "data", "pendingimport.data", binary=True),
    SealedColumn("keptfile", "data", "keptfile.data", binary=True),
)
NEW = "data_new"
BATCH = 100
"""Rows converted at a time: files are large, so a batch is kept small."""


def _convert(
    column: SealedColumn,
    old: sa.types.TypeEngine[object],
    new: sa.types.TypeEngine[object],
    change: Callable[[Any], object],
) -> None:
    """Put each row's value, changed, in a new column of the new type; then the new column replaces the old."""
    connection = op.get_bind()
    op.add_column(column.table, sa.Column(NEW, new, nullable=True))
    table = sa.table(column.table, sa.column("id", sa.Integer()), sa.column(column.name, old), sa.column(NEW, new))
    todo = sa.select(table.c.id, table.c[column.name]).where(table.c[NEW].is_(None)).order_by(table.c.id)
    write = table.update().where(table.c.id == sa.bindparam("row_id")).values({NEW: sa.bindparam("value")})
    while rows := connection.execute(todo.limit(BATCH)).all():
        connection.execute(write, [{"row_id": row_id, "value": change(value)} for row_id, value in rows])
    with op.batch_alter_table(column.table) as batch_op:
        batch_op.drop_column(column.name)
        batch_op.alter_column(NEW, new_column_name=column.name, existing_type=new, nullable=False)


def _sealed(context: str, data: bytes) -> str:
    return seal_bytes(bytes(data), context=context) if data else ""  # bytes(): psycopg reads bytea as memoryview


def _opened(context: str, token: str) -> bytes:
    return unseal_bytes(token, context=context) if token else b""


def upgrade() -> None:
    """Apply this revision."""
    connection = op.get_bind()
    if any(has_values(connection, column.table, [column]) for column in FILES):
        try:
            installed_keyring()
        except DataKeyError as error:
            raise DataKeyError(f"{error}; it is needed to seal the files already stored") from None
    for column in FILES:
        _convert(column, sa.LargeBinary(), sa.Text(), partial(_sealed, column.context))


def downgrade() -> None:
    """Revert this revision: the files' bytes in the clear again (this needs the data key too)."""
    for column in FILES:
        _convert(column, sa.Text(), sa.LargeBinary(), partial(_opened, column.context))
