"""Migrations of the tables the log cannot rebuild: reporters' keys, intake's idempotency
keys and tracking ids, the notifier's outbox, complaint rows and circuit breakers, the
console's officers and the agencies' response templates (Alembic, versions/).

`upgrade` brings a database to this release's head, one revision at a time, under a lock so
that replicas starting together (and `pintu migrate`, the Kubernetes Job) take turns: on
PostgreSQL an advisory lock, on SQLite (one host) a lock file beside the database. Each
revision keeps the release before it working (docs/operations.md, Database migrations), so
a database a newer Pintu migrated is used as it is, never downgraded. A
database of the release before migrations (the tables, no alembic_version) is adopted: the
baseline, revision 0001, checks the shape of what is there, creates only what is missing
and is recorded; its rows are never touched. Read models (shared/projections) are rebuilt
from the log instead and are no business of these migrations.
"""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from shared.adapters.sql.database import DatabaseSchemaError

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
BASELINE = "0001"
# pg_advisory_lock's key for "Pintu is migrating this database": any constant, the same in
# every version of Pintu.
ADVISORY_LOCK = 0x70696E7475  # "pintu"


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # the revision found; None: no alembic_version
    after: str
    adopted: bool  # a database of the release before migrations, now recorded at the baseline
    ahead: bool = False  # at a revision of a newer Pintu: left as it is

    @property
    def applied(self) -> bool:
        return self.before != self.after


def alembic_config(
    connection: Connection | None = None, target_metadata: MetaData | None = None
) -> Config:
    """Alembic's configuration, in code: no alembic.ini is read."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    config.attributes["target_metadata"] = target_metadata
    return config


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    found = scripts().get_current_head()
    assert found is not None, f"no revision under {HERE / 'versions'}"
    return found


def current(engine: Engine) -> str | None:
    """The revision `engine`'s database is at; None before any (or before migrations)."""
    with engine.connect() as c:
        return MigrationContext.configure(c).get_current_revision()


def ensure_current(engine: Engine) -> None:
    """At start: upgrade unless the database is already at head (the usual case, one query)."""
    if current(engine) != head():
        upgrade(engine)


def upgrade(engine: Engine) -> Upgrade:
    """Bring the database to head, adopting one of the release before migrations."""
    target = head()
    with _migration_lock(engine) as c:
        before = MigrationContext.configure(c).get_current_revision()
        c.commit()  # Alembic then runs each revision in a transaction of its own
        known = {script.revision for script in scripts().walk_revisions()}
        if before is not None and before not in known:
            # A newer release migrated it and this one was rolled back to (or is an old pod
            # restarting mid-rollout). Revisions keep the release before them working, so
            # the tables are used as they are; never downgraded.
            log.warning(
                "database %s is at revision %s, newer than this Pintu's %s: left as it is",
                _where(engine),
                before,
                target,
            )
            return Upgrade(before, before, adopted=False, ahead=True)
        adopted = before is None and _made_before_migrations(c, engine)
        command.upgrade(alembic_config(c), "head")
        c.commit()
    return Upgrade(before, target, adopted)


def _made_before_migrations(connection: Connection, engine: Engine) -> bool:
    """Whether the baseline's tables are there without alembic_version; refused when one of
    them lacks a column of the baseline (a Pintu older than it, which no revision leads from)."""
    baseline: MetaData = scripts().get_revision(BASELINE).module.SCHEMA
    found = inspect(connection)
    present = [t for t in baseline.sorted_tables if found.has_table(t.name)]
    for table in present:
        have = {column["name"] for column in found.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in have]
        if missing:
            raise DatabaseSchemaError(
                f"table {table.name} in {_where(engine)} lacks {', '.join(missing)}: a Pintu "
                f"older than the migrations' baseline (revision {BASELINE}) made it, and no "
                "revision leads from there. Start that release's Pintu on it once, or for a "
                "development database remove it (make clean)"
            )
    connection.commit()
    return bool(present)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """One connection, held by one migrating process at a time."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            c.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
            c.commit()  # a session lock: it outlives the transaction, until unlocked
            try:
                yield c
            finally:
                c.rollback()
                c.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
                c.commit()
        return
    database = engine.url.database
    assert database, "open_database refuses an SQLite database without a file"
    lock = Path(database).with_name(Path(database).name + ".migrating")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            with engine.connect() as c:
                yield c
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
