"""`pintu replay`: the auditor's rebuild of the read models from offset 0.

pintu replay                      rebuild into a fresh SQLite file, with a progress bar
pintu replay --into URL           ... into that (empty) database instead
pintu replay --compare            ... then compare it with the live store, row for row
pintu replay --as-of 2026-03-20 --agency pemkab-oku-timur
                                  the agency's inbox as it was at the end of that day (WIB)
"""

import argparse
import asyncio
import csv
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from pathlib import Path

from aiokafka.errors import KafkaError
from tqdm import tqdm

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.sql.database import open_database
from shared.config import Settings
from shared.domain.calendar import WIB
from shared.projections.inbox import ComplaintFilter, InboxStore, Scope
from shared.projections.replay import (
    NotEmpty,
    compare,
    end_offsets,
    fresh_store,
    live_positions,
    replay,
)

ROUNDS = 5  # the live worker moves on while we compare: catch up this often, at most


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--into", metavar="URL", help="an empty database (default: a new file)")
    parser.add_argument("--compare", action="store_true", help="compare with the live store")
    parser.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD")
    parser.add_argument("--agency", help="with --as-of: whose inbox to show")
    parser.add_argument("--csv", action="store_true", help="with --as-of: print CSV")
    parser.add_argument("--topic", default="complaints.events", help=argparse.SUPPRESS)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if (args.as_of is None) != (args.agency is None):
        return _usage("--as-of and --agency go together")
    if args.as_of is not None and (args.compare or args.into):
        return _usage("--as-of shows an inbox; it does not combine with --compare or --into")
    connection = KafkaConnection.from_settings(settings)
    try:
        if args.as_of is not None:
            return asyncio.run(_as_of(connection, args))
        return asyncio.run(_rebuild(settings, connection, args))
    except NotEmpty as refused:
        return _usage(str(refused))
    except LookupError as missing:
        return _usage(str(missing))
    except KafkaError as unreachable:
        return _usage(f"cannot read the log from {connection.describe()}: {unreachable}")


async def _rebuild(
    settings: Settings, connection: KafkaConnection, args: argparse.Namespace
) -> int:
    url = args.into or _new_file(settings)
    store = fresh_store(open_database(url))
    ends = await end_offsets(connection, args.topic)
    live = InboxStore(open_database(settings.database)) if args.compare else None
    until = live_positions(live, args.topic, len(ends)) if live else ends
    print(f"replaying {args.topic} into {store.database.url!r}", file=sys.stderr)
    await _replay_with_progress(connection, store, args.topic, until)
    if live is None:
        print(f"done: the read models are rebuilt in {url}")
        return 0
    for _ in range(ROUNDS):
        compared, differences = compare(live.database, store.database)
        moved = live_positions(live, args.topic, len(ends))
        if moved == until:
            break
        # The live worker applied more meanwhile: replay as far, and compare again.
        until = moved
        await _replay_with_progress(connection, store, args.topic, until)
    for difference in differences:
        print(f"DIFFERENT {difference.describe()}")
    if differences:
        print(f"{len(differences)} difference(s) (or more) in {compared} live rows")
        return 1
    print(f"the replay equals the live store: {compared} rows compared, none differ")
    return 0


async def _as_of(connection: KafkaConnection, args: argparse.Namespace) -> int:
    moment = datetime.combine(args.as_of, time(23, 59, 59), tzinfo=WIB)
    with tempfile.TemporaryDirectory(prefix="pintu-as-of-") as folder:
        store = fresh_store(open_database(f"sqlite:///{Path(folder) / 'as-of.sqlite3'}"))
        ends = await end_offsets(connection, args.topic)
        await _replay_with_progress(connection, store, args.topic, ends, as_of=moment)
        opened = ComplaintFilter(open_only=True)
        inbox = store.complaints(Scope(args.agency), opened, page_size=100_000, now=moment)
        store.database.dispose()
    rows = [asdict(entry) for entry in inbox.entries]
    print(
        f"inbox of {args.agency} at {moment.isoformat()}: {len(rows)} complaint(s)", file=sys.stderr
    )
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["tracking_id"])
    if args.csv:
        writer.writeheader()
        writer.writerows(rows)
        return 0
    for row in rows:
        due = row["deadline_at"].astimezone(WIB).strftime("%d %b %Y") if row["deadline_at"] else "-"
        print(
            f"{row['tracking_id']}  {row['status'].value:<36} due {due:<12} "
            f"{'OVERDUE ' if row['overdue'] else ''}{row['title']}"
        )
    return 0


async def _replay_with_progress(
    connection: KafkaConnection,
    store: InboxStore,
    topic: str,
    until: dict[int, int],
    as_of: datetime | None = None,
) -> int:
    start = {p: store.resume_offset(topic, p) or 0 for p in until}
    total = sum(max(0, end - start[p]) for p, end in until.items())
    with tqdm(total=total, unit="event", file=sys.stderr, desc="replay") as bar:
        applied = await replay(connection, store, topic, until, as_of, bar.update)
        bar.update(bar.total - bar.n)  # the offsets left were transaction markers, read too
        return applied


def _new_file(settings: Settings) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"sqlite:///{settings.data_dir / 'replays' / f'replay-{stamp}.sqlite3'}"


def _usage(message: str) -> int:
    print(f"pintu replay: {message}", file=sys.stderr)
    return 2
