"""The platform's own database: what cannot be rebuilt from the log.

Reporter keys, idempotency keys and handed-out tracking ids live here, in tables that
migrations change (shared/adapters/sql/migrations), beside the read models, which are
rebuilt from the log. One URL names it: an SQLite file by default (one host, `make run`),
PostgreSQL when several replicas must share it (Kubernetes). SQLAlchemy Core keeps the SQL
the same on both.
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    MetaData,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


class DatabaseUrlError(ValueError):
    """A DATABASE_URL Pintu cannot use, explained in the operator's terms."""


def open_database(url: str) -> Engine:
    """An engine for `sqlite:///<path>` or `postgresql://user:pass@host/db`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUrlError(f"DATABASE_URL {url!r}: name a file, e.g. sqlite:///pintu.db")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # The psycopg 3 driver, whatever the URL says (CloudNativePG writes postgresql://).
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise DatabaseUrlError(
        f"DATABASE_URL {url!r}: use sqlite:///<file> or postgresql://<user>@<host>/<database>"
    )


class DatabaseSchemaError(RuntimeError):
    """Tables made by an older Pintu, which this one cannot use as they are."""


SCHEMA_LOCK = 0x50494E5455  # "PINTU": the advisory lock of table changes on PostgreSQL


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """One process at a time creates or rebuilds tables: replicas starting together on one
    PostgreSQL would otherwise drop what another is creating. A session lock, released here,
    or by the server when the process dies."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as c:
        c.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
        try:
            yield
        finally:
            c.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK})


def create_tables(engine: Engine, metadata: MetaData, *, rebuilt_elsewhere: bool = False) -> None:
    """Create what is missing (the read models; Pintu's own tables are migrated instead).
    Replicas starting together take turns (PostgreSQL) or race (SQLite, where the loser
    finds them made).

    A table that exists with columns missing was made by an older version: said at start,
    in the operator's terms, rather than failing at every event. `rebuilt_elsewhere`: the
    caller rebuilds such tables itself (the read models, from the log)."""
    with schema_lock(engine):
        try:
            metadata.create_all(engine)
        except DBAPIError:
            metadata.create_all(engine)
    if rebuilt_elsewhere:
        return
    found = inspect(engine)
    for table in metadata.sorted_tables:
        have = {column["name"] for column in found.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in have]
        if missing:
            where = engine.url.render_as_string(hide_password=True)
            raise DatabaseSchemaError(
                f"table {table.name} in {where} lacks {', '.join(missing)}: an older Pintu made "
                "it, and no migration changes it (shared/adapters/sql/migrations has none for "
                "it); for a development database remove it (make clean)"
            )


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL lets the processes of one host read while another writes.
    connection.execute("PRAGMA journal_mode=WAL")


def insert_new(connection: Connection, table: Table, **values: Any) -> bool:
    """Insert the row unless its key is taken; True when it was inserted. One statement and
    no savepoint, on SQLite and PostgreSQL alike, so a transaction goes on either way."""
    returned = connection.execute(_insert_new(table, connection.dialect.name), values)
    return returned.first() is not None


@functools.cache
def _insert_new(table: Table, dialect_name: str) -> Insert:
    """Built once per table: the values come as parameters, so the statement and its cache
    key are not made again for every row."""
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT through it.
    statement: Insert = dialect.insert(table).on_conflict_do_nothing()
    return statement.returning(*table.primary_key.columns)
