"""Replay for auditors: rebuild the read models from offset 0 into a fresh store, compare
them with the live one row for row, or show what an agency's inbox was on a given day.

A replay writes only into its own store: it never notifies anyone and never touches the
live read models.
"""

import asyncio
import gc
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition
from sqlalchemy import Engine, Table, select

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumers import Reader, read_to_end
from shared.projections.inbox import Applied, InboxStore
from shared.projections.projection import utc
from shared.projections.tables import METADATA, SCHEMA, TRACKING

Progress = Callable[[int], None]  # told how many more records were read
BATCH = 5000


class NotEmpty(Exception):
    """The target of a replay already holds a read model."""


def fresh_store(database: Engine) -> InboxStore:
    store = InboxStore(database)
    with database.connect() as c:
        if c.scalar(select(TRACKING.c.notification_id).limit(1)) is not None:
            raise NotEmpty(
                f"{database.url.render_as_string(hide_password=True)} already holds a read "
                "model; replay into an empty database"
            )
    store.rebuild()
    return store


def live_positions(store: InboxStore, topic: str, partitions: int) -> dict[int, int]:
    """The next offset the live worker would read, per partition (0: never read)."""
    return {p: store.resume_offset(topic, p) or 0 for p in range(partitions)}


async def end_offsets(connection: KafkaConnection, topic: str) -> dict[int, int]:
    """Where the committed log ends now, per partition."""
    async with Reader(connection) as reader:
        tps = await reader.partitions(topic)
        ends = await reader.ends(tps)
    return {tp.partition: ends[tp] for tp in sorted(tps)}


async def replay(
    connection: KafkaConnection,
    store: InboxStore,
    topic: str,
    until: dict[int, int],
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Apply every committed event before `until` (partition -> offset) that the store has not
    applied yet; with `as_of`, only events that happened by then. How many were applied."""
    todo = {TopicPartition(topic, p): end for p, end in until.items()}
    applied = 0
    # Batches of events come and go by the thousand: the collector's default thresholds would
    # traverse them, and every object alive now (the modules, the models' schemas), again and
    # again, most of a replay's time. Those are set aside, and it runs less often, until the
    # replay ends.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 10, 10)
    # One batch written (in a thread: the database's work releases the GIL) while the next
    # is read and decoded; batches are applied in log order, one at a time.
    writing: asyncio.Future[int] | None = None
    try:
        async for batches in read_to_end(
            connection,
            todo,
            from_offsets={tp: store.resume_offset(topic, tp.partition) or 0 for tp in todo},
            until=todo,
            max_records=BATCH,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        ):
            batch = []  # every partition's records of this poll, in one transaction
            read = 0
            for records in batches.values():
                read += len(records)
                for record in records:
                    item = Applied.of(record)
                    if item is not None and (as_of is None or item.event.timestamp <= as_of):
                        batch.append(item)
            if writing is not None:
                applied += await writing
            writing = asyncio.ensure_future(asyncio.to_thread(store.apply_all, batch))
            if progress is not None:
                progress(read)
        if writing is not None:
            applied += await writing
            writing = None
    finally:
        if writing is not None:  # the read failed: let the write in flight finish first
            await asyncio.wait([writing])
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return applied


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    live: dict[str, Any] | None  # None: the row is missing from the live store
    replayed: dict[str, Any] | None  # None: missing from the replay

    def describe(self) -> str:
        where = f"{self.table} {', '.join(map(str, self.key))}"
        if self.live is None:
            return f"{where}: only in the replay"
        if self.replayed is None:
            return f"{where}: only in the live store"
        changed = [k for k in self.live if self.live[k] != self.replayed.get(k)]
        return f"{where}: " + "; ".join(
            f"{k} live={self.live[k]!r} replay={self.replayed.get(k)!r}" for k in changed
        )


def compare(live: Engine, replayed: Engine, limit: int = 50) -> tuple[int, list[Difference]]:
    """Rows compared, and the first `limit` differences, table by table (the schema table
    aside). Rows are matched by primary key and compared by a digest of every column, so a
    store of millions of rows is compared without holding it twice in memory."""
    compared = 0
    differences: list[Difference] = []
    for table in METADATA.sorted_tables:
        if table is SCHEMA:
            continue
        ours = _digests(live, table)
        theirs = _digests(replayed, table)
        compared += len(ours)
        for key in sorted(ours.keys() ^ theirs.keys() | _differing(ours, theirs), key=str):
            if len(differences) >= limit:
                break
            differences.append(
                Difference(table.name, key, _row(live, table, key), _row(replayed, table, key))
            )
    return compared, differences


def _differing(a: dict[tuple[Any, ...], bytes], b: dict[tuple[Any, ...], bytes]) -> set[Any]:
    return {key for key in a.keys() & b.keys() if a[key] != b[key]}


def _digests(database: Engine, table: Table) -> dict[tuple[Any, ...], bytes]:
    key_columns = list(table.primary_key.columns)
    with database.connect() as c:
        return {
            tuple(row._mapping[k.name] for k in key_columns): _digest(row._mapping)
            for row in c.execution_options(yield_per=10_000).execute(select(table))
        }


def _row(database: Engine, table: Table, key: tuple[Any, ...]) -> dict[str, Any] | None:
    query = select(table)
    for column, value in zip(table.primary_key.columns, key, strict=True):
        query = query.where(column == value)
    with database.connect() as c:
        row = c.execute(query).one_or_none()
    return None if row is None else {k: _plain(v) for k, v in row._mapping.items()}


def _digest(row: Any) -> bytes:
    text = "\x1f".join(repr(_plain(row[k])) for k in sorted(row.keys()))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _plain(value: Any) -> Any:
    """One form per value on both databases (SQLite returns naive datetimes, bools as ints)."""
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
