"""Whole JSON values with personal data sealed at rest; the phone's blind index of checks and referrals; incident alerts

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 05:45:00

An alert's full lines, a form draft's answers, every outbox payload and every stored inbound delivery become sealed
JSON text. The values already stored are sealed in place, and the new phone indexes filled, in this migration's
transaction, under the data key that ``lianfang db upgrade`` (or any start) installs from the settings. An alert
raised for an urgent incident now names it, so erasing the incident erases the alert's full lines too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from alembic.operations import BatchOperations
from lianfang.models.rekey import SealedColumn, by_table, fill_indexes, has_values, open_table, reseal_table
from lianfang.models.sealed import INDEX_LENGTH, DataKeyError, installed_keyring

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALERT = "alert"
INCIDENT_COLUMN = "incident_id"
INCIDENT_KEY = "fk_alert_incident_id_incident"
INCIDENT_TITLE = "incident.alert_title"
"""The locale key of an incident alert's first line, whose ``number`` is the incident's."""
SEALED_JSON = (
    SealedColumn(ALERT, "full", "alert.full"),
    SealedColumn("draft", "data", "draft.data"),
    SealedColumn("inboxevent", "payload", "inboxevent.payload"),
    SealedColumn("outboxmessage", "payload", "outboxmessage.payload"),
)
PHONE_INDEXES = (
    SealedColumn("checkresult", "phone", "checkresult.phone", "phone_index"),
    SealedColumn("referral", "phone", "referral.phone", "phone_index"),
)


def _index_name(column: SealedColumn) -> str:
    return f"ix_{column.table}_{column.index}"


def _require_key(columns: Sequence[SealedColumn]) -> None:
    """Refuse, before any change, to work on stored values without a data key: the database stays as it was."""
    connection = op.get_bind()
    if any(has_values(connection, table, group) for table, group in by_table(columns).items()):
        try:
            installed_keyring()
        except DataKeyError as error:
            raise DataKeyError(f"{error}; it is needed to seal the personal data already stored") from None


def _retype(
    batch_op: BatchOperations,
    sealed: SealedColumn,
    old: sa.types.TypeEngine[object],
    new: sa.types.TypeEngine[object],
    cast: str,
) -> None:
    """Change a column's type: in place on PostgreSQL (through a cast), by copying the table on SQLite."""
    batch_op.alter_column(
        sealed.name,
        existing_type=old,
        type_=new,
        existing_nullable=False,
        postgresql_using=f'"{sealed.name}"::{cast}',  # quoted: ``full`` is a keyword
    )


def _link_incident_alerts() -> None:
    """Point the alerts raised for urgent incidents at their incident: their first masked line names its number."""
    connection = op.get_bind()
    alert = sa.table(
        ALERT,
        sa.column("id", sa.Integer()),
        sa.column("check_id", sa.Integer()),
        sa.column("visit_id", sa.Integer()),
        sa.column(INCIDENT_COLUMN, sa.Integer()),
        sa.column("masked", sa.JSON()),
    )
    incident = sa.table("incident", sa.column("id", sa.Integer()))
    unlinked = sa.select(alert.c.id, alert.c.masked).where(
        alert.c.check_id.is_(None), alert.c.visit_id.is_(None), alert.c[INCIDENT_COLUMN].is_(None)
    )
    known = set(connection.execute(sa.select(incident.c.id)).scalars())
    for alert_id, masked in connection.execute(unlinked).all():
        head = masked[0] if masked else {}
        number = head.get("params", {}).get("number") if head.get("key") == INCIDENT_TITLE else None
        if number in known:
            statement = alert.update().where(alert.c.id == alert_id).values({INCIDENT_COLUMN: number})
            connection.execute(statement)


def upgrade() -> None:
    """Apply this revision."""
    _require_key((*SEALED_JSON, *PHONE_INDEXES))
    for sealed in SEALED_JSON:
        with op.batch_alter_table(sealed.table) as batch_op:
            # PostgreSQL keeps a json value's text as it was written: the cast gives it back unchanged.
            _retype(batch_op, sealed, sa.JSON(), sa.Text(), "text")
            if sealed.table == ALERT:
                batch_op.add_column(sa.Column(INCIDENT_COLUMN, sa.Integer(), nullable=True))
                batch_op.create_foreign_key(INCIDENT_KEY, "incident", [INCIDENT_COLUMN], ["id"])
    _link_incident_alerts()
    for indexed in PHONE_INDEXES:
        assert indexed.index is not None
        column = sa.Column(indexed.index, sqlmodel.sql.sqltypes.AutoString(length=INDEX_LENGTH), nullable=True)
        op.add_column(indexed.table, column)
        op.create_index(_index_name(indexed), indexed.table, [indexed.index])
    connection = op.get_bind()
    for table, columns in by_table(SEALED_JSON).items():
        reseal_table(connection, table, columns)
    for indexed in PHONE_INDEXES:
        fill_indexes(connection, indexed)


def downgrade() -> None:
    """Revert this revision: every JSON value back to plaintext JSON (this needs the data key too)."""
    connection = op.get_bind()
    for table, columns in by_table(SEALED_JSON).items():
        if has_values(connection, table, columns):
            open_table(connection, table, columns)
    for sealed in SEALED_JSON:
        with op.batch_alter_table(sealed.table) as batch_op:
            _retype(batch_op, sealed, sa.Text(), sa.JSON(), "json")
            if sealed.table == ALERT:
                batch_op.drop_constraint(INCIDENT_KEY, type_="foreignkey")
                batch_op.drop_column(INCIDENT_COLUMN)
    for indexed in PHONE_INDEXES:
        assert indexed.index is not None
        op.drop_index(_index_name(indexed), table_name=indexed.table)
        op.drop_column(indexed.table, indexed.index)
