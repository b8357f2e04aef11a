"""Temporary tables that carry a file's rows into set-based SQL, on SQLite and PostgreSQL alike.

A bulk path (an acknowledgement file, an import) loads what it read into a
temporary table of the session's own connection with one ``executemany``,
then joins it in ``UPDATE ... FROM``-like and ``INSERT ... SELECT``
statements, so the number of statements does not grow with the file.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from ..extensions import db

#: Rows per ``executemany`` call (SQLAlchemy batches them further into multi-row VALUES).
_CHUNK = 10_000


@contextmanager
def scratch_table(name: str, columns: Sequence[sa.Column], rows: Sequence[dict]) -> Iterator[sa.Table]:
    """Yield a temporary table ``name`` of ``columns`` holding ``rows``, seen only by this session.

    The table lives in the session's transaction: it is dropped when the
    block ends normally; after an error the caller's rollback takes it
    away (PostgreSQL), or the next use drops what is left (SQLite, where a
    temporary table outlives the transaction that made it).
    """
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    connection = db.session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    table.create(connection)
    # The driver's own executemany: plain ints, strings and booleans need none of SQLAlchemy's per-row processing.
    names = [column.name for column in columns]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    insert = f"INSERT INTO {name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    for start in range(0, len(rows), _CHUNK):
        connection.exec_driver_sql(insert, [tuple(row[n] for n in names) for row in rows[start:start + _CHUNK]])
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {name}")  # autovacuum never sees temporary tables
    yield table
    connection.exec_driver_sql(f"DROP TABLE {name}")
