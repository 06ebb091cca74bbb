"""Replay: events per second rebuilt into a fresh read model, SQLite and PostgreSQL.

    .venv/bin/python -m bench.replay [--events 1000000]

On one broker, in one run, with the same log:

- the log: mixed lifecycle histories (tests/support/histories.py: filed, routed, declined,
  reassigned, acknowledged, asked, answered, resolved, rated, archived, deadlines breached)
  until at least N events, on a scratch topic of 12 partitions like complaints.events.
- `pintu replay`'s own code (shared/projections/replay.py) from offset 0 into a fresh SQLite
  file, then into a fresh PostgreSQL database (PINTU_BENCH_DATABASE_URL, or a throwaway
  cluster of the machine's PostgreSQL binaries on a free port, fsync off as in the tests).
- the baselines, same log, same run: a bare read_committed read of every record, and the
  same read decoding every record into its domain event (the replay's floor: it cannot
  be faster than reading and decoding).

With KAFKA_BOOTSTRAP_SERVERS set, that cluster is used (a scratch topic only, deleted after);
otherwise a throwaway broker runs on free ports in a temporary directory.
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.router import (
    REPO,
    RESULTS,
    create_scratch_topics,
    delete_topics,
    git_revision,
    kafka,
    say,
)
from bench.stats import Summary, machine, ratios, table
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.adapters.sql.database import open_database
from shared.config import Settings
from shared.contracts.cloudevents import decode, encode
from shared.projections.replay import end_offsets, fresh_store, replay
from tests.support.databases import fresh_database, local_postgres
from tests.support.histories import mixed_histories

CHUNK = 5_000  # complaints generated, encoded and produced at a time (bounded memory)


async def fill(connection: KafkaConnection, topic: str, events: int) -> int:
    """Produce mixed histories until at least `events` events; how many were produced."""
    producer = AIOKafkaProducer(
        **connection.client_kwargs(),
        acks="all",
        enable_idempotence=True,
        linger_ms=10,
        max_batch_size=512 * 1024,
    )
    await start(producer, connection)
    produced, first = 0, 0
    try:
        while produced < events:
            chunk, _ = mixed_histories(CHUNK, first=first)
            first += CHUNK
            sent = []
            for event in chunk:
                key, value = encode(event, "pintu/bench", "http://pintu.bench")
                sent.append(await producer.send(topic, value, key=key))
            await asyncio.gather(*sent)
            produced += len(chunk)
            say(f"log: {produced:,} events produced")
    finally:
        await producer.stop()
    return produced


async def bare_read(connection: KafkaConnection, topic: str, decoding: bool) -> float:
    """Seconds to read (and with `decoding`, decode) every record from offset 0."""
    ends = await end_offsets(connection, topic)
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(),
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await start(consumer, connection)
    try:
        todo = {TopicPartition(topic, p): end for p, end in ends.items() if end}
        consumer.assign(list(todo))
        began = time.perf_counter()
        await consumer.seek_to_beginning(*todo)
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=1000, max_records=2000)
            for tp, records in batches.items():
                if decoding:
                    for record in records:
                        decode(record.value)
                if records and records[-1].offset + 1 >= todo[tp]:
                    del todo[tp]
        return time.perf_counter() - began
    finally:
        await consumer.stop()


async def timed_replay(connection: KafkaConnection, topic: str, url: str, events: int) -> float:
    store = fresh_store(open_database(url))
    ends = await end_offsets(connection, topic)
    began = time.perf_counter()
    applied = await replay(connection, store, topic, ends)
    seconds = time.perf_counter() - began
    store.database.dispose()
    if applied != events:
        raise RuntimeError(f"replay applied {applied:,} events of {events:,}")
    return seconds


async def bench(args: argparse.Namespace, home: Path, postgres: str) -> dict[str, object]:
    with kafka(home / "kafka") as (bootstrap, _):
        connection = KafkaConnection.from_settings(Settings(kafka_bootstrap_servers=bootstrap))
        topic = f"pintu-bench.{uuid.uuid4().hex[:8]}.replay"
        await create_scratch_topics(connection, [topic], replication=1)
        try:
            events = await fill(connection, topic, args.events)
            summaries: dict[str, Summary] = {}
            for name, decoding in (("bare read", False), ("read + decode", True)):
                say(f"baseline: {name}")
                summaries[name] = Summary(events, (await bare_read(connection, topic, decoding),))
            sqlite = f"sqlite:///{home / 'replay.sqlite3'}"
            for name, url in (("replay into SQLite", sqlite), ("replay into PostgreSQL", postgres)):
                say(f"{name} ({events:,} events)")
                seconds = await timed_replay(connection, topic, url, events)
                summaries[name] = Summary(events, (seconds,))
                say(f"{name}: {events / seconds:,.0f} events/s")
        finally:
            await delete_topics(connection, [topic])
    return {"events": events, "summaries": summaries, "broker": bootstrap}


def report(results: dict[str, object]) -> Path:
    summaries: dict[str, Summary] = results["summaries"]  # type: ignore[assignment]
    baselines = [("read", summaries["bare read"]), ("decode", summaries["read + decode"])]
    print(f"\nReplay: {results['events']:,} events, one process, {os.cpu_count()} CPUs")
    print(table(list(summaries.items()), baselines, unit="events/s"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"replay-{stamp}.json"
    document = {
        "benchmark": "replay",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "events": results["events"],
        "broker": results["broker"],
        "machine": machine(),
        "results": {name: s.as_dict() for name, s in summaries.items()},
        "ratios": ratios(summaries, baselines),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path.relative_to(REPO)}")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="at least this many (default 1000000)"
    )
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be positive")
    home = Path(tempfile.mkdtemp(prefix="pintu-bench-replay-"))
    (home / "logs").mkdir()
    try:
        with ExitStack() as stack:
            postgres = os.environ.get("PINTU_BENCH_DATABASE_URL") or stack.enter_context(
                local_postgres()
            )
            results = asyncio.run(bench(args, home, fresh_database(postgres)))
    except (RuntimeError, TimeoutError) as error:
        print(f"bench failed: {error}\n(logs in {home / 'logs'})", file=sys.stderr)
        return 1
    report(results)
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
