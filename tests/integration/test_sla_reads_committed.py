"""The SLA service counts only what the log committed: a routing in an aborted transaction
(a router that crashed mid-append) starts no clock."""

import os
from pathlib import Path

from aiokafka import AIOKafkaProducer

from dev.broker import free_port
from shared.adapters.kafka import topics
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.routing import default_directory
from tests.support.brokers import connection, local_broker
from tests.support.platform import spawn, stop, wait_until_ready
from tests.support.waiting import metric_total, wait_for


def routing(tracking_id: str) -> tuple[bytes, bytes]:
    """What the router appends when it routes a complaint: its two clocks start."""
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title="Jalan berlubang",
        description="Uji isolasi transaksi",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.PARTNER_API,
    )
    complaint.new_events()
    complaint.route("pemkab-oku-timur", "jalan-daerah@v2", "rule")
    (routed,) = complaint.new_events()
    return encode(routed, "/pintu/router", "http://router")


async def test_a_routing_whose_transaction_was_aborted_starts_no_clock(tmp_path: Path) -> None:
    with local_broker(tmp_path / "kafka") as broker:
        bootstrap = broker.bootstrap_servers
        await topics.provision(connection(bootstrap), default_directory().agencies)
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_DATA_DIR": str(tmp_path / "data"),
            "PINTU_SLA_PORT": str(port),
        }
        logs = tmp_path / "logs"
        logs.mkdir()
        sla = spawn("sla", env, logs)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id="a-router")
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/readyz", sla, logs / "sla.log")
            await producer.start()
            # Both on one partition, the aborted one first: a reader that took it would
            # have counted its clocks before it reaches the committed one's.
            aborted, committed = routing("ABORTED001"), routing("COMMITTED1")
            await producer.begin_transaction()
            await producer.send_and_wait(topics.EVENTS, aborted[1], aborted[0], partition=0)
            await producer.abort_transaction()
            async with producer.transaction():
                await producer.send_and_wait(topics.EVENTS, committed[1], committed[0], partition=0)
            tracked = "pintu_deadlines_tracked_total"
            await wait_for(lambda: metric_total(port, tracked) >= 2, 60, "the clocks", every=0.5)
            assert metric_total(port, tracked) == 2  # the committed routing's two clocks, no more
        finally:
            await producer.stop()
            stop(sla)
