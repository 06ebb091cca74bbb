"""The router takes a partition over from its state topic, not from the log, and a complaint
closed for good, gone from that state, is still decided right when a late command names it."""

import asyncio
import os
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from dev.broker import free_port
from services.router import state
from shared import clock
from shared.adapters.kafka import topics
from shared.contracts import chain
from shared.contracts.cloudevents import decode
from shared.contracts.commands import (
    Acknowledge,
    Action,
    Command,
    DeadlinePassed,
    Rate,
    Resolve,
    decode_outcome,
    encode_command,
)
from shared.domain.complaint import Complaint
from shared.domain.deadlines import REPLY_WINDOW, Tier
from shared.domain.routing import default_directory
from tests.support.brokers import connection, local_broker
from tests.support.complaints import filing_record
from tests.support.platform import spawn, stop, wait_until_ready
from tests.support.topics import Record, read_all, read_until
from tests.support.waiting import wait_for

AGENCY = "pemkab-oku-timur"
COMPLAINTS = 60
SETTLED = 12  # resolved, then their reply window passes: closed for good
START = datetime.fromisoformat("2026-03-02T02:00:00+00:00")  # a Monday, 09:00 WIB


def filing(n: int) -> tuple[bytes, bytes]:
    return filing_record(f"STATE{n:05d}", f"Jalan rusak {n}")


def of_type(records: list[Record], event_type: type) -> list[Record]:
    return [r for r in records if isinstance(decode(r.value), event_type)]


def labelled(port: int, name: str, labels: str = "") -> float:
    """One series of a metric (0 when it was never counted)."""
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    series = f"{name}{{{labels}}}" if labels else name
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in page.splitlines() if line.startswith(series + " ")
    )


async def test_a_take_over_reads_the_state_not_the_log_and_a_late_command_reads_back(
    tmp_path: Path,
) -> None:
    with local_broker(tmp_path / "kafka") as broker:
        bootstrap = broker.bootstrap_servers
        await topics.provision(connection(bootstrap), default_directory().agencies)
        clock_file = tmp_path / "clock"
        clock.set_file_clock(clock_file, START)
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_DATA_DIR": str(tmp_path / "data"),
            "PINTU_ROUTER_PORT": str(port),
            "PINTU_CLOCK_FILE": str(clock_file),
        }
        logs = tmp_path / "logs"
        logs.mkdir()
        router_log = logs / "router.log"
        router = spawn("router", env, logs)
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", router, router_log)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()

        async def ask(complaint_id: bytes, action: Action) -> uuid.UUID:
            command = Command(
                id=uuid.uuid4(),
                complaint_id=uuid.UUID(complaint_id.decode()),
                issued_at=clock.now(),
                action=action,
            )
            key, value = encode_command(command)
            await producer.send_and_wait(topics.COMMANDS, value, key=key)
            return command.id

        async def verdicts(ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
            wanted = set(ids)
            records = await read_until(
                bootstrap,
                topics.OUTCOMES,
                lambda rs: wanted <= {decode_outcome(r.value).command_id for r in rs},
                timeout=60,
            )
            outcomes = [decode_outcome(r.value) for r in records]
            return {o.command_id: o.accepted for o in outcomes if o.command_id in wanted}

        try:
            for n in range(COMPLAINTS):
                key, value = filing(n)
                await producer.send_and_wait(topics.EVENTS, value, key=key)
            log = await read_until(
                bootstrap,
                topics.EVENTS,
                lambda rs: len(of_type(rs, Complaint.Routed)) >= COMPLAINTS,
                timeout=60,
            )
            keys = [r.key for r in of_type(log, Complaint.Filed)]
            partition_of = {r.key: r.partition for r in log}
            settling, still_open = keys[:SETTLED], keys[SETTLED:]

            resolved = [
                await ask(k, Resolve(agency_id=AGENCY, message="Sudah diperbaiki"))
                for k in settling
            ]
            assert all((await verdicts(resolved)).values())
            log = await read_until(
                bootstrap,
                topics.EVENTS,
                lambda rs: len(of_type(rs, Complaint.DeadlineScheduled)) >= SETTLED,
                timeout=60,
            )
            windows = {}
            for record in of_type(log, Complaint.DeadlineScheduled):
                event = decode(record.value)
                assert isinstance(event, Complaint.DeadlineScheduled)
                if event.stage == REPLY_WINDOW:
                    windows[record.key] = event.due_at
            clock.set_file_clock(clock_file, max(windows.values()) + timedelta(days=1))
            await asyncio.sleep(1)  # the router reads the moved clock on its next decision
            breached = [
                await ask(k, DeadlinePassed(stage=REPLY_WINDOW, due_at=windows[k], warning=False))
                for k in settling
            ]
            assert all((await verdicts(breached)).values())
        finally:
            stop(router)

        # One partition's state as an older release wrote it: that one is rebuilt from the log.
        rebuilt = partition_of[still_open[0]]
        await producer.send_and_wait(
            topics.ROUTER_STATE,
            b'{"format":"' + b"0" * len(state.FORMAT_ID) + b'"}',
            key=state.PARTITION_KEY,
            partition=rebuilt,
        )
        before = router_log.read_text()
        restarted = spawn("router", env, logs)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/readyz", restarted, router_log)
            # Its partitions are taken over on their first record: one command on each.
            acknowledged = {
                p: await ask(
                    next(k for k in still_open if partition_of[k] == p),
                    Acknowledge(agency_id=AGENCY, tier=Tier.SIMPLE),
                )
                for p in sorted({partition_of[k] for k in still_open})
            }
            assert all((await verdicts(list(acknowledged.values()))).values())
            since_restart = router_log.read_text()[len(before) :]
            # A partition's first take-over after the restart (a rebalance while the group
            # settles can take one over again, from the state the first one wrote).
            first: dict[int, tuple[str, int]] = {}
            for p, source, n in re.findall(
                r"took over partition (\d+) from its (state|log): (\d+)", since_restart
            ):
                first.setdefault(int(p), (source, int(n)))
            assert first[rebuilt][0] == "log", since_restart
            assert all(s == "state" for p, (s, _) in first.items() if p != rebuilt), since_restart
            # From the state: only the open complaints, the settled ones gone (tombstones).
            from_state = sum(n for s, n in first.values() if s == "state")
            expected = sum(1 for k in still_open if partition_of[k] != rebuilt)
            assert from_state == expected, since_restart
            # The log read for the rebuilt partition alone, up to its committed offset (a
            # second take-over before the first wrote its state reads it again: counted apart).
            on_partition = [
                r for r in await read_all(bootstrap, topics.EVENTS) if r.partition == rebuilt
            ]
            assert 0 < first[rebuilt][1] <= len(on_partition), since_restart
            read_from_log = labelled(port, "pintu_router_takeover_records_total", 'source="log"')
            assert read_from_log >= first[rebuilt][1]

            # Late commands for complaints closed for good: decided on their history.
            late = [await ask(k, Rate(score=4)) for k in settling[:3]]
            refused = await ask(settling[3], Acknowledge(agency_id=AGENCY, tier=Tier.SIMPLE))
            answers = await verdicts([*late, refused])
            assert [answers[c] for c in late] == [True, True, True] and answers[refused] is False
            await wait_for(
                lambda: labelled(port, "pintu_router_recalls_total") == 4,
                30,
                "four complaints read back from the log",
            )
            assert labelled(port, "pintu_router_recalls_total") == 4

            # Each rating chained to the complaint's last event, numbered after it.
            log = await read_until(
                bootstrap,
                topics.EVENTS,
                lambda rs: len(of_type(rs, Complaint.Rated)) >= 3,
                timeout=30,
            )
            assert chain.verify(log).intact
            for record in of_type(log, Complaint.Rated):
                history = [decode(r.value) for r in log if r.key == record.key]
                assert [e.originator_version for e in history] == list(range(1, len(history) + 1))
        finally:
            stop(restarted)
            await producer.stop()
        assert (
            len(of_type(await read_all(bootstrap, topics.EVENTS), Complaint.Routed)) == COMPLAINTS
        )
