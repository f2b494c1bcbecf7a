"""Database helpers for the bulk paths: ids reserved up front, COPY or one executemany, chunking.

The bulk writers (people, attendance records, certificates) read nothing back: their ids are
reserved before the insert (`reserve_ids`), and `bulk_insert` stores the rows with psycopg's
COPY on PostgreSQL or one executemany elsewhere, skipping rows whose named conflict target is
taken (never a bare ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar, cast

import psycopg
import sqlalchemy as sa
from flask import current_app, g
from psycopg import errors as psycopg_errors
from psycopg import pq, sql
from psycopg.adapt import Transformer
from psycopg.errors import UniqueViolation
from psycopg.pq.abc import PGresult
from psycopg.types.json import Json
from sqlalchemy.dialects import postgresql, sqlite

from jxjd.extensions import db
from jxjd.transactions import mark_written

T = TypeVar("T")
CHUNK = 2000
READER = "jxjd-reader"  # the application_name of the autocommit reader's PostgreSQL connections


def autocommit_reader() -> sa.Engine:
    """The engine of the hot read-only look-ups (verify, bearer tokens, QR images).

    On PostgreSQL its own pool in autocommit, without a ping per checkout: no BEGIN, no
    ROLLBACK, no SELECT 1 around one indexed query, and the request's ORM session is never
    started. Each look-up reads the latest committed state, so a revocation is seen at once.
    SQLite reads a local file: the app's engine serves.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return engine
    return _reader(engine).engine


class _Held(threading.local):
    """The reader connection a thread keeps checked out between its look-ups."""

    connection: Any = None
    generation = -1
    since = 0.0


@dataclass(eq=False)
class _Reader:
    """The autocommit reader of one app engine: its engine, and each thread's connection.

    A thread keeps one connection from the reader's pool for its look-ups (checking one out
    and in again costs about 25 µs of CPU, a third of the look-up). It is let go when the pool
    is disposed (the generation moves on; each thread lets go of its own at its next look-up),
    after any error on it, and after `pool_recycle` seconds when that is configured.
    """

    engine: sa.Engine
    recycle: float
    held: _Held = field(default_factory=_Held)
    generation: int = 0

    def connection(self) -> Any:
        held = self.held
        conn = held.connection
        if conn is not None:
            fresh = self.recycle < 0 or time.monotonic() - held.since < self.recycle
            if held.generation == self.generation and fresh:
                return conn
            self.let_go()
        conn = self.engine.raw_connection()
        held.connection, held.generation, held.since = conn, self.generation, time.monotonic()
        return conn

    def let_go(self) -> None:
        """Close this thread's connection (never reused after an error or a dispose)."""
        conn, self.held.connection = self.held.connection, None
        if conn is not None:
            conn.invalidate()

    def disposed(self) -> None:
        self.generation += 1
        self.let_go()


def _reader(engine: sa.Engine) -> _Reader:
    readers = current_app.extensions.setdefault("jxjd_autocommit_reader", {})
    reader = readers.get(engine)  # by the engine itself: hashing its URL costs more than a query
    if reader is None:
        options = {
            k: v
            for k, v in current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()
            if k != "pool_pre_ping"
        }
        # Named, so that its connections are told apart in pg_stat_activity.
        options["connect_args"] = {**options.get("connect_args", {}), "application_name": READER}
        reader = _Reader(
            sa.create_engine(
                engine.url, **options, isolation_level="AUTOCOMMIT", pool_pre_ping=False
            ),
            recycle=float(options.get("pool_recycle", -1)),
        )
        sa.event.listen(reader.engine, "engine_disposed", lambda _engine: reader.disposed())
        # Its connections go whenever the app's engine lets go of its own (a restore, a
        # database dropped after a test): none is left open for the garbage collector.
        sa.event.listen(engine, "engine_disposed", lambda _engine: reader.engine.dispose())
        readers[engine] = reader
    return reader


_COMPILED: dict[Any, str] = {}
_NAMES: dict[str, list[str]] = {}  # the column names of each prepared statement's rows
# Reads a request has announced (read_ahead), by (statement, params): None while waiting to be
# sent, then a one-element tuple holding the row that came back.
_AHEAD = "jxjd_read_ahead"


def read_ahead(statement: sa.Select, params: Mapping[str, Any]) -> None:
    """Announce a read_one this request will make: on PostgreSQL it rides to the server with
    the request's next read_one (one statement, one round trip for both), and the
    later read_one of the same statement and parameters takes its row without a query.

    For a view whose caller is looked up first (the bearer token) and whose own look-up does
    not depend on who asks: nothing read ahead is used before the caller is authorized.
    Elsewhere (SQLite reads a local file) nothing is announced.
    """
    if autocommit_reader().dialect.name == "postgresql":
        g.setdefault(_AHEAD, {})[(statement, _frozen(params))] = None


def forget_reads_ahead() -> None:
    """Drop what an earlier request in this app context read ahead (before every request)."""
    g.pop(_AHEAD, None)


def _frozen(params: Mapping[str, Any]) -> tuple:
    return tuple(sorted(params.items()))


def read_one(statement: sa.Select, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first row of a read on the autocommit reader, by column name (None if no row).

    `statement` is a module-level constant: on PostgreSQL it is compiled once and run as a
    prepared statement through fetch_prepared (libpq, on the thread's reader connection; no
    SQLAlchemy execution); timestamps come back in UTC as UTCDateTime gives them. A connection
    the server closed is replaced once. Reads announced with read_ahead go along.
    """
    engine = autocommit_reader()
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            first = conn.execute(statement, params).first()
        return dict(first._mapping) if first is not None else None
    ahead: dict[tuple, tuple | None] | None = g.get(_AHEAD)
    key = (statement, _frozen(params))
    if ahead:
        arrived = ahead.pop(key, None)
        if arrived is not None:
            return arrived[0]
        waiting = [k for k, v in ahead.items() if v is None]
        if waiting:
            rows = _read_together(engine, [key, *waiting])
            for k, row in zip(waiting, rows[1:], strict=True):
                ahead[k] = (row,)
            return rows[0]
    return _by_name(fetch_prepared(_compiled(engine, statement), params))


_TOGETHER: dict[tuple, tuple[str, list[int]]] = {}
_FOUND = "jxjd_found"


def _read_together(
    engine: sa.Engine, reads: list[tuple[sa.Select, tuple]]
) -> list[dict[str, Any] | None]:
    """Several single-row reads as one statement, each a LEFT JOIN LATERAL beside the others:
    one round trip and one execution (psycopg's pipeline mode cost more CPU than it saved)."""
    statements = tuple(s for s, _ in reads)
    combined = _TOGETHER.get(statements)
    if combined is None:
        taken = [set(s.compile().params) for s in statements]
        if sum(map(len, taken)) != len(set().union(*taken)):
            raise ValueError("statements read together need distinct parameter names")
        joins = "".join(
            f" LEFT JOIN LATERAL (SELECT true AS {_FOUND}, r.* FROM ({_compiled(engine, s)}) AS r"
            f" LIMIT 1) AS r{i} ON true"
            for i, s in enumerate(statements)
        )
        columns = ", ".join(f"r{i}.*" for i in range(len(statements)))
        widths = [1 + len(s.selected_columns) for s in statements]
        combined = _TOGETHER[statements] = (
            f"SELECT {columns} FROM (VALUES (1)) AS one{joins}",
            widths,
        )
    text, widths = combined
    params = {name: value for _, frozen in reads for name, value in frozen}
    found = fetch_prepared(text, params)
    assert found is not None  # the VALUES row is always there
    names, row = found
    rows: list[dict[str, Any] | None] = []
    start = 0
    for width in widths:
        part = row[start : start + width]
        rows.append(_by_name((names[start + 1 : start + width], part[1:])) if part[0] else None)
        start += width
    return rows


def _compiled(engine: sa.Engine, statement: sa.Select) -> str:
    text = _COMPILED.get(statement)
    if text is None:
        text = _COMPILED[statement] = str(statement.compile(dialect=engine.dialect))
    return text


def _by_name(found: tuple[list[str], tuple] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    names, row = found
    return {
        name: value.astimezone(UTC) if isinstance(value, datetime) else value
        for name, value in zip(names, row, strict=True)
    }


def fetch_prepared(text: str, params: Mapping[str, Any]) -> tuple[list[str], tuple] | None:
    """Column names and first row of a prepared statement on the PostgreSQL autocommit reader.

    psycopg's own types (no SQLAlchemy result processing). Errors are raised as SQLAlchemy's
    DBAPIError (so a database that is down is a 503); a connection the server closed is
    invalidated and the statement runs once more on a fresh one.
    """
    reader = _reader(db.engine)
    try:
        return _fetch_prepared(reader, text, params)
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The server ended this connection, and likely its idle siblings too (a restart, a
        # failover): start from a fresh pool rather than retry on the next dead one.
        reader.engine.dispose()
        return _fetch_prepared(reader, text, params)


# The statements fetch_prepared runs, by their text: the name each is prepared under on a
# connection, the text with libpq's $n placeholders, and the parameter names in $n order.
_STATEMENTS: dict[str, tuple[bytes, bytes, tuple[str, ...]]] = {}
_NUMBERED = itertools.count(1)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
# What a pooled reader connection keeps in its info (cleared when the connection is replaced):
# the names prepared on it, and the loader of its rows.
_PREPARED, _LOADER = "jxjd_prepared", "jxjd_loader"


def _statement(text: str) -> tuple[bytes, bytes, tuple[str, ...]]:
    """The prepared form of a statement written with psycopg's %(name)s placeholders."""
    found = _STATEMENTS.get(text)
    if found is None:
        names: list[str] = []

        def numbered(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "%"
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        query = _PLACEHOLDER.sub(numbered, text).encode()
        found = _STATEMENTS[text] = (f"jxjd_{next(_NUMBERED)}".encode(), query, tuple(names))
    return found


def _as_text(value: Any) -> bytes:
    """A parameter in PostgreSQL's text format (the server infers its type, as psycopg lets it).

    The look-ups bind serials, token hashes and ids; never NULL (a look-up by NULL finds nothing).
    """
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value).encode()
    raise TypeError(f"fetch_prepared takes text and integer parameters, not {type(value)!r}")


def _fetch_prepared(
    reader: _Reader, text: str, params: Mapping[str, Any]
) -> tuple[list[str], tuple] | None:
    """One statement through libpq's own prepare and execute (psycopg's PGconn), on the
    thread's reader connection.

    psycopg's cursor spends about 40 µs of CPU per execution on its query and prepare
    bookkeeping; the public look-up runs one statement per request, so it goes straight to
    libpq and loads its one row with psycopg's loaders (scripts/bench_verify.py).
    """
    name, query, order = _statement(text)
    values = [_as_text(params[key]) for key in order]
    dbapi_error = reader.engine.dialect.loaded_dbapi.Error
    conn = None
    try:
        conn = reader.connection()
        driver = cast("psycopg.Connection[Any]", conn.driver_connection)
        prepared: set[bytes] = conn.info.setdefault(_PREPARED, set())
        result = _run_prepared(driver, prepared, name, query, values)
        if result.ntuples == 0:
            return None
        loader = conn.info.get(_LOADER)
        if loader is None:
            loader = conn.info[_LOADER] = Transformer(driver)
        loader.set_pgresult(result)
        row = loader.load_row(0, tuple)
        loader.set_pgresult(None)
        names = _NAMES.get(text)
        if names is None:  # a statement's columns never change
            names = _NAMES[text] = [
                (result.fname(i) or b"").decode() for i in range(result.nfields)
            ]
    except dbapi_error as exc:
        gone = conn is not None and bool(conn.driver_connection.closed)
        reader.let_go()
        raise sa.exc.DBAPIError.instance(
            text, None, exc, dbapi_error, connection_invalidated=gone
        ) from exc
    except BaseException:
        reader.let_go()  # whatever state the connection was left in, it is not used again
        raise
    return names, row


def _run_prepared(
    driver: psycopg.Connection[Any],
    prepared: set[bytes],
    name: bytes,
    query: bytes,
    values: list[bytes],
) -> PGresult:
    """Execute a named statement, preparing it first on a connection that lacks it (also when
    the server has forgotten it, after a DEALLOCATE ALL); results come in binary."""
    pgconn = driver.pgconn
    for attempt in (1, 2):
        if name not in prepared:
            _checked(driver, pgconn.prepare(name, query))
            prepared.add(name)
        result = pgconn.exec_prepared(name, values, None, pq.Format.BINARY)
        if result.status == pq.ExecStatus.TUPLES_OK:
            return result
        state = result.error_field(pq.DiagnosticField.SQLSTATE)
        if state == _UNDEFINED_STATEMENT and attempt == 1:
            prepared.clear()  # the server dropped this connection's statements
            continue
        _checked(driver, result)
    raise AssertionError("unreachable")


_UNDEFINED_STATEMENT = b"26000"  # invalid_sql_statement_name: no such prepared statement


def _checked(driver: psycopg.Connection[Any], result: PGresult) -> None:
    """Raise psycopg's own error class for a failed result (SQLSTATE kept)."""
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        raise psycopg_errors.error_from_result(result, encoding=driver.info.encoding)


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


def in_batches(column: Any, values: Sequence[Any]) -> Iterator[sa.ColumnElement[bool]]:
    """`column IN values` as the conditions of the queries to run, one per batch: on PostgreSQL
    a single query, the values sent as one array (`= ANY(%s)`; thousands of placeholders cost
    more to send than the look-up); elsewhere an IN list per CHUNK values."""
    if not values:
        return
    if _dialect() == "postgresql":
        yield column == sa.any_(
            sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        )
        return
    for batch in chunked(values):
        yield column.in_(batch)


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


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def reserve_ids(table: sa.Table, count: int) -> list[int]:
    """Primary keys for `count` new rows of `table`, taken before the insert.

    PostgreSQL: a block from the table's sequence (one query; concurrent callers get disjoint
    blocks). SQLite: the next ids after the largest stored one; the upload holds the write lock
    (begin_immediate_on_sqlite), and a writer that did not would fail on commit, never collide
    silently.
    """
    if count <= 0:
        return []
    if _dialect() == "postgresql":
        # The sequence is looked up once (OFFSET 0 keeps the planner from doing it per row,
        # 30 ms for 10,000 ids) and the ids come back as one array.
        ids = db.session.scalar(
            sa.text(
                "SELECT array_agg(nextval(s.seq)) FROM (SELECT "
                "pg_get_serial_sequence(:table, 'id')::regclass AS seq OFFSET 0) AS s "
                "CROSS JOIN generate_series(1, :count)"
            ),
            {"table": table.name, "count": count},
        )
        return sorted(ids)
    start = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def bulk_insert(
    table: sa.Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    conflict_target: Sequence[str] | None = None,
    add_on_conflict: Sequence[str] = (),
) -> int:
    """Insert rows (all with the same keys) without reading anything back; the count stored.

    With `conflict_target`, rows whose target columns are already taken are skipped (the caller
    compares the count and reads back only when a concurrent writer won some rows), or, with
    `add_on_conflict`, the stored row gets those columns' values added to its own (a running
    sum; the count is then of the rows that were new, the others having been added to; the
    rows' conflict targets must then be distinct, as PostgreSQL requires of one upsert).

    Without a conflict target the rows may be a stream: they are stored as they come (the
    certificates of an upload, while they are still being signed).
    """
    if add_on_conflict and not conflict_target:
        raise ValueError("add_on_conflict needs a conflict_target")
    if conflict_target and not isinstance(rows, Sequence):
        rows = list(rows)  # read twice when conflicts are met
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return 0
    rows = itertools.chain((first,), stream)
    mark_written()  # past the ORM: tell the unit of work there is something to commit
    if _dialect() == "postgresql":
        return _copy_insert(table, first, rows, conflict_target, add_on_conflict)
    return _executemany_insert(table, first, rows, conflict_target, add_on_conflict)


def _executemany_insert(
    table: sa.Table,
    first: Mapping[str, Any],
    rows: Iterable[Mapping[str, Any]],
    conflict_target: Sequence[str] | None,
    add_on_conflict: Sequence[str] = (),
) -> int:
    """Elsewhere (SQLite): one positional executemany per batch, the columns' own bind processors.

    Adding on conflict is two statements per batch, which SQLite's single writer keeps together:
    an UPDATE adding to the rows already stored, then an INSERT of the others, whose count is
    the new rows'.

    A stream is gathered first: these inserts are this process's CPU, and taking rows while
    another thread is still making them (the upload's signing) only made the two threads wait
    on each other for the interpreter.
    """
    rows = list(rows)
    if add_on_conflict and conflict_target:
        c, both = table.c, (*conflict_target, *add_on_conflict)
        _executemany(  # bind names differ from the columns' (SET may not reuse those)
            table,
            sa.update(table)
            .where(*(c[key] == sa.bindparam(f"_{key}") for key in conflict_target))
            .values({name: c[name] + sa.bindparam(f"_{name}") for name in add_on_conflict}),
            [{f"_{name}": row[name] for name in both} for row in rows],
        )
    insert = (
        insert_ignoring_conflicts(table, conflict_target=conflict_target)
        if conflict_target
        else table.insert()
    )
    return _executemany(table, insert.values({name: sa.bindparam(name) for name in first}), rows)


def _executemany(table: sa.Table, statement: Any, rows: Iterable[Mapping[str, Any]]) -> int:
    """One positional executemany per batch of a statement whose bind names are columns of
    `table`, or "_" and a column's name (their bind processors applied); the rows it changed."""
    dialect = db.session.get_bind().dialect
    compiled = statement.compile(dialect=dialect)
    stream = iter(rows)
    batch = list(itertools.islice(stream, CHUNK))
    columns = list(batch[0]) if batch else []
    order = compiled.positiontup or columns
    processors = [_bind_processor(table.c[name.removeprefix("_")], dialect) for name in order]
    # Columns the rows leave out but SQLAlchemy fills in (a scalar Python-side default).
    left_out = {
        name: fn(_scalar_default(table.c[name.removeprefix("_")]))
        for name, fn in zip(order, processors, strict=True)
        if name not in columns
    }
    values = _row_values(order, processors, left_out)
    cursor = _raw_connection().cursor()
    changed = 0
    try:
        while batch:
            cursor.executemany(compiled.string, [values(row) for row in batch])
            changed += cursor.rowcount
            batch = list(itertools.islice(stream, CHUNK))
    finally:
        cursor.close()
    return changed


def _copy_insert(
    table: sa.Table,
    first: Mapping[str, Any],
    rows: Iterable[Mapping[str, Any]],
    conflict_target: Sequence[str] | None,
    add_on_conflict: Sequence[str] = (),
) -> int:
    """PostgreSQL: COPY the rows in; through a per-connection staging table when conflicts may occur."""
    columns, convert, left_out = _copy_columns(table, first)
    values = _row_values(columns, convert, left_out)
    names = sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    target = sql.Identifier(table.name)
    cursor = _raw_connection().cursor()
    try:
        if not conflict_target:
            return _copy(cursor, target, names, rows, values)
        rows = list(rows)  # a sequence already (bulk_insert): read again after a conflict
        if not add_on_conflict and _copied_straight_in(cursor, target, names, rows, values):
            return len(rows)
        into = sql.Identifier(f"_stage_{table.name}")
        # Kept for the connection's life and emptied at commit: no catalog churn per upload.
        # Only the copied columns, no defaults or constraints: it depends on nothing.
        cursor.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS "
                "AS SELECT {} FROM {} WITH NO DATA"
            ).format(into, names, target)
        )
        _copy(cursor, into, names, rows, values)
        keys = sql.SQL(", ").join(sql.Identifier(name) for name in conflict_target)
        action: sql.Composable = sql.SQL("DO NOTHING")
        if add_on_conflict:
            action = sql.SQL("DO UPDATE SET {}").format(
                sql.SQL(", ").join(
                    sql.SQL("{name} = {target}.{name} + EXCLUDED.{name}").format(
                        name=sql.Identifier(name), target=target
                    )
                    for name in add_on_conflict
                )
            )
        # In conflict-target order: concurrent writers take the unique-index locks alike.
        insert = sql.SQL(
            "INSERT INTO {target} ({names}) SELECT {names} FROM {stage} ORDER BY {keys} "
            "ON CONFLICT ({keys}) {action}"
        ).format(target=target, names=names, stage=into, keys=keys, action=action)
        if add_on_conflict:
            # A row the upsert inserted has no xmax yet; one it added to carries this
            # transaction's: the count of new rows comes from the same statement.
            cursor.execute(
                sql.SQL(
                    "WITH upserted AS ({} RETURNING xmax = 0 AS new) "
                    "SELECT count(*) FILTER (WHERE new) FROM upserted"
                ).format(insert)
            )
            stored = cursor.fetchone()[0]
        else:
            cursor.execute(insert)
            stored = cursor.rowcount
        cursor.execute(sql.SQL("TRUNCATE {}").format(into))
        return stored
    finally:
        cursor.close()


def _copy(
    cursor: Any,
    into: sql.Identifier,
    names: sql.Composable,
    rows: Iterable[Mapping[str, Any]],
    values: Callable[[Mapping[str, Any]], Sequence[Any]],
) -> int:
    """One COPY of the rows, written as they come; how many."""
    count = 0
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(into, names)) as copy:
        for row in rows:
            copy.write_row(values(row))
            count += 1
    return count


def _copied_straight_in(
    cursor: Any,
    target: sql.Identifier,
    names: sql.Composable,
    rows: Sequence[Mapping[str, Any]],
    values: Callable[[Mapping[str, Any]], Sequence[Any]],
) -> bool:
    """COPY the rows straight into the table under a savepoint; False (nothing stored) when one
    of them is already taken.

    Skipping taken rows is for a concurrent writer, which is rare: the rows are the ones the
    caller found missing (people not registered, records not stored; and the records' writers
    hold their session's day locks). The staging table's INSERT … SELECT … ON CONFLICT costs
    about twice a COPY (measured: 10,000 records 307 ms against 124 ms), so it is only the
    way back when the straight COPY meets a unique violation.
    """
    cursor.execute("SAVEPOINT jxjd_copy")
    try:
        _copy(cursor, target, names, rows, values)
    except UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT jxjd_copy")
        return False
    cursor.execute("RELEASE SAVEPOINT jxjd_copy")
    return True


def _copy_columns(
    table: sa.Table, sample: Mapping[str, Any]
) -> tuple[list[str], list[Any], dict[str, Any]]:
    """The columns to COPY (those given, plus any with a scalar default), each's converter, and
    the values of those the rows leave out (their defaults)."""
    columns: list[str] = []
    convert: list[Callable[..., Any]] = []
    left_out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in sample:
            pass
        elif default is not None and default.is_scalar:
            columns.append(column.name)
            convert.append(_same)
            left_out[column.name] = cast(Any, default).arg
            continue
        else:
            continue
        columns.append(column.name)
        kind = column.type
        if isinstance(kind, sa.TypeDecorator):
            convert.append(lambda value, kind=kind: kind.process_bind_param(value, None))
        elif isinstance(kind, sa.JSON):
            convert.append(lambda value: None if value is None else Json(value))
        else:
            convert.append(_same)
    return columns, convert, left_out


def _row_values(
    names: Sequence[str], convert: Sequence[Callable[[Any], Any]], left_out: Mapping[str, Any]
) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A function giving a row's values in `names` order, each through its converter.

    The rows all have the same keys: one itemgetter takes the given columns, converters that
    change nothing are skipped, and a column the rows leave out gets its value in `left_out`
    (already converted).
    """
    given = [name for name in names if name not in left_out]
    get = itemgetter(*given)
    single = len(given) == 1
    active = [
        (place, fn)
        for place, (name, fn) in enumerate(
            (name, fn) for name, fn in zip(names, convert, strict=True) if name not in left_out
        )
        if fn is not _same
    ]
    constants = [(i, left_out[name]) for i, name in enumerate(names) if name in left_out]

    def values(row: Mapping[str, Any]) -> list[Any]:
        out = [get(row)] if single else list(get(row))
        for place, fn in active:
            out[place] = fn(out[place])
        for place, value in constants:  # in increasing order: each lands where it belongs
            out.insert(place, value)
        return out

    return values


def _raw_connection() -> Any:
    """The driver's connection under the session's (for COPY and the raw executemany)."""
    dbapi = db.session.connection().connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the session's connection is closed")
    return dbapi


def _same(value: Any) -> Any:
    return value


def _bind_processor(column: sa.Column, dialect: Any) -> Any:
    """What SQLAlchemy does to a value of this column before the driver gets it."""
    return column.type.dialect_impl(dialect).bind_processor(dialect) or _same


def _scalar_default(column: sa.Column) -> Any:
    """A column's scalar Python-side default (None when it has none)."""
    default = column.default
    return cast(Any, default).arg if default is not None and default.is_scalar else None
