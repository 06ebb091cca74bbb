"""The projection worker against the real broker, on SQLite and on PostgreSQL: thousands of
mixed lifecycle events, the worker SIGKILLed mid-stream and restarted, and the figures come
out exactly right; then `pintu replay --compare` rebuilds the read models from offset 0 into
a fresh store and finds it equal to the live one, row for row."""

import asyncio
import csv
import io
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine, func, select, update

from dev.broker import free_port
from services.router.lifecycle import replay as rebuilt
from shared.adapters.kafka import topics
from shared.adapters.sql.database import open_database
from shared.contracts.cloudevents import encode
from shared.domain.calendar import WIB
from shared.domain.complaint import Complaint
from shared.domain.routing import default_directory
from shared.projections.inbox import InboxStore
from shared.projections.projection import OPEN_STATUSES
from shared.projections.replay import compare
from shared.projections.tables import COMPLAINTS, TIMELINE, TRACKING
from tests.support.brokers import connection, local_broker
from tests.support.databases import fresh_database
from tests.support.histories import mixed_histories, tracking_id_of
from tests.support.platform import spawn, stop, wait_until_ready
from tests.support.waiting import wait_for
from tests.unit.test_read_model_figures import assert_figures

COMPLAINTS_FILED = 500  # about 4,500 events
AGENCY = "kemen-pu"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """URLs of new, empty databases of one kind: the live store, then the replay's."""
    if request.param == "sqlite":
        return lambda name: f"sqlite:///{tmp_path / name}.sqlite3"
    server = request.getfixturevalue("postgres")
    return lambda _: fresh_database(server)


def applied(database: Engine) -> int:
    """Events applied: each adds its timeline entry (the log holds no duplicates here)."""
    with database.connect() as c:
        return int(c.scalar(select(func.count()).select_from(TIMELINE)) or 0)


async def produce_steadily(bootstrap: str, records: list[tuple[bytes, bytes]]) -> None:
    """A stream, not a burst: events keep coming while the worker dies."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for start in range(0, len(records), 150):
            chunk = records[start : start + 150]
            await asyncio.gather(*[await producer.send(topics.EVENTS, v, key=k) for k, v in chunk])
            await asyncio.sleep(0.1)
    finally:
        await producer.stop()


async def test_a_projection_worker_killed_mid_stream_leaves_the_figures_exactly_right_and_a_replay_equals_it(
    new_database: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = new_database("live")
    events, expected = mixed_histories(COMPLAINTS_FILED)
    records = [encode(event, "pintu/test", "http://pintu.test") for event in events]
    total = expected.events
    database = open_database(database_url)
    with local_broker(tmp_path / "kafka") as broker:
        bootstrap = broker.bootstrap_servers
        await topics.provision(connection(bootstrap), default_directory().agencies)
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": database_url,
            "PINTU_DATA_DIR": str(tmp_path / "data"),
            "PINTU_PROJECTIONS_PORT": str(port),
        }
        logs = tmp_path / "logs"
        logs.mkdir()
        ready = f"http://127.0.0.1:{port}/readyz"
        worker = spawn("projections", env, logs)
        try:
            wait_until_ready(ready, worker, logs / "projections.log")
            sending = asyncio.create_task(produce_steadily(bootstrap, records))
            await wait_for(lambda: applied(database) >= 500, 120, "500 events applied")
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed_at = applied(database)
            await sending
            assert killed_at < total, "killed too late: every event was already applied"

            worker = spawn("projections", env, logs)
            wait_until_ready(ready, worker, logs / "projections.log")
            await wait_for(lambda: applied(database) == total, 180, f"{total} events applied")
            await asyncio.sleep(1)  # a redelivered batch must add nothing
        finally:
            stop(worker)

        assert applied(database) == total
        with database.connect() as c:
            positions = list(c.execute(select(TRACKING)))
        # One tracking row per partition: its last offset (the log here has no gaps).
        assert len({stream for stream, _ in positions}) == len(positions)
        assert sum(offset + 1 for _, offset in positions) == total
        assert_figures(database, expected)

        # The auditor's replay: from offset 0 into a fresh store, compared row for row.
        replay_url = new_database("replay")
        audit = subprocess.run(
            [sys.executable, "-m", "services.cli", "replay", "--compare", "--into", replay_url],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        day = date(2026, 3, 3)
        as_of = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.cli",
                "replay",
                "--as-of",
                day.isoformat(),
                "--agency",
                AGENCY,
                "--csv",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "the replay equals the live store" in audit.stdout
    assert f"{total}/{total}" in audit.stderr  # the progress bar reached the end

    # And the comparison is not blind: one altered row is named, with what differs.
    replayed = open_database(replay_url)
    with replayed.begin() as c:
        c.execute(
            update(COMPLAINTS)
            .where(COMPLAINTS.c.tracking_id == tracking_id_of(7))
            .values(title="x")
        )
    _, differences = compare(database, replayed)
    assert [(d.table, d.key) for d in differences] == [
        ("complaints", (str(Complaint.create_id(tracking_id_of(7))),))
    ]
    assert "title live='Laporan nomor 7' replay='x'" in differences[0].describe()

    # As of a past day: the inbox an agency had then, from the events that had happened by
    # 23:59:59 WIB that day, against the aggregates rebuilt from those same events.
    cutoff = datetime.combine(day, clock_time(23, 59, 59), tzinfo=WIB)
    before: defaultdict[bytes, list[bytes]] = defaultdict(list)
    copied = set()
    for event, (key, value) in zip(events, records, strict=True):
        if event.timestamp <= cutoff:
            before[key].append(value)
            if isinstance(event, Complaint.Routed) and AGENCY in event.copies:
                copied.add(key)
    then = {key: rebuilt(history) for key, history in before.items()}
    expected_then = {
        c.tracking_id
        for key, c in then.items()
        if c.status in OPEN_STATUSES and (c.agency_id == AGENCY or key in copied)
    }
    assert as_of.returncode == 0, as_of.stderr
    shown = {row["tracking_id"] for row in csv.DictReader(io.StringIO(as_of.stdout))}
    assert shown == expected_then and shown
    today = {e.tracking_id for e in InboxStore(database).inbox(AGENCY, limit=10_000)}
    assert shown != today  # a past state, not the present one
