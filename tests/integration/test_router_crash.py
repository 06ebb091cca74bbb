"""A router killed mid-stream loses nothing and doubles nothing: every complaint, of every
level of government, is routed once and lands on its agency topic once."""

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from dev.broker import free_port
from services.router import owner
from shared.adapters.kafka import topics
from shared.adapters.kafka.consumers import consumer
from shared.contracts.cloudevents import CloudEvent, encode
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.routing import default_directory
from tests.support.brokers import connection, local_broker
from tests.support.platform import spawn, stop, wait_until_ready
from tests.support.topics import Record, read_all, read_until

COMPLAINTS = 600
# Every level of government, and both ways to national triage (category, region unknown).
CASES = [
    ("jalan-daerah", "16.08", "pemkab-oku-timur"),  # kabupaten
    ("pendidikan-dasar", "32.73", "pemkot-bandung"),  # kota
    ("pendidikan-menengah", "32.73", "pemprov-jawa-barat"),  # province
    ("jalan-nasional", "32.73", "kemen-pu"),  # ministry
    ("narkoba", "16.08", "bnn"),  # lembaga
    ("jaminan-kesehatan", "11.01", "bpjs-kesehatan"),  # state company
    ("lainnya", "91.01", "national-triage"),  # no rule for the category
    ("jalan-daerah", "99.99", "national-triage"),  # no such region
]


def filings() -> list[tuple[bytes, bytes, str]]:
    out = []
    for n in range(COMPLAINTS):
        category, region, agency = CASES[n % len(CASES)]
        complaint = Complaint(
            tracking_id=f"CRASH{n:05d}",  # distinct: a repeated id would be one complaint
            report_type=ReportType.COMPLAINT,
            title=f"Laporan nomor {n}",
            description="Uji ketahanan router",
            category=category,
            region_code=region,
            channel=Channel.PARTNER_API,
        )
        (filed,) = complaint.new_events()
        key, value = encode(filed, "/pintu/intake", "http://intake")
        out.append((key, value, agency))
    return out


async def owner_caught_up(bootstrap: str, timeout: float = 30) -> None:
    """Until the router's committed offsets reach the end of every partition of the log (the
    end less the marker that closed the last transaction, which no consumer reads)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    # Every offset, markers included: the high watermark, not the last stable offset.
    reader = consumer(connection(bootstrap), isolation_level="read_uncommitted")
    await admin.start()
    await reader.start()
    try:
        partitions = [TopicPartition(topics.EVENTS, p) for p in range(topics.EVENTS_PARTITIONS)]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            ends = await reader.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(owner.GROUP)
            behind = {
                tp.partition: ends[tp] - (committed[tp].offset if tp in committed else 0)
                for tp in partitions
            }
            if all(lag <= 1 for lag in behind.values()):
                return
            assert asyncio.get_running_loop().time() < deadline, f"lag left: {behind}"
            await asyncio.sleep(0.5)
    finally:
        await reader.stop()
        await admin.close()


def routed_keys(records: list[Record]) -> Counter[bytes]:
    return Counter(r.key for r in records if b'"pintu.complaint.routed"' in r.value and r.key)


async def test_a_router_killed_mid_stream_routes_every_complaint_exactly_once(
    tmp_path: Path,
) -> None:
    with local_broker(tmp_path / "kafka") as broker:
        bootstrap = broker.bootstrap_servers
        await topics.provision(connection(bootstrap), default_directory().agencies)
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_DATA_DIR": str(tmp_path / "data"),
            "PINTU_ROUTER_PORT": str(port),
        }
        logs = tmp_path / "logs"
        logs.mkdir()
        router = spawn("router", env, logs)
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", router, logs / "router.log")

        sent = filings()
        expected = {key: agency for key, _, agency in sent}
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:

            async def file_steadily() -> None:
                # A stream, not a burst: complaints keep coming while the router dies.
                for start in range(0, len(sent), 25):
                    chunk = sent[start : start + 25]
                    await asyncio.gather(
                        *[await producer.send(topics.EVENTS, v, key=k) for k, v, _ in chunk]
                    )
                    await asyncio.sleep(0.25)

            sending = asyncio.create_task(file_steadily())
            # Kill it once it is visibly in the middle of the stream.
            await read_until(
                bootstrap, topics.EVENTS, lambda rs: len(routed_keys(rs)) >= 100, timeout=60
            )
            router.send_signal(signal.SIGKILL)
            router.wait()
            await sending
        finally:
            await producer.stop()
        assert len(routed_keys(await read_all(bootstrap, topics.EVENTS))) < COMPLAINTS, (
            "killed too late"
        )

        restarted = spawn("router", env, logs)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/readyz", restarted, logs / "router.log")
            await read_until(
                bootstrap,
                topics.EVENTS,
                lambda rs: set(expected) <= set(routed_keys(rs)),
                timeout=180,
            )
            for agency in {a for _, _, a in CASES}:
                mine = {k for k, a in expected.items() if a == agency}
                await read_until(
                    bootstrap,
                    topics.routed(agency),
                    lambda rs, m=mine: m <= {r.key for r in rs},  # type: ignore[misc]
                    timeout=120,
                )
            log = await read_all(bootstrap, topics.EVENTS)
            delivered = {
                a: await read_all(bootstrap, topics.routed(a)) for a in set(expected.values())
            }
            # Its own appends read back write nothing, yet their offsets are committed too
            # once the log is quiet: no lag is left behind.
            await owner_caught_up(bootstrap)
        finally:
            stop(restarted)

        assert routed_keys(log) == Counter(dict.fromkeys(expected, 1))
        for agency, records in delivered.items():
            on_topic = Counter(r.key for r in records)
            assert on_topic == Counter({k: 1 for k, a in expected.items() if a == agency}), agency
            for record in records:
                assert CloudEvent.model_validate_json(record.value).data["agency_id"] == agency
