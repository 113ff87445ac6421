"""A portable logical dump of the whole database, and its load into an empty one.

Chosen over SQLite's backup API or ``pg_dump`` because one format serves both engines (and moves an
instance from SQLite to PostgreSQL): every table the database holds (reflected, so tables added by later
migrations come along without a change here) is read through SQLAlchemy inside **one read transaction**
(SQLite: an explicit ``BEGIN``, whose WAL snapshot starts at the first read; PostgreSQL: ``REPEATABLE READ
READ ONLY``), so the dump is one consistent moment even while others publish.

Data form of a dump (JSON): ``{"revision": "<alembic revision>", "tables": [{"name", "columns",
"kinds", "rows"}]}`` in dependency order (parents first). ``kinds`` says how a column's values are written:
``json`` (the stored JSON text, so SQL NULL and JSON ``null`` stay apart), ``datetime``/``date``/``time``
(ISO 8601), ``binary`` (base64), ``decimal`` (text) or ``plain``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Connection, Engine, MetaData, Table, Text, cast, func, select, text
from sqlalchemy import types as sqltypes

VERSION_TABLE = "alembic_version"
SKIPPED = {VERSION_TABLE, "sqlite_sequence"}  # the schema revision travels apart; SQLite's own bookkeeping


def _kind(column_type: Any) -> str:
    if isinstance(column_type, sqltypes.JSON):
        return "json"
    if isinstance(column_type, sqltypes.DateTime):
        return "datetime"
    if isinstance(column_type, sqltypes.Date):
        return "date"
    if isinstance(column_type, sqltypes.Time):
        return "time"
    if isinstance(column_type, sqltypes._Binary):
        return "binary"
    if isinstance(column_type, sqltypes.Numeric) and not isinstance(column_type, sqltypes.Float):
        return "decimal"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "binary":
        return base64.b64encode(value).decode("ascii")
    return str(value)  # decimal


_DECODERS: dict[str, Callable[[str], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "binary": base64.b64decode,
    "decimal": decimal.Decimal,
}


def _decode(kind: str, value: Any) -> Any:
    import json

    if value is None or kind == "plain":
        return value
    if kind == "json":
        loaded = json.loads(value)
        return JSON.NULL if loaded is None else loaded  # JSON null, not SQL NULL (see restore_types)
    return _DECODERS[kind](value)


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection inside one read-only transaction that sees a single moment of the database."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            # pysqlite begins transactions only before writes; without this, each SELECT would see its own moment.
            connection.exec_driver_sql("BEGIN")
            try:
                yield connection
            finally:
                connection.rollback()
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        try:
            yield connection
        finally:
            connection.rollback()


def reflect(connection: Connection) -> MetaData:
    """Every table of the database *connection* is on, as it is now."""
    metadata = MetaData()
    metadata.reflect(connection)
    return metadata


def schema_revision(connection: Connection, metadata: MetaData) -> str | None:
    """The Alembic revision the database is at, or None for one never migrated."""
    if VERSION_TABLE not in metadata.tables:
        return None
    return connection.scalar(select(metadata.tables[VERSION_TABLE].c.version_num))


def data_tables(metadata: MetaData) -> list[Table]:
    """The tables holding data, parents before children."""
    return [t for t in metadata.sorted_tables if t.name not in SKIPPED]


def read_table(connection: Connection, table: Table) -> dict[str, Any]:
    """One table's rows in the dump's form (see the module docstring), in primary-key order."""
    kinds = [_kind(c.type) for c in table.columns]
    columns = [cast(c, Text) if k == "json" else c for c, k in zip(table.columns, kinds, strict=True)]
    order = list(table.primary_key.columns) or list(table.columns)
    rows = [
        [_encode(k, v) for k, v in zip(kinds, row, strict=True)]
        for row in connection.execute(select(*columns).order_by(*order))
    ]
    return {"name": table.name, "columns": [c.name for c in table.columns], "kinds": kinds, "rows": rows}


def dump(connection: Connection) -> dict[str, Any]:
    """The whole database seen by *connection* (call inside :func:`snapshot`)."""
    metadata = reflect(connection)
    return {
        "revision": schema_revision(connection, metadata),
        "tables": [read_table(connection, table) for table in data_tables(metadata)],
    }


def row_counts(connection: Connection, metadata: MetaData) -> dict[str, int]:
    """How many rows each data table holds."""
    return {
        t.name: connection.scalar(select(func.count()).select_from(t)) or 0 for t in data_tables(metadata)
    }


def restore_types(table: Table) -> None:
    """Let *table*'s JSON columns store SQL NULL for None and JSON ``null`` for ``JSON.NULL``."""
    for column in table.columns:
        if isinstance(column.type, sqltypes.JSON):
            column.type = JSON(none_as_null=True)


def load(connection: Connection, dumped: dict[str, Any], *, batch: int = 1000) -> None:
    """Insert the dump's rows into the matching (empty) tables, parents first, inside the caller's
    transaction; on PostgreSQL set each serial column's sequence past the highest restored value."""
    metadata = reflect(connection)
    for item in dumped["tables"]:
        table = metadata.tables[item["name"]]
        restore_types(table)
        names, kinds = item["columns"], item["kinds"]
        rows = [{n: _decode(k, v) for n, k, v in zip(names, kinds, row, strict=True)} for row in item["rows"]]
        for start in range(0, len(rows), batch):
            connection.execute(table.insert(), rows[start : start + batch])
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, table)


def _reset_sequences(connection: Connection, table: Table) -> None:
    for column in table.primary_key.columns:
        if not isinstance(column.type, sqltypes.Integer):
            continue
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        )
        if sequence:  # names from reflection, quoted; never data
            quote = connection.dialect.identifier_preparer.quote
            connection.execute(
                text(
                    f"SELECT setval(:sequence, coalesce(max({quote(column.name)}), 1), count(*) > 0)"
                    f" FROM {quote(table.name)}"
                ),
                {"sequence": sequence},
            )
