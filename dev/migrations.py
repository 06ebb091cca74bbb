"""Writing a migration: `python -m dev revision "notifier_reports: the agency's desk"`.

Upgrades a scratch SQLite database to head, compares it with the Table definitions of the
migrated tables (METADATA below), and writes versions/<NNNN>_<slug>.py with what differs:
a draft for a person to read and finish, for PostgreSQL as well as SQLite.
"""

import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData

from services.intake import accounts, assignments, responses, store
from services.notifier import breakers, outbox, reports
from shared.adapters.sql import migrations, reporter_keys
from shared.adapters.sql.database import open_database

# Every module whose tables the log cannot rebuild. A new one goes here, or its tables are
# never compared (tests/integration/test_migrations.py checks these against the revisions).
MIGRATED = (
    reporter_keys.METADATA,
    store.METADATA,
    outbox.METADATA,
    reports.METADATA,
    breakers.METADATA,
    accounts.METADATA,
    responses.METADATA,
    assignments.METADATA,
)

RUFF = str(Path(sys.executable).parent / "ruff")


def metadata() -> MetaData:
    """The migrated tables of every module, in one MetaData."""
    combined = MetaData()
    for each in MIGRATED:
        for table in each.sorted_tables:
            table.to_metadata(combined)
    return combined


def differences(engine: Engine, target: MetaData | None = None) -> list[Any]:
    """What autogenerate would write: the database's tables against the Table definitions."""
    target = metadata() if target is None else target
    with engine.connect() as c:
        context = MigrationContext.configure(
            c,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name in target.tables,
            },
        )
        return list(compare_metadata(context, target))


def new_revision(message: str) -> Path:
    """Draft the next revision (0002, 0003, ...) from the differences; returns its path."""
    number = f"{len(list(migrations.scripts().walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = open_database(f"sqlite:///{Path(scratch) / 'head.sqlite3'}")
        migrations.upgrade(engine)
        with engine.connect() as c:
            config = migrations.alembic_config(c, metadata())
            # The draft comes out in the project's format (ruff format, as make lint checks).
            config.set_section_option("post_write_hooks", "hooks", "ruff")
            config.set_section_option("post_write_hooks", "ruff.type", "exec")
            config.set_section_option("post_write_hooks", "ruff.executable", RUFF)
            config.set_section_option(
                "post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME"
            )
            written = command.revision(config, message, autogenerate=True, rev_id=number)
        engine.dispose()
    assert written is not None and not isinstance(written, list)
    return Path(written.path)
