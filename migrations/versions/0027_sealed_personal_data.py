"""ID numbers and phones encrypted at rest (AES-GCM), with a blind index for finding a ledger person by ID number

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 02:30:00

The values already stored are encrypted in place, in this migration's transaction, under the data key that
``lianfang db upgrade`` (or any start) installs from the settings, as every later write is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from lianfang.models.rekey import SealedColumn, by_table, open_table, reseal_table
from lianfang.models.sealed import DataKeyError, installed_keyring

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX_COLUMN = "id_number_index"
INDEX_NAME = "ix_screeningtarget_id_number_index"
SQLITE_UNIQUE = "uq_screeningtarget_id_number"
"""The name the naming convention below gives 0004's unnamed unique constraint on SQLite."""
POSTGRESQL_UNIQUE = "screeningtarget_id_number_key"
"""PostgreSQL's own name for 0004's unnamed unique constraint."""
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}

SEALED = (
    SealedColumn("checkresult", "phone", "checkresult.phone"),
    SealedColumn("dutyassignment", "phone", "dutyassignment.phone"),
    SealedColumn("incident", "people", "incident.people"),
    SealedColumn("screeningtarget", "id_number", "screeningtarget.id_number", INDEX_COLUMN),
    SealedColumn("screeningtarget", "phone", "screeningtarget.phone"),
    SealedColumn("screeningtargetchange", "old_value", "screeningtargetchange.old_value"),
    SealedColumn("referral", "phone", "referral.phone"),
)
PLAIN_TYPES = {
    ("checkresult", "phone"): (32, True),
    ("dutyassignment", "phone"): (32, False),
    ("incident", "people"): (500, False),
    ("screeningtarget", "id_number"): (18, True),
    ("screeningtarget", "phone"): (32, True),
    ("screeningtargetchange", "old_value"): (200, False),
    ("referral", "phone"): (32, True),
}
"""Each column's length and nullability before this revision."""


def _unique_name() -> str:
    return SQLITE_UNIQUE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_UNIQUE


def _sqlite_foreign_keys(*, on: bool) -> None:
    """Turn SQLite's foreign keys off to rebuild a table others point at (SQLite's own procedure), or back on.

    The pragma is ignored inside a transaction, so the work so far is committed first: at the start that is the
    revisions before, complete and stamped; at the end it is this one, after a check that every reference holds.
    """
    dbapi = op.get_bind().connection.dbapi_connection
    assert dbapi is not None
    if on:
        broken = dbapi.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"revision 0027 left broken references: {broken[:5]}")
    dbapi.commit()
    dbapi.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _has_values(table: str, columns: Sequence[SealedColumn]) -> bool:
    condition = " OR ".join(f"({c.name} IS NOT NULL AND {c.name} <> '')" for c in columns)
    return op.get_bind().execute(sa.text(f"SELECT 1 FROM {table} WHERE {condition} LIMIT 1")).first() is not None


def upgrade() -> None:
    """Apply this revision."""
    stored = [table for table, columns in by_table(SEALED).items() if _has_values(table, columns)]
    if stored:  # before any change: a refusal leaves the database as it was
        try:
            installed_keyring()
        except DataKeyError as error:
            raise DataKeyError(f"{error}; it is needed to encrypt the ID numbers and phones already stored") from None
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(on=False)
    # done already when SQLite stopped between this revision's last commit and its stamp: only the sealing is left
    rebuilt = INDEX_COLUMN in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("screeningtarget")}
    for table, columns in ({} if rebuilt else by_table(SEALED)).items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            for sealed in columns:
                length, nullable = PLAIN_TYPES[(table, sealed.name)]
                batch_op.alter_column(
                    sealed.name,
                    existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                    type_=sa.Text(),
                    existing_nullable=nullable,
                )
            if table == "screeningtarget":
                batch_op.drop_constraint(_unique_name(), type_="unique")
                batch_op.add_column(sa.Column(INDEX_COLUMN, sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
                batch_op.create_index(INDEX_NAME, [INDEX_COLUMN], unique=True)
    connection = op.get_bind()
    for table in stored:
        reseal_table(connection, table, by_table(SEALED)[table])
    if sqlite:
        _sqlite_foreign_keys(on=True)


def downgrade() -> None:
    """Revert this revision: every value back to plaintext (this needs the data key too)."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(on=False)
    for table, columns in by_table(SEALED).items():
        if _has_values(table, columns):
            open_table(connection, table, columns)
    for table, columns in by_table(SEALED).items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            if table == "screeningtarget":
                batch_op.drop_index(INDEX_NAME)
                batch_op.drop_column(INDEX_COLUMN)
                batch_op.create_unique_constraint(_unique_name(), ["id_number"])
            for sealed in columns:
                length, nullable = PLAIN_TYPES[(table, sealed.name)]
                batch_op.alter_column(
                    sealed.name,
                    existing_type=sa.Text(),
                    type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                    existing_nullable=nullable,
                )
    if sqlite:
        _sqlite_foreign_keys(on=True)
