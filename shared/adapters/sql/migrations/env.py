"""Alembic's environment for Pintu's own tables, run by shared.adapters.sql.migrations.

Configured in code, not by an alembic.ini: the caller hands over an open connection (under
the migration lock) and, when writing a revision, the tables' metadata to compare with.
Read-model tables (shared/projections) share the database but are rebuilt from the log:
autogenerate ignores every table the metadata does not name.
"""

from typing import Any

from alembic import context
from sqlalchemy import MetaData

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Pintu's migrations run through `pintu migrate` (shared.adapters.sql.migrations), "
        "not the alembic command"
    )
target: MetaData | None = config.attributes.get("target_metadata")


def include_name(name: str | None, type_: str, _: Any) -> bool:
    if type_ == "table" and target is not None:
        return name in target.tables
    return True


context.configure(
    connection=connection,
    target_metadata=target,
    include_name=include_name,
    # SQLite alters a table by copying it: Alembic's batch mode does that for each revision.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
