"""Two SLA workers share the deadlines: a SIGKILL of one, while complaints keep coming, never
stops the other, and every deadline either held is still asked about when it comes due."""

import asyncio
import os
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from dev.broker import free_port
from shared import clock
from shared.adapters.kafka import topics
from shared.contracts.cloudevents import decode
from shared.domain.complaint import Complaint, deadlines_started
from shared.domain.routing import default_directory
from tests.support.brokers import connection, local_broker
from tests.support.complaints import filing_record
from tests.support.platform import spawn, stop, wait_until_ready
from tests.support.topics import Record, read_all, read_until
from tests.support.waiting import metric_total, wait_for

BEFORE, DURING = 240, 120  # complaints filed before the kill, and while the peers rebalance
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 09:00 WIB


def filing(n: int) -> tuple[bytes, bytes]:
    return filing_record(f"PEERS{n:05d}", f"Laporan nomor {n}")


def first_clocks(records: list[Record]) -> set[tuple[bytes, str]]:
    """(complaint, stage) of every deadline its first routing started."""
    clocks: dict[bytes, set[tuple[bytes, str]]] = {}
    for r in records:
        event = decode(r.value)
        if isinstance(event, Complaint.Routed) and r.key not in clocks:
            clocks[r.key] = {(r.key, d.stage) for d in deadlines_started(event)}
    return set().union(*clocks.values())


def breaches(records: list[Record]) -> Counter[tuple[bytes, str]]:
    events = ((r.key, decode(r.value)) for r in records)
    return Counter((k, e.stage) for k, e in events if isinstance(e, Complaint.DeadlineBreached))


def tracked(port: int) -> float:
    """The deadlines a worker has tracked since it started."""
    return metric_total(port, "pintu_deadlines_tracked_total")


async def group_members(bootstrap: str, group: str) -> int:
    """How many members a consumer group has once it is stable; 0 while it rebalances."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        (_, _, state, _, _, members, *_) = response.groups[0]
        return len(members) if state == "Stable" else 0
    finally:
        await admin.close()


async def until_members(bootstrap: str, group: str, count: int, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await group_members(bootstrap, group) != count:
        assert asyncio.get_running_loop().time() < deadline, f"{group} never had {count}"
        await asyncio.sleep(0.5)


async def test_a_killed_sla_worker_never_stops_its_peer_and_no_deadline_is_forgotten(
    tmp_path: Path,
) -> None:
    with local_broker(tmp_path / "kafka") as broker:
        bootstrap = broker.bootstrap_servers
        await topics.provision(connection(bootstrap), default_directory().agencies)
        clock_file = tmp_path / "clock"
        clock.set_file_clock(clock_file, START)
        logs = tmp_path / "logs"
        logs.mkdir()
        base = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_CLOCK_FILE": str(clock_file),
            "PINTU_SLA_CHECK_SECONDS": "1",
        }

        def env(name: str, variable: str, port: int) -> dict[str, str]:
            return {**base, "PINTU_DATA_DIR": str(tmp_path / name), variable: str(port)}

        ports = {"router": free_port(), "sla-a": free_port(), "sla-b": free_port()}
        envs = {
            "router": env("router", "PINTU_ROUTER_PORT", ports["router"]),
            "sla-a": env("sla-a", "PINTU_SLA_PORT", ports["sla-a"]),
            "sla-b": env("sla-b", "PINTU_SLA_PORT", ports["sla-b"]),
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}

        def start(name: str) -> None:
            (logs / name).mkdir(exist_ok=True)
            service = name.split("-")[0]
            processes[name] = spawn(service, envs[name], logs / name)
            url = f"http://127.0.0.1:{ports[name]}/readyz"
            wait_until_ready(url, processes[name], logs / name / f"{service}.log")

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        try:
            for name in ("router", "sla-a", "sla-b"):
                start(name)
            await producer.start()
            await until_members(bootstrap, topics.app_id("sla"), 2, timeout=60)

            async def file(numbers: range) -> None:
                for n in numbers:
                    key, value = filing(n)
                    await producer.send_and_wait(topics.EVENTS, value, key=key)
                    await asyncio.sleep(0.02)  # a stream, not a burst

            await file(range(BEFORE))
            # Both workers hold some of the deadlines before one of them dies.
            await wait_for(
                lambda: tracked(ports["sla-a"]) + tracked(ports["sla-b"]) >= BEFORE,
                60,
                "both workers to track the first filings' deadlines",
                every=0.5,
            )
            assert tracked(ports["sla-a"]) > 0 and tracked(ports["sla-b"]) > 0

            filing_on = asyncio.create_task(file(range(BEFORE, BEFORE + DURING)))
            processes["sla-b"].send_signal(signal.SIGKILL)
            processes["sla-b"].wait()
            # The survivor takes the dead one's partitions (session timeout), then gives some
            # back when it returns: two rebalances while complaints keep coming.
            await asyncio.sleep(15)
            start("sla-b")
            await filing_on
            await asyncio.sleep(20)
            for name in ("sla-a", "sla-b"):
                assert processes[name].poll() is None, f"{name} died"
                assert httpx.get(f"http://127.0.0.1:{ports[name]}/readyz").status_code == 200

            # Every deadline is past: each one the complaints' routings started must be asked
            # about, and breached, by whichever worker now holds it.
            routed = await read_until(
                bootstrap,
                topics.EVENTS,
                lambda rs: len(first_clocks(rs)) >= 2 * (BEFORE + DURING),
                timeout=60,
            )
            clocks = first_clocks(routed)
            clock.set_file_clock(clock_file, START + timedelta(days=60))
            await read_until(
                bootstrap, topics.EVENTS, lambda rs: clocks <= set(breaches(rs)), timeout=120
            )
            for name in ("sla-a", "sla-b"):
                assert processes[name].poll() is None, f"{name} died"
            history = await read_all(bootstrap, topics.EVENTS)
        finally:
            await producer.stop()
            for process in processes.values():
                stop(process)
        for name in ("sla-a", "sla-b"):
            log = (logs / name / "sla.log").read_text(errors="replace")
            assert "ConsistencyError" not in log and "Crashed" not in log, name
        # Asked twice or by both workers, a deadline is still breached once: the router decides.
        assert breaches(history) == Counter(dict.fromkeys(clocks, 1))
