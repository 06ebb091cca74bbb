"""SLA service: open deadlines held per GiB of memory, and its lag behind a burst of them.

    .venv/bin/python -m bench.sla [--complaints 100000]

On one broker, in one run, with the same input records:

- `pintu sla` (one process, checking every hour so it asks nothing meanwhile): its resident
  memory (VmRSS) idle, then after N routed complaints, each one ComplaintRouted on
  complaints.events starting two clocks (first follow-up, completion), so 2N more open
  deadlines in its table. The growth per open deadline gives the deadlines one GiB holds.
- its lag: the N records are produced in one Kafka transaction while the service sits warm
  and idle (read_committed, it sees none of them yet); the clock starts when the commit
  returns and stops when its consumer group (pintu-sla) has committed offsets past the last
  record on every partition. The ingest rate is N over that time.
- the baselines, after it, with the same records: bench.passthrough (acks=all, one output
  record per input and its offsets committed after, as the SLA writes one changelog record
  per event, at least once) fed the same way on a scratch topic and timed the same way, and
  a bare aiokafka read_committed consumer here reading those N records of complaints.events
  again.

With KAFKA_BOOTSTRAP_SERVERS set, that cluster is used (and synthetic complaints are written
to its complaints.events); otherwise a throwaway broker runs on free ports with its data in a
temporary directory, never the development broker of `make run`.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.router import (
    DESCRIPTION,
    REPO,
    RESULTS,
    Process,
    create_scratch_topics,
    delete_topics,
    git_revision,
    groups_with_members,
    kafka,
    run_in_scratch_home,
    say,
    spawn,
    wait_ready,
)
from bench.router import cpu_seconds as cpu_seconds_of
from bench.stats import GIB, Footprint, Summary, machine, ratio, ratios, table
from dev.broker import free_port
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.config import Settings
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.routing import default_directory

SLA_GROUP = topics.app_id("sla")
AGENCY, RULE = "pemkab-oku-timur", "jalan-daerah@v2"
SEND_CHUNK = 5000  # records in flight at once while producing a batch
MIB = 1024**2

Batch: TypeAlias = list[tuple[bytes, bytes]]  # (key, value) records, in order


def deadline_records(count: int, first: int = 0, run: str = "") -> Batch:
    """What the router appends for `count` complaints it routes: for each, one ComplaintRouted
    keyed by the complaint, starting its first follow-up and completion clocks. Tracking ids B<run><9 digits>, numbered from `first`: distinct complaints, and
    distinct from another run's on a cluster kept between runs (where the same ids would
    replace the open deadlines of the last run instead of adding to them)."""
    out = []
    for n in range(first, first + count):
        complaint = Complaint(
            tracking_id=f"B{run}{n:09d}",
            report_type=ReportType.COMPLAINT,
            title=f"Laporan uji beban nomor {n}",
            description=DESCRIPTION,
            category="jalan-daerah",
            region_code="16.08",
            channel=Channel.PARTNER_API,
        )
        complaint.new_events()  # ComplaintFiled: intake's, and the SLA ignores it
        complaint.route(AGENCY, RULE, "rule")
        out += [encode(e, "/pintu/router", "http://router") for e in complaint.new_events()]
    return out


def status_bytes(status: str, name: str) -> int | None:
    """A `kB` line of /proc/<pid>/status (VmRSS, VmHWM, ...) in bytes; None when absent."""
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key == name:
            number, _, unit = value.strip().partition(" ")
            if unit.strip() != "kB":
                raise ValueError(f"unexpected unit in {line!r}")
            return int(number) * 1024
    return None


def memory(pid: int, name: str = "VmRSS") -> int:
    found = status_bytes(Path(f"/proc/{pid}/status").read_text(), name)
    if found is None:
        raise RuntimeError(f"no {name} in /proc/{pid}/status (Linux only)")
    return found


async def settled_rss(process: Process, settle: float, samples: int = 5) -> int:
    """The median of a few VmRSS readings, taken after `settle` seconds of quiet."""
    await asyncio.sleep(settle)
    readings = []
    for _ in range(samples):
        process.check()
        readings.append(memory(process.popen.pid))
        await asyncio.sleep(0.5)
    return int(statistics.median(readings))


@dataclass(frozen=True)
class Sent:
    first: dict[TopicPartition, int]  # the batch's first offset on each partition it touched
    ends: dict[TopicPartition, int]  # ...and the offset after its last record there
    committed_at: float  # time.monotonic() when the commit returned


async def send_uncommitted(
    producer: AIOKafkaProducer, topic: str, batch: Batch
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """`batch` onto `topic` in a transaction left open (so still invisible to read_committed
    readers): the first offset on each partition, and the offset after the last."""
    first: dict[TopicPartition, int] = {}
    ends: dict[TopicPartition, int] = {}
    await producer.begin_transaction()
    for at in range(0, len(batch), SEND_CHUNK):
        chunk = batch[at : at + SEND_CHUNK]
        sent = [await producer.send(topic, value, key=key) for key, value in chunk]
        for metadata in await asyncio.gather(*sent):
            tp = TopicPartition(metadata.topic, metadata.partition)
            first[tp] = min(first.get(tp, metadata.offset), metadata.offset)
            ends[tp] = max(ends.get(tp, 0), metadata.offset + 1)
    return first, ends


async def caught_up(
    admin: AIOKafkaAdminClient,
    group: str,
    ends: dict[TopicPartition, int],
    label: str,
    timeout: float,
    check: Callable[[], None],
) -> float:
    """time.monotonic() when `group` has committed offsets at or past `ends` everywhere."""
    deadline = time.monotonic() + timeout
    shown = time.monotonic()
    while True:
        committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
        now = time.monotonic()
        behind = {tp: end - committed[tp].offset for tp, end in ends.items() if tp in committed}
        behind.update({tp: end for tp, end in ends.items() if tp not in committed})
        if all(b <= 0 for b in behind.values()):
            return now
        if now > deadline:
            raise TimeoutError(
                f"{label}: {sum(behind.values()):,} records behind after {timeout:.0f}s"
            )
        if now - shown > 5:
            say(f"  {label}: {sum(max(b, 0) for b in behind.values()):,} records behind")
            shown = now
        check()
        await asyncio.sleep(0.1)


async def bare_read(connection: KafkaConnection, sent: Sent, timeout: float) -> float:
    """Seconds a bare read_committed consumer takes to read the records of `sent` again."""
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await start(consumer, connection)
    try:
        consumer.assign(list(sent.ends))
        for tp, offset in sent.first.items():
            consumer.seek(tp, offset)
        started = time.monotonic()
        remaining = set(sent.ends)
        while remaining:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"bare read: {len(remaining)} partitions unread")
            await consumer.getmany(timeout_ms=200)
            remaining = {tp for tp in remaining if await consumer.position(tp) < sent.ends[tp]}
        return time.monotonic() - started
    finally:
        await consumer.stop()


@dataclass
class Run:
    seconds: float
    cpu: dict[str, float | None]


async def timed(
    producer: AIOKafkaProducer,
    admin: AIOKafkaAdminClient,
    topic: str,
    group: str,
    process: Process,
    batch: Batch,
    label: str,
    broker_pid: int | None,
    timeout: float,
) -> tuple[Run, Sent]:
    """Commit `batch` onto `topic` in one transaction; time from the commit until `process`'s
    `group` has committed offsets past the batch on every partition."""
    first, ends = await send_uncommitted(producer, topic, batch)
    pids = {"process": process.popen.pid, "broker": broker_pid}
    before = {name: cpu_seconds_of(pid) if pid else None for name, pid in pids.items()}
    await producer.commit_transaction()
    sent = Sent(first, ends, time.monotonic())
    done = await caught_up(admin, group, sent.ends, label, timeout, process.check)
    cpu: dict[str, float | None] = {}
    for name, pid in pids.items():
        after, earlier = (cpu_seconds_of(pid) if pid else None), before[name]
        cpu[f"{name}_cpu_seconds"] = (
            round(after - earlier, 2) if after is not None and earlier is not None else None
        )
    return Run(max(done - sent.committed_at, 1e-6), cpu), sent


async def bench(args: argparse.Namespace, home: Path) -> dict[str, object]:
    logs = home / "logs"
    logs.mkdir(parents=True)
    directory = default_directory()
    with kafka(home / "kafka") as (bootstrap, broker_pid):
        settings = Settings(kafka_bootstrap_servers=bootstrap)
        connection = KafkaConnection.from_settings(settings)
        if broker_pid is None:
            busy = await groups_with_members(connection, [SLA_GROUP])
            if busy:
                raise RuntimeError(
                    f"consumer group {SLA_GROUP} has live members on {bootstrap}: another SLA "
                    "service would share the work. Stop it, or unset KAFKA_BOOTSTRAP_SERVERS."
                )
        created = await topics.provision(connection, directory.agencies, settings.topic_replication)
        nonce = uuid.uuid4().hex[:8]
        tag = nonce[:4].upper()  # in the tracking ids
        scratch = (f"pintu-bench.{nonce}.sla.in", f"pintu-bench.{nonce}.sla.out")
        await create_scratch_topics(connection, list(scratch), settings.topic_replication)
        say(f"topics ready ({len(created)} created, plus {len(scratch)} scratch topics)")

        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_DATA_DIR": str(home / "data"),
            "PINTU_LOG_LEVEL": args.sla_log_level,
        }
        sla_port = free_port()
        sla = spawn(
            "sla",
            ["-m", "services.cli", "sla"],
            {
                **env,
                "PINTU_SLA_PORT": str(sla_port),
                "PINTU_SLA_CHECK_SECONDS": str(args.check_seconds),
            },
            logs,
        )
        passthrough_group = f"pintu-bench-{nonce}-sla"
        passthrough = spawn(
            "passthrough",
            ["-m", "bench.passthrough", *scratch, f"--group={passthrough_group}"],
            env,
            logs,
        )
        producer = AIOKafkaProducer(
            **connection.client_kwargs(),
            acks="all",
            enable_idempotence=True,
            transactional_id=f"pintu-bench-sla-input-{nonce}",
            transaction_timeout_ms=900_000,  # the broker's default maximum
            linger_ms=5,
        )
        admin = AIOKafkaAdminClient(**connection.client_kwargs())
        timeout = max(300.0, args.complaints / 20)
        try:
            wait_ready(f"http://127.0.0.1:{sla_port}/readyz", sla)
            say(f"sla up (pid {sla.popen.pid}, log {sla.log})")
            await start(producer, connection)
            await start(admin, connection)

            say(f"warming up with {args.warmup} complaints each (not measured)")
            warm = deadline_records(args.warmup, first=0, run=tag)
            for name, topic, group, process in (
                ("sla", topics.EVENTS, SLA_GROUP, sla),
                ("passthrough", scratch[0], passthrough_group, passthrough),
            ):
                run, _ = await timed(
                    producer, admin, topic, group, process, warm, f"{name} warm-up", None, timeout
                )
                say(f"  {name} warm ({run.seconds:.2f}s)")

            say(f"making {args.complaints:,} complaints' deadline events")
            batch = deadline_records(args.complaints, first=args.warmup, run=tag)
            idle = await settled_rss(sla, args.settle)
            say(f"sla idle: {idle / MIB:,.1f} MiB")

            say(f"sla: {len(batch):,} records ({args.complaints:,} complaints) in one transaction")
            sla_run, sent = await timed(
                producer, admin, topics.EVENTS, SLA_GROUP, sla, batch, "sla", broker_pid, timeout
            )
            say(f"  sla: lag {sla_run.seconds:.2f}s, {len(batch) / sla_run.seconds:,.0f} events/s")
            after = await settled_rss(sla, args.settle)
            peak = memory(sla.popen.pid, "VmHWM")
            say(f"sla after: {after / MIB:,.1f} MiB (peak {peak / MIB:,.1f} MiB)")

            await asyncio.sleep(args.pause)
            say(f"passthrough: the same {len(batch):,} records on {scratch[0]}")
            passthrough_run, _ = await timed(
                producer,
                admin,
                scratch[0],
                passthrough_group,
                passthrough,
                batch,
                "passthrough",
                broker_pid,
                timeout,
            )
            say(f"  passthrough: {passthrough_run.seconds:.2f}s")

            await asyncio.sleep(args.pause)
            say(f"bare read: the same {len(batch):,} records of {topics.EVENTS} again")
            read_seconds = await bare_read(connection, sent, timeout)
            say(f"  bare read: {read_seconds:.2f}s")
            sla.check()
        finally:
            await producer.stop()
            await admin.close()
            sla.stop()
            passthrough.stop()
            if broker_pid is None:
                await delete_topics(connection, list(scratch))

    events = len(batch)
    return {
        "summaries": {
            "sla: open deadlines committed": Summary(events, (sla_run.seconds,)),
            "passthrough acks=all": Summary(events, (passthrough_run.seconds,)),
            "bare read_committed read": Summary(events, (read_seconds,)),
        },
        "footprint": Footprint(2 * args.complaints, idle, after),
        "peak_bytes": peak,
        "cpu": {"sla": sla_run.cpu, "passthrough acks=all": passthrough_run.cpu},
        "broker": "external" if broker_pid is None else "local (throwaway, 1 KRaft node)",
    }


def figures(footprint: Footprint, peak: int, warm_deadlines: int, lag: Summary) -> str:
    """The SLA's figures, one per line: what, value, unit, how."""
    per_deadline, per_gib = footprint.bytes_per_item, footprint.items_per_gib
    added = f"{footprint.items:,} open deadlines added"
    rows = [
        (
            "RSS idle",
            f"{footprint.idle_bytes / MIB:,.1f}",
            "MiB",
            f"{warm_deadlines:,} warm-up deadlines open",
        ),
        ("RSS after", f"{footprint.after_bytes / MIB:,.1f}", "MiB", f"peak {peak / MIB:,.1f} MiB"),
        ("RSS growth", f"{footprint.grown_bytes / MIB:,.1f}", "MiB", added),
    ]
    if per_deadline is None or per_gib is None:
        rows.append(("per open deadline", "n/a", "", "no growth: run more complaints"))
    else:
        rows.append(("per open deadline", f"{per_deadline:,.0f}", "B", "growth / deadlines"))
        rows.append(("open deadlines per GiB", f"{per_gib:,.0f}", "", "deadlines / growth"))
    since = f"last record committed -> {SLA_GROUP} offsets past it"
    rows.append(("lag", f"{lag.median_seconds:.2f}", "s", since))
    rows.append(("ingest rate", f"{lag.median_rate:,.0f}", "events/s", f"{lag.items:,} / lag"))
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"  {what:{width[0]}}  {value:>{width[1]}} {unit:{width[2]}}  {how}".rstrip()
        for what, value, unit, how in rows
    )


def report(args: argparse.Namespace, results: dict[str, object]) -> Path:
    summaries: dict[str, Summary] = results["summaries"]  # type: ignore[assignment]
    footprint: Footprint = results["footprint"]  # type: ignore[assignment]
    peak: int = results["peak_bytes"]  # type: ignore[assignment]
    sla = summaries["sla: open deadlines committed"]
    baselines = [
        ("acks", summaries["passthrough acks=all"]),
        ("read", summaries["bare read_committed read"]),
    ]
    print()
    print(
        f"SLA service: {args.complaints:,} complaints, {sla.items:,} events in one burst, "
        f"one worker, {os.cpu_count()} CPUs"
    )
    print(figures(footprint, peak, 2 * args.warmup, sla))
    print()
    print(table(list(summaries.items()), baselines, unit="events/s"))
    print(
        f"\nsla ingest / acks=all passthrough: {ratio(sla, baselines[0][1]):.2f}; "
        f"/ bare read: {ratio(sla, baselines[1][1]):.2f}"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"sla-{stamp}.json"
    document = {
        "benchmark": "sla",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "complaints": args.complaints,
        "open_deadlines_added": footprint.items,
        "events": sla.items,
        "warmup_complaints": args.warmup,
        "settle_seconds": args.settle,
        "pause_seconds": args.pause,
        "sla_check_seconds": args.check_seconds,
        "sla_log_level": args.sla_log_level,
        "broker": results["broker"],
        "machine": machine(),
        "memory": {
            **footprint.as_dict(),
            "peak_bytes": peak,
            "open_deadlines_per_gib": (
                None if footprint.items_per_gib is None else round(footprint.items_per_gib)
            ),
            "gib": GIB,
        },
        "lag_seconds": round(sla.median_seconds, 3),
        "results": {name: s.as_dict() for name, s in summaries.items()},
        "ratios": ratios(summaries, baselines),
        "cpu_seconds": results["cpu"],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path.relative_to(REPO)}")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sla",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--complaints", type=int, default=100_000, help="open complaints added (default 100000)"
    )
    parser.add_argument(
        "--warmup", type=int, default=200, help="unmeasured first complaints (default 200)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds of quiet before reading the memory (default 5)",
    )
    parser.add_argument(
        "--pause", type=float, default=3.0, help="seconds of quiet before each baseline (default 3)"
    )
    parser.add_argument(
        "--check-seconds",
        type=float,
        default=3600.0,
        help="PINTU_SLA_CHECK_SECONDS of the service: longer than the run (default 3600)",
    )
    parser.add_argument(
        "--sla-log-level", default="INFO", help="PINTU_LOG_LEVEL of the SLA (default INFO)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.complaints < 1 or args.warmup < 1:
        parser.error("--complaints and --warmup must be positive")
    return run_in_scratch_home(
        "pintu-bench-sla-", args.keep, lambda home: bench(args, home), lambda r: report(args, r)
    )


if __name__ == "__main__":
    sys.exit(main())
