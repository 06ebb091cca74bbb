"""The national bench's synthetic router state (bench/national.py) is what a real router
accepts: started on a log the bench built, it takes every partition over from its state
topic, with the open complaints the bench wrote, and reads none of the log."""

import os
from pathlib import Path

from aiokafka import AIOKafkaProducer

from bench.national import (
    Written,
    append_closed,
    append_open,
    commit_router_state,
    probes_of,
    take_over,
)
from shared.adapters.kafka import topics
from shared.domain.routing import default_directory
from tests.support.brokers import connection, local_broker

OPEN = 120  # about ten on each of the 12 partitions
CLOSED = 150


async def test_a_router_takes_the_bench_built_state_over_from_its_state(tmp_path: Path) -> None:
    with local_broker(tmp_path / "kafka") as broker:
        kafka = connection(broker.bootstrap_servers)
        await topics.provision(kafka, default_directory().agencies)
        producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True)
        await producer.start()
        written = Written()
        try:
            await append_open(producer, written, OPEN)
            await append_closed(producer, written, CLOSED)
            await producer.flush()
            await commit_router_state(kafka, written, with_snapshots=True)
            assert written.snapshots is not None
            expected = {p: len(held) for p, held in written.snapshots.items() if held}
            assert sum(expected.values()) == OPEN
            env = {
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "PINTU_DATA_DIR": str(tmp_path / "data"),
                "PINTU_LOG_LEVEL": "INFO",
            }
            logs = tmp_path / "logs"
            logs.mkdir()
            probes = probes_of(written.snapshots)

            first = await take_over(kafka, env, logs, "router-1", probes, settle=0.1)
            assert first.sources == dict.fromkeys(expected, "state")
            assert first.open_by_partition == expected
            assert first.records.get("log", 0.0) == 0.0  # not one record of the log read
            # Every snapshot and each partition's header, nothing more.
            assert first.records["state"] == OPEN + topics.EVENTS_PARTITIONS

            # The next size: more history closed for good, the offsets moved to its end, the
            # state as it was; a new router still takes over the same open complaints.
            await append_closed(producer, written, CLOSED)
            await producer.flush()
            await commit_router_state(kafka, written, with_snapshots=False)
            second = await take_over(kafka, env, logs, "router-2", probes, settle=0.1)
            assert second.sources == dict.fromkeys(expected, "state")
            assert second.open_by_partition == expected
            assert second.records.get("log", 0.0) == 0.0
        finally:
            await producer.stop()
