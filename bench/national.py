"""National scale: the router's take-over and memory, the SLA's memory and the replay, as the
history grows and the open complaints do not.

    .venv/bin/python -m bench.national [--complaints 2200000] [--open 50000]
    .venv/bin/python -m bench.national --complaints 20000 --open 2000    # a quick look

One synthetic complaints.events grows in steps, so that at each of --fractions (10%, 50%,
100%) it holds that share of N complaints with their mixed histories (tests/support/
histories.py, about 10 events each: 2.2 million complaints are some 22 million events).
The --open M complaints are written first, with the first step, and stay the same M at every
size; everything added after them is closed for good (selesai after the reporter's reply
window, or arsip). The open set is bounded by the inflow times the time to close, not by
the history: at a few thousand reports a day and a completion deadline of up to 60 days, some
tens of thousands are open at once, hence the default of 50,000.

At each size:

- the router's state as a router would have committed it (services/router/state.py): one
  snapshot per open complaint, folded from its events as read back from the log, chained to
  its last event's hash, on its partition of pintu-router-state with the partition's format
  header, and, in the same transaction, the offsets of group pintu-router-owner at the log's
  end. (The integration check tests/integration/test_national_bench.py proves a real router
  takes that state over "from its state", with the right open count.)
- the SLA service (one `pintu sla`, started before the log and running throughout, as a live
  one would) once its group has committed offsets at the log's end: its VmRSS, so its table
  of every open deadline, and how long it took to catch up with the step.
- `pintu replay`'s own code (bench/replay.py) from offset 0 into a fresh SQLite file.
- a fresh `pintu router` (--repeat starts, the median), alone in its group (so assigned all
  12 partitions): once its group is stable, one command (a decline from an agency that does not hold the complaint: refused,
  so the log and the state stay as built) to an open complaint of partition 0; the take-over
  time is from that command's acknowledgement to the log line "took over partition 0 from its
  state". Then one such command to every other partition, and its VmRSS once all are taken.

The table, a JSON and a PNG of each figure against N go to .pintu/bench/. The run refuses an
external cluster (KAFKA_BOOTSTRAP_SERVERS): it writes the router's state and offsets.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.replay import timed_replay
from bench.router import (
    REPO,
    RESULTS,
    git_revision,
    kafka,
    run_in_scratch_home,
    say,
    spawn,
    wait_ready,
)
from bench.sla import MIB, SLA_GROUP, caught_up, memory, settled_rss
from bench.stats import grid, machine
from dev.broker import free_port
from services.router import owner, state
from services.router.lifecycle import rebuild
from shared.adapters.kafka import topics
from shared.adapters.kafka.batches import Write, send_all
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.config import Settings
from shared.contracts.chain import Link, link_of, sealed_link
from shared.contracts.cloudevents import decode, encode
from shared.contracts.commands import Command, Decline, encode_command
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory
from shared.projections.replay import end_offsets
from tests.support.histories import mixed_histories

CHUNK = 5_000  # complaints generated, encoded and produced at a time (bounded memory)
SOURCE, BASE_URL = "/pintu/bench", "http://pintu.bench"
STRANGER = "bench-not-the-holder"  # declines a complaint it does not hold: always refused
TAKEN = re.compile(r"took over partition (\d+) from its (state|log): (\d+)")
# Each plotted figure: (the Point field, the panel's title, its unit, bytes shown as MiB).
PANELS = (
    ("takeover_seconds", "router: take-over of one partition", "seconds", False),
    ("router_rss_bytes", "router: resident memory, 12 partitions", "MiB", True),
    ("sla_rss_bytes", "SLA: resident memory, every open deadline", "MiB", True),
    ("replay_seconds", "pintu replay into SQLite", "seconds", False),
)


@dataclass(frozen=True)
class Size:
    """One step of the log's growth: its share of N, the complaints on the log once it is
    written, and what the step adds (the open ones come with the first step only)."""

    fraction: float
    complaints: int
    open_added: int
    closed_added: int


def plan(complaints: int, open_complaints: int, fractions: Sequence[float]) -> list[Size]:
    """The steps that take the log through each fraction of `complaints`, the open ones in
    the first."""
    if list(fractions) != sorted(set(fractions)) or not fractions:
        raise ValueError(f"fractions must be increasing and distinct: {list(fractions)}")
    if fractions[0] <= 0 or fractions[-1] > 1:
        raise ValueError(f"fractions must lie in (0, 1]: {list(fractions)}")
    if open_complaints < 1:
        raise ValueError("at least one open complaint")
    steps, before = [], 0
    for n, fraction in enumerate(fractions):
        total = round(fraction * complaints)
        opened = open_complaints if n == 0 else 0
        if total - before - opened < 0:
            raise ValueError(
                f"{fraction:.0%} of {complaints:,} is {total:,}: fewer than the "
                f"{open_complaints:,} open complaints"
                if n == 0
                else f"fractions {list(fractions)} give the same size twice"
            )
        steps.append(Size(fraction, total, opened, total - before - opened))
        before = total
    return steps


@dataclass(frozen=True)
class Point:
    """The figures measured at one size."""

    complaints: int
    events: int
    open_complaints: int
    takeover_seconds: float  # the median of the router's starts
    takeover_runs_seconds: list[float]
    router_rss_bytes: int  # the median of the router's starts
    router_ready_seconds: float  # spawn to /readyz, for reference
    router_takeover_records: dict[str, float]  # pintu_router_takeover_records_total by source
    sla_rss_bytes: int
    sla_catch_up_seconds: float  # from the step's last record produced to the SLA caught up
    replay_seconds: float


def growth(points: Sequence[Point], figure: str) -> float:
    """The figure at the largest size over the figure at the smallest."""
    first, last = getattr(points[0], figure), getattr(points[-1], figure)
    return float(last) / float(first)


def figure(points: Sequence[Point]) -> Figure:
    """One panel per figure of PANELS, each against the complaints on the log."""
    drawn = Figure(figsize=(11, 8), layout="constrained")
    FigureCanvasAgg(drawn)  # the Agg backend: files only, no display needed
    xs = [p.complaints for p in points]
    for n, (name, title, unit, in_mib) in enumerate(PANELS, 1):
        axes = drawn.add_subplot(2, 2, n)
        ys = [getattr(p, name) / (MIB if in_mib else 1) for p in points]
        axes.plot(xs, ys, marker="o")
        axes.set_title(title)
        axes.set_xlabel("complaints on the log")
        axes.set_ylabel(unit)
        axes.set_ylim(bottom=0)
        axes.ticklabel_format(axis="x", style="plain")
        axes.grid(True, alpha=0.3)
    drawn.suptitle(f"Pintu at national scale: {points[0].open_complaints:,} open complaints")
    return drawn


def plot(points: Sequence[Point], path: Path) -> Path:
    figure(points).savefig(path, dpi=100)
    return path


@dataclass
class Written:
    """What the bench has put on the log so far."""

    events: int = 0
    complaints: int = 0
    next_number: int = 0  # of the next history (its tracking id)
    # partition -> complaint id -> snapshot, of the open complaints
    snapshots: dict[int, dict[bytes, bytes]] | None = None


def by_complaint(events: list[DomainEvent]) -> dict[bytes, list[DomainEvent]]:
    out: dict[bytes, list[DomainEvent]] = {}
    for event in events:
        out.setdefault(str(event.originator_id).encode(), []).append(event)
    return out


async def _produce(
    producer: AIOKafkaProducer, histories: dict[bytes, list[DomainEvent]]
) -> dict[bytes, tuple[int, list[bytes]]]:
    """Each complaint's events, chained as the router chains them; per complaint, its
    partition and its records' values."""
    sent = []
    values: dict[bytes, list[bytes]] = {}
    for key, events in histories.items():
        link: Link | None = None
        mine: list[bytes] = []
        values[key] = mine
        for event in events:
            _, value = encode(event, SOURCE, BASE_URL, link)
            link = sealed_link(value, event.originator_version)
            mine.append(value)
            sent.append((key, await producer.send(topics.EVENTS, value, key=key)))
    partitions = {}
    for key, future in sent:
        partitions[key] = (await future).partition
    return {key: (partitions[key], values[key]) for key in histories}


async def append_open(producer: AIOKafkaProducer, written: Written, count: int) -> None:
    """`count` complaints still open (their mixed histories as they stand, the ones among them
    closed for good skipped), and the snapshot a router would keep of each."""
    snapshots: dict[int, dict[bytes, bytes]] = {p: {} for p in range(topics.EVENTS_PARTITIONS)}
    kept = 0
    while kept < count:
        events, _ = mixed_histories(CHUNK, first=written.next_number)
        written.next_number += CHUNK
        histories = {}
        for key, mine in by_complaint(events).items():
            if kept < count and not rebuild(mine).settled:
                histories[key] = mine
                kept += 1
        for key, (p, values) in (await _produce(producer, histories)).items():
            # Folded from the records as the router reads them back, not from the generator's
            # objects: the snapshot is what a take-over from the log would have made.
            complaint = rebuild([decode(v) for v in values])
            snapshots[p][key] = state.taken(complaint, link_of(values[-1]).hash)
            written.events += len(values)
        written.complaints += len(histories)
        say(f"  log: {kept:,}/{count:,} open complaints, {written.events:,} events")
    written.snapshots = snapshots


async def append_closed(producer: AIOKafkaProducer, written: Written, count: int) -> None:
    """`count` complaints' histories, each closed for good."""
    began, done = time.monotonic(), 0
    while done < count:
        take = min(CHUNK, count - done)
        events, _ = mixed_histories(take, first=written.next_number, closed=True)
        written.next_number += take
        produced = await _produce(producer, by_complaint(events))
        written.events += len(events)
        written.complaints += len(produced)
        done += take
        if done == count or done % (10 * CHUNK) == 0:
            rate = done / (time.monotonic() - began)
            say(
                f"  log: {done:,}/{count:,} closed complaints ({rate:,.0f}/s, "
                f"{(count - done) / rate / 60:,.1f} min to go), {written.events:,} events"
            )


async def commit_router_state(
    connection: KafkaConnection, written: Written, with_snapshots: bool
) -> dict[int, int]:
    """What the router's last transaction on each partition would have left: (with
    `with_snapshots`) each open complaint's snapshot and the partition's format header on
    the state topic, and the group's offsets at the log's end. Returns those ends."""
    assert written.snapshots is not None
    ends = await end_offsets(connection, topics.EVENTS)
    producer = AIOKafkaProducer(
        **connection.client_kwargs(),
        acks="all",
        enable_idempotence=True,
        transactional_id=f"pintu-bench-national-{uuid.uuid4().hex[:8]}",
        transaction_timeout_ms=900_000,
    )
    await start(producer, connection)
    try:
        writes = []
        if with_snapshots:
            for p, snapshots in written.snapshots.items():
                writes.append(
                    Write(topics.ROUTER_STATE, state.PARTITION_KEY, state.partition_header(), p)
                )
                writes += [Write(topics.ROUTER_STATE, k, v, p) for k, v in snapshots.items()]
        async with producer.transaction():
            await send_all(producer, writes)
            await producer.send_offsets_to_transaction(
                {TopicPartition(topics.EVENTS, p): end for p, end in ends.items()}, owner.GROUP
            )
    finally:
        await producer.stop()
    return ends


@dataclass(frozen=True)
class TakeOver:
    seconds: float  # the measured partition's command acknowledged -> its take-over logged
    ready_seconds: float
    rss_bytes: int
    open_by_partition: dict[int, int]  # as the router's log lines report them
    sources: dict[int, str]  # partition -> "state" or "log"
    records: dict[str, float]  # pintu_router_takeover_records_total by source


async def _stable(connection: KafkaConnection, group: str, timeout: float = 120) -> None:
    admin = AIOKafkaAdminClient(**connection.client_kwargs())
    await start(admin, connection)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for response in await admin.describe_consumer_groups([group]):
                for described in response.to_object()["groups"]:
                    if described["state"] == "Stable" and described["members"]:
                        return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"group {group} not stable after {timeout:.0f}s")
    finally:
        await admin.close()


def _take_overs(log: Path) -> dict[int, tuple[str, int]]:
    return {int(p): (source, int(n)) for p, source, n in TAKEN.findall(log.read_text())}


def takeover_records(port: int) -> dict[str, float]:
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    out: dict[str, float] = {}
    for line in page.splitlines():
        found = re.match(r'pintu_router_takeover_records_total\{source="(\w+)"\} (\S+)', line)
        if found:
            out[found[1]] = float(found[2])
    return out


async def take_over(
    connection: KafkaConnection,
    env: dict[str, str],
    logs: Path,
    name: str,
    probes: dict[int, bytes],
    settle: float,
    measured: int = 0,
    timeout: float = 600,
) -> TakeOver:
    """Start a router; time its take-over of partition `measured` on the first command there,
    then send one to every partition of `probes` (partition -> an open complaint there) and
    read its memory once it has taken them all. Stops it after."""
    port = free_port()
    spawned = time.monotonic()
    router = spawn(
        name, ["-m", "services.cli", "router"], {**env, "PINTU_ROUTER_PORT": str(port)}, logs
    )
    producer = AIOKafkaProducer(**connection.client_kwargs(), acks="all")
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", router)
        ready = time.monotonic() - spawned
        await _stable(connection, owner.GROUP)
        await start(producer, connection)

        async def decline(complaint_id: bytes) -> None:
            command = Command(
                id=uuid.uuid4(),
                complaint_id=uuid.UUID(complaint_id.decode()),
                issued_at=datetime.now(UTC),
                action=Decline(agency_id=STRANGER, reason="bukan wewenang kami"),
            )
            key, value = encode_command(command)
            await producer.send_and_wait(topics.COMMANDS, value, key=key)

        async def taken(partitions: set[int]) -> dict[int, tuple[str, int]]:
            deadline = time.monotonic() + timeout
            while not partitions <= set(found := _take_overs(router.log)):
                router.check()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name}: partitions {partitions - set(found)} not taken")
                await asyncio.sleep(0.01)
            return found

        await decline(probes[measured])
        sent = time.monotonic()
        await taken({measured})
        seconds = time.monotonic() - sent
        for p, complaint_id in probes.items():
            if p != measured:
                await decline(complaint_id)
        found = await taken(set(probes))
        rss = await settled_rss(router, settle)
        records = takeover_records(port)
    finally:
        await producer.stop()
        router.stop()
    return TakeOver(
        seconds,
        ready,
        rss,
        {p: n for p, (_, n) in found.items()},
        {p: source for p, (source, _) in found.items()},
        records,
    )


def probes_of(snapshots: dict[int, dict[bytes, bytes]]) -> dict[int, bytes]:
    """One open complaint of each partition that has one."""
    return {p: next(iter(held)) for p, held in snapshots.items() if held}


async def bench(args: argparse.Namespace, home: Path) -> list[Point]:
    logs = home / "logs"
    logs.mkdir(parents=True)
    steps = plan(args.complaints, args.open, args.fractions)
    with kafka(home / "kafka") as (bootstrap, broker_pid):
        if broker_pid is None:
            raise RuntimeError("runs on a throwaway broker only: unset KAFKA_BOOTSTRAP_SERVERS")
        settings = Settings(kafka_bootstrap_servers=bootstrap)
        connection = KafkaConnection.from_settings(settings)
        await topics.provision(connection, default_directory().agencies, 1)
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_DATA_DIR": str(home / "data"),
            "PINTU_LOG_LEVEL": "INFO",  # the router's take-over line is INFO
        }
        sla_port = free_port()
        sla_env = {
            **env,
            "PINTU_SLA_PORT": str(sla_port),
            "PINTU_SLA_CHECK_SECONDS": str(args.check_seconds),
            "PINTU_LOG_LEVEL": args.sla_log_level,
        }
        sla = spawn("sla", ["-m", "services.cli", "sla"], sla_env, logs)
        producer = AIOKafkaProducer(
            **connection.client_kwargs(),
            acks="all",
            enable_idempotence=True,
            linger_ms=10,
            max_batch_size=512 * 1024,
        )
        admin = AIOKafkaAdminClient(**connection.client_kwargs())
        points: list[Point] = []
        try:
            wait_ready(f"http://127.0.0.1:{sla_port}/readyz", sla)
            sla_idle = await settled_rss(sla, args.settle)
            say(f"sla up (pid {sla.popen.pid}), idle {sla_idle / MIB:,.1f} MiB")
            await start(producer, connection)
            await start(admin, connection)
            written = Written()
            for n, size in enumerate(steps):
                say(
                    f"size {n + 1}/{len(steps)}: {size.complaints:,} complaints ({size.fraction:.0%})"
                )
                if size.open_added:
                    await append_open(producer, written, size.open_added)
                await append_closed(producer, written, size.closed_added)
                await producer.flush()
                produced_at = time.monotonic()
                assert written.snapshots is not None
                ends = await commit_router_state(connection, written, with_snapshots=n == 0)
                opened = sum(len(s) for s in written.snapshots.values())
                say(f"  router state committed: {opened:,} open complaints, offsets at the end")

                say(f"  sla: catching up with {written.events:,} events")
                caught = await caught_up(
                    admin,
                    SLA_GROUP,
                    {TopicPartition(topics.EVENTS, p): end for p, end in ends.items() if end},
                    "sla",
                    args.timeout,
                    sla.check,
                )
                sla_rss = await settled_rss(sla, args.settle)
                say(
                    f"  sla: caught up after {caught - produced_at:,.1f}s, {sla_rss / MIB:,.1f} MiB"
                )

                say(f"  replay: {written.events:,} events into a fresh SQLite file")
                sqlite = home / f"replay-{n}.sqlite3"
                replay_seconds = await timed_replay(
                    connection, topics.EVENTS, f"sqlite:///{sqlite}", written.events
                )
                sqlite.unlink()
                say(
                    f"  replay: {replay_seconds:,.1f}s, {written.events / replay_seconds:,.0f} events/s"
                )

                say(f"  router: take-over, {args.repeat} starts")
                expected = {p: len(s) for p, s in written.snapshots.items() if s}
                runs = []
                for r in range(args.repeat):
                    took = await take_over(
                        connection,
                        env,
                        logs,
                        f"router-{n}-{r}",
                        probes_of(written.snapshots),
                        args.settle,
                    )
                    if took.open_by_partition != expected or set(took.sources.values()) != {
                        "state"
                    }:
                        raise RuntimeError(
                            f"the router took over {took.sources} with {took.open_by_partition} "
                            f"open complaints, not from its state with {expected}"
                        )
                    say(
                        f"  router: partition 0 taken in {took.seconds:.3f}s, "
                        f"{took.rss_bytes / MIB:,.1f} MiB with all {len(expected)} partitions"
                    )
                    runs.append(took)
                points.append(
                    Point(
                        complaints=written.complaints,
                        events=written.events,
                        open_complaints=opened,
                        takeover_seconds=statistics.median(t.seconds for t in runs),
                        takeover_runs_seconds=[round(t.seconds, 4) for t in runs],
                        router_rss_bytes=int(statistics.median(t.rss_bytes for t in runs)),
                        router_ready_seconds=round(runs[-1].ready_seconds, 3),
                        router_takeover_records=runs[-1].records,
                        sla_rss_bytes=sla_rss,
                        sla_catch_up_seconds=round(caught - produced_at, 3),
                        replay_seconds=replay_seconds,
                    )
                )
            peak = memory(sla.popen.pid, "VmHWM")
            say(f"sla peak {peak / MIB:,.1f} MiB")
        finally:
            await producer.stop()
            await admin.close()
            sla.stop()
    return points


def rows(points: Sequence[Point]) -> str:
    header = ["complaints", "events", "open", "take-over s", "router MiB", "SLA MiB", "replay s"]
    lines = [
        [
            f"{p.complaints:,}",
            f"{p.events:,}",
            f"{p.open_complaints:,}",
            f"{p.takeover_seconds:.3f}",
            f"{p.router_rss_bytes / MIB:,.1f}",
            f"{p.sla_rss_bytes / MIB:,.1f}",
            f"{p.replay_seconds:,.1f}",
        ]
        for p in points
    ]
    lines.append(
        [
            "largest / smallest",
            "",
            "",
            f"x{growth(points, 'takeover_seconds'):.2f}",
            f"x{growth(points, 'router_rss_bytes'):.2f}",
            f"x{growth(points, 'sla_rss_bytes'):.2f}",
            f"x{growth(points, 'replay_seconds'):.2f}",
        ]
    )
    return grid(header, lines)


def report(args: argparse.Namespace, points: list[Point]) -> tuple[Path, Path]:
    print(
        f"\nNational scale: {args.complaints:,} complaints, {args.open:,} open, {os.cpu_count()} CPUs"
    )
    print(rows(points))
    verdicts = [
        (figure_name, growth(points, figure_name))
        for figure_name in ("takeover_seconds", "router_rss_bytes")
    ]
    for figure_name, grown in verdicts:
        print(
            f"router {figure_name}: x{grown:.2f} (goal <= 1.2: {'met' if grown <= 1.2 else 'NOT met'})"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"national-{stamp}.json"
    document = {
        "benchmark": "national",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "complaints": args.complaints,
        "open": args.open,
        "fractions": args.fractions,
        "sla_log_level": args.sla_log_level,
        "machine": machine(),
        "points": [asdict(p) for p in points],
        "growth_largest_over_smallest": {
            name: round(growth(points, name), 3) for name, *_ in PANELS
        },
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    png = plot(points, RESULTS / f"national-{stamp}.png")
    print(f"results written to {path.relative_to(REPO)}, plots to {png.relative_to(REPO)}")
    return path, png


def fractions(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.national",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--complaints", type=int, default=2_200_000, help="N at 100%% (default 2200000)"
    )
    parser.add_argument(
        "--open", type=int, default=50_000, help="open complaints at every size (default 50000)"
    )
    parser.add_argument(
        "--fractions",
        type=fractions,
        default=[0.1, 0.5, 1.0],
        help="sizes, shares of N (default 0.1,0.5,1.0)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds of quiet before reading a memory (default 5)",
    )
    parser.add_argument(
        "--check-seconds",
        type=float,
        default=30 * 86_400.0,
        help="PINTU_SLA_CHECK_SECONDS of the service: longer than the run, so it asks nothing",
    )
    parser.add_argument(
        "--sla-log-level",
        default="WARNING",
        help="PINTU_LOG_LEVEL of the SLA (default WARNING: INFO logs each of millions of deadlines)",
    )
    parser.add_argument(
        "--timeout", type=float, default=6 * 3600.0, help="for the SLA to catch up with a size"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="router starts at each size, median (default 3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    try:
        plan(args.complaints, args.open, args.fractions)
    except ValueError as error:
        parser.error(str(error))
    return run_in_scratch_home(
        "pintu-bench-national-",
        args.keep,
        lambda home: bench(args, home),
        lambda r: report(args, r),
    )


if __name__ == "__main__":
    sys.exit(main())
