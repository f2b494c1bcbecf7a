"""Database helpers for the bulk paths: INSERT … ON CONFLICT (target) DO NOTHING, chunking."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jxjd.extensions import db

T = TypeVar("T")
CHUNK = 2000


def insert_ignoring_conflicts(table: sa.Table | Any, *, conflict_target: Sequence[str]) -> Any:
    """An INSERT that skips rows whose `conflict_target` columns are already taken.

    The target is required: a bare ON CONFLICT DO NOTHING would also swallow a collision on
    any other unique column (a primary key behind its sequence, say), so rows would vanish
    silently. With the target named, such a collision is an error, as it should be.
    """
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(conflict_target))


def dialect_insert(table: sa.Table | Any) -> Any:
    """The database's own INSERT construct (PostgreSQL or SQLite), which knows ON CONFLICT."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items (bounded IN lists and statement sizes)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def execute_dml(statement: sa.Executable) -> int:
    """Run an UPDATE or DELETE in the request's transaction; the number of rows it matched."""
    result = db.session.execute(statement)
    return cast("sa.CursorResult[Any]", result).rowcount


def begin_immediate_on_sqlite() -> None:
    """Take SQLite's write lock at the start of a writing request.

    SQLite in WAL mode refuses to upgrade a read transaction to a write once another writer has
    committed (SQLITE_BUSY_SNAPSHOT, which the busy timeout cannot wait out). Taking the write
    lock first makes concurrent writers queue on the busy timeout instead. PostgreSQL needs
    nothing here: its row locks and ON CONFLICT handle concurrent writers.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return
    connection = db.session.connection()
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
