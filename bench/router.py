"""Router throughput (complaints routed per second, one worker) against a bare passthrough.

    .venv/bin/python -m bench.router [--complaints 20000] [--repeat 3]

On one broker, in one run, with the same input records:

- the real router (`pintu router`, one process) from the moment N filed complaints become
  visible on complaints.events until every one of them is (a) decided, ComplaintRouted on the
  log, and (b) delivered, committed on its complaints.routed.<agency> topic;
- a bare aiokafka consume -> produce copy of the same records (bench.passthrough), once with
  acks=all and once transactional (exactly once, as the router is).

The N records of a run are produced in one Kafka transaction while the measured process sits
idle and warm (its partitions assigned, its producers made); they all become visible when it
commits, and the clock starts just before that commit. It stops when a read_committed reader
in this process has seen every expected key. Each thing is measured --repeat times, in a
rotating order, and the table shows the median, the range and the ratios.

With KAFKA_BOOTSTRAP_SERVERS set, that cluster is used (and synthetic complaints are written
to its complaints.events); otherwise a throwaway broker runs on free ports with its data in a
temporary directory, never the development broker of `make run`.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import httpx
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from bench.stats import Summary, machine, ratio, ratios, table
from dev.broker import LocalBroker, free_port
from services.router import owner
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.adapters.kafka.consumers import consumer
from shared.config import Settings
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.routing import Directory, default_directory

REPO = Path(__file__).resolve().parents[1]
KAFKA_LIBS = REPO / ".pintu" / "kafka-libs"  # shared with `make run` and the tests
RESULTS = REPO / ".pintu" / "bench"
ROUTED = b'"type":"pintu.complaint.routed"'
# The router's consumer group (decisions 0002, 0006): the owner loop.
ROUTER_GROUPS = (owner.GROUP,)

# How each bench.passthrough runs. "io" moves the records the router moves per complaint:
# it reads the filing and the copy it wrote back (the router's ComplaintRouted, with the
# clocks it starts, read back from complaints.events) and writes that copy and one more
# (the agency's), in transactions, reading and writing as the router does, deciding nothing.
PASSTHROUGHS = {  # kind: (name in the table, options of bench.passthrough)
    "acks": ("passthrough acks=all", []),
    "txn": ("passthrough transactional", ["--transactional"]),
    "io": (
        "passthrough, the router's records",
        ["--transactional", "--echoes=1", f"--round-records={owner.ROUND_RECORDS}"],
    ),
}

# (category, region code): together they reach every agency of the directory, triage included.
CASES = (
    ("jalan-daerah", "16.08"),
    ("jalan-daerah", "32.73"),
    ("jalan-nasional", "32.73"),
    ("jalan-provinsi", "16.71"),
    ("pendidikan-menengah", "32.73"),
    ("jaminan-kesehatan", "11.01"),
    ("layanan-kesehatan", "31.71"),
    ("lainnya", "91.01"),
)
DESCRIPTION = (
    "Jalan penghubung antardesa rusak berat sejak awal tahun; lubang sedalam lutut orang "
    "dewasa di beberapa titik, dua pengendara motor jatuh minggu lalu. Warga sudah melapor ke "
    "kantor desa tetapi belum ada perbaikan. Mohon ditindaklanjuti sebelum musim hujan."
)

Record: TypeAlias = ConsumerRecord[bytes, bytes]


Measured = TypeVar("Measured")


def landing_on(topic: str) -> Callable[["Filing"], str]:
    """Where every filing is expected: one topic for all."""
    return lambda _: topic


def run_in_scratch_home(
    prefix: str,
    keep: bool,
    measure: Callable[[Path], Coroutine[Any, Any, Measured]],
    report: Callable[[Measured], object],
) -> int:
    """Measure with a temporary directory for the broker and the logs, report, and remove
    the directory unless `keep`. The exit status: 1 when the bench itself failed."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        results = asyncio.run(measure(home))
    except (RuntimeError, TimeoutError) as error:
        print(f"bench failed: {error}\n(logs in {home / 'logs'})", file=sys.stderr)
        return 1
    report(results)
    if keep:
        print(f"logs and data kept in {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)
    return 0


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass(frozen=True)
class Filing:
    key: bytes
    value: bytes
    agency: str


def filings(count: int, directory: Directory) -> list[Filing]:
    """`count` ComplaintFiled CloudEvents, as intake writes them, spread over CASES."""
    out = []
    for n in range(count):
        category, region = CASES[n % len(CASES)]
        complaint = Complaint(
            tracking_id=uuid.uuid4().hex[:10].upper(),
            report_type=ReportType.COMPLAINT,
            title=f"Laporan uji beban nomor {n}",
            description=DESCRIPTION,
            category=category,
            region_code=region,
            channel=Channel.PARTNER_API,
        )
        (filed,) = complaint.new_events()
        key, value = encode(filed, "/pintu/intake", "http://intake")
        out.append(Filing(key, value, directory.decide(category, region).agency_id))
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc); None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class ProcessDied(RuntimeError):
    pass


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def check(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise ProcessDied(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def spawn(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, *argv], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO
        )
    return Process(name, popen, log)


class Observer:
    """Reads topics from their current end, read_committed, the way an agency would."""

    def __init__(
        self,
        connection: KafkaConnection,
        names: list[str],
        accept: Callable[[Record], bool] = lambda _: True,
    ) -> None:
        self._connection = connection
        self._names = names
        self._accept = accept
        self._consumer = consumer(connection, fetch_max_wait_ms=100)

    async def start(self) -> None:
        await start(self._consumer, self._connection)
        admin = AIOKafkaAdminClient(**self._connection.client_kwargs())
        await start(admin, self._connection)
        try:
            described = await admin.describe_topics(self._names)
        finally:
            await admin.close()
        partitions = [
            TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]
        ]
        if not partitions:
            raise RuntimeError(f"no partitions found for {self._names}")
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def wait_for(
        self, expected: dict[bytes, str], label: str, timeout: float, check: Callable[[], None]
    ) -> "Seen":
        """Until every expected key is seen (on the topic it maps to): when, and what was odd."""
        seen = Seen()
        deadline = time.monotonic() + timeout
        shown = time.monotonic()
        while len(seen.keys) < len(expected):
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(
                    f"{label}: {len(seen.keys)}/{len(expected)} after {timeout:.0f}s"
                )
            if now - shown > 5:
                say(f"  {label}: {len(seen.keys):,}/{len(expected):,}")
                shown = now
            check()
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    if record.key is None or not self._accept(record):
                        continue
                    wanted = expected.get(record.key)
                    if wanted is None:
                        seen.foreign += 1
                    elif record.key in seen.keys:
                        seen.duplicates += 1
                    else:
                        seen.keys.add(record.key)
                        if record.topic != wanted:
                            seen.misplaced += 1
            seen.done_at = time.monotonic()
        return seen


@dataclass
class Seen:
    keys: set[bytes] = field(default_factory=set)
    duplicates: int = 0
    misplaced: int = 0  # on another topic than the expected one (the wrong agency)
    foreign: int = 0  # not sent in this run
    done_at: float = 0.0


@dataclass
class Measure:
    """One figure of a target: an observer and where each filing must land."""

    name: str
    observer: Observer
    destination: Callable[[Filing], str]


@dataclass
class Target:
    name: str
    input_topic: str
    process: Process
    measures: list[Measure]


@dataclass
class Run:
    seconds: dict[str, float]
    cpu: dict[str, float | None]


async def measure(
    target: Target,
    batch: list[Filing],
    producer: AIOKafkaProducer,
    broker_pid: int | None,
    timeout: float,
) -> Run:
    """Commit `batch` onto the target's input in one transaction; time until all is out."""
    await producer.begin_transaction()
    sent = [await producer.send(target.input_topic, f.value, key=f.key) for f in batch]
    await asyncio.gather(*sent)  # on the broker, still invisible to read_committed readers
    cpu_before = {
        "process": cpu_seconds(target.process.popen.pid),
        "broker": cpu_seconds(broker_pid) if broker_pid else None,
        "bench": time.process_time(),  # this process: producing, then the observers reading
    }
    started = time.monotonic()
    await producer.commit_transaction()
    waits = [
        m.observer.wait_for(
            {f.key: m.destination(f) for f in batch},
            f"{target.name} {m.name}",
            timeout,
            target.process.check,
        )
        for m in target.measures
    ]
    seen = await asyncio.gather(*waits)
    cpu: dict[str, float | None] = {}
    for name, before in cpu_before.items():
        pid = target.process.popen.pid if name == "process" else broker_pid
        after = time.process_time() if name == "bench" else cpu_seconds(pid) if pid else None
        cpu[f"{name}_cpu_seconds"] = (
            round(after - before, 2) if after is not None and before is not None else None
        )
    for m, s in zip(target.measures, seen, strict=True):
        if s.misplaced or s.duplicates or s.foreign:
            raise RuntimeError(
                f"{target.name} {m.name}: {s.misplaced} on the wrong topic, "
                f"{s.duplicates} duplicates, {s.foreign} unexpected records"
            )
    return Run(
        {m.name: s.done_at - started for m, s in zip(target.measures, seen, strict=True)}, cpu
    )


@contextmanager
def kafka(home: Path) -> Iterator[tuple[str, int | None]]:
    """(bootstrap servers, broker pid or None): KAFKA_BOOTSTRAP_SERVERS, or a broker of our own."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        say(f"using the cluster at {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)")
        yield bootstrap, None
        return
    broker = LocalBroker(home=home, libs=KAFKA_LIBS, port=free_port(), controller_port=free_port())
    say(f"starting a throwaway Kafka on {broker.bootstrap_servers} (data in {home})")
    with (home.parent / "logs" / "kafka.log").open("ab") as out:
        broker.start(stdout=out.fileno())
    try:
        broker.wait_ready()
        assert broker.process is not None
        yield broker.bootstrap_servers, broker.process.pid
    finally:
        say("stopping Kafka")
        broker.stop()


async def groups_with_members(connection: KafkaConnection, groups: Sequence[str]) -> list[str]:
    """Those of `groups` with live members: another process would take partitions."""
    admin = AIOKafkaAdminClient(**connection.client_kwargs())
    await start(admin, connection)
    try:
        busy = []
        for response in await admin.describe_consumer_groups(list(groups)):
            for group in response.to_object()["groups"]:
                if group["members"]:
                    busy.append(group["group"])
        return busy
    finally:
        await admin.close()


async def create_scratch_topics(
    connection: KafkaConnection, names: list[str], replication: int
) -> None:
    admin = AIOKafkaAdminClient(**connection.client_kwargs())
    await start(admin, connection)
    try:
        new = [NewTopic(n, topics.EVENTS_PARTITIONS, replication) for n in names]
        await admin.create_topics(new, timeout_ms=30_000)
        deadline = time.monotonic() + 60
        while set(names) - set(await admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"scratch topics not visible: {names}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def delete_topics(connection: KafkaConnection, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(**connection.client_kwargs())
    await start(admin, connection)
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


def wait_ready(url: str, process: Process, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s; see {process.log}")


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{rev}{'+dirty' if dirty else ''}" or "unknown"
    except OSError:
        return "unknown"


async def bench(args: argparse.Namespace, home: Path) -> dict[str, object]:
    logs = home / "logs"
    logs.mkdir(parents=True)
    directory = default_directory()
    with kafka(home / "kafka") as (bootstrap, broker_pid):
        settings = Settings(kafka_bootstrap_servers=bootstrap)
        connection = KafkaConnection.from_settings(settings)
        if broker_pid is None:
            busy = await groups_with_members(connection, ROUTER_GROUPS)
            if busy:
                raise RuntimeError(
                    f"consumer groups {busy} have live members on {bootstrap}: another router "
                    "would share the work. Stop it, or unset KAFKA_BOOTSTRAP_SERVERS."
                )
        created = await topics.provision(connection, directory.agencies, settings.topic_replication)
        nonce = uuid.uuid4().hex[:8]
        scratch = {
            kind: (f"pintu-bench.{nonce}.{kind}.in", f"pintu-bench.{nonce}.{kind}.out")
            for kind in PASSTHROUGHS
        }
        scratch_names = [name for pair in scratch.values() for name in pair]
        await create_scratch_topics(connection, scratch_names, settings.topic_replication)
        say(f"topics ready ({len(created)} created, plus {len(scratch_names)} scratch topics)")

        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PINTU_DATA_DIR": str(home / "data"),
            "PINTU_LOG_LEVEL": args.router_log_level,
        }
        router_port = free_port()
        spawned_at = time.monotonic()
        router = spawn(
            "router",
            ["-m", "services.cli", "router"],
            {**env, "PINTU_ROUTER_PORT": str(router_port)},
            logs,
        )
        passthroughs = {
            kind: spawn(
                f"passthrough-{kind}",
                [
                    "-m",
                    "bench.passthrough",
                    source,
                    target,
                    f"--group=pintu-bench-{nonce}-{kind}",
                    *PASSTHROUGHS[kind][1],
                ],
                env,
                logs,
            )
            for kind, (source, target) in scratch.items()
        }
        processes = [router, *passthroughs.values()]
        producer = AIOKafkaProducer(
            **connection.client_kwargs(),
            acks="all",
            enable_idempotence=True,
            transactional_id=f"pintu-bench-input-{nonce}",
            transaction_timeout_ms=300_000,
            linger_ms=5,
        )
        observers: list[Observer] = []
        try:
            wait_ready(f"http://127.0.0.1:{router_port}/readyz", router)
            say(f"router up (pid {router.popen.pid}, log {router.log})")

            def observer(*args: object) -> Observer:
                made = Observer(connection, *args)  # type: ignore[arg-type]
                observers.append(made)
                return made

            agency_topics = [topics.routed(a) for a in sorted(directory.agencies)]
            targets = [
                Target(
                    name,
                    scratch[kind][0],
                    passthroughs[kind],
                    [Measure("copied", observer([scratch[kind][1]]), landing_on(scratch[kind][1]))],
                )
                for kind, (name, _) in PASSTHROUGHS.items()
            ] + [
                Target(
                    "router",
                    topics.EVENTS,
                    router,
                    [
                        Measure(
                            "ComplaintRouted on the log",
                            observer([topics.EVENTS], lambda r: ROUTED in r.value),
                            landing_on(topics.EVENTS),
                        ),
                        Measure(
                            "delivered to agency topics",
                            observer(agency_topics),
                            lambda f: topics.routed(f.agency),
                        ),
                    ],
                ),
            ]
            for o in observers:
                await o.start()
            await start(producer, connection)

            timeout = max(300.0, args.complaints / 20)
            say(f"warming up with {args.warmup} complaints each (not measured)")
            for target in targets:
                run = await measure(
                    target, filings(args.warmup, directory), producer, None, timeout
                )
                if target.process is router:
                    say(
                        f"  router routed its first batch {time.monotonic() - spawned_at:.1f}s after spawn"
                    )
                say(f"  {target.name} warm ({max(run.seconds.values()):.2f}s)")

            raw: dict[str, list[float]] = {}
            cpu: dict[str, list[float | None]] = {}
            for repeat in range(args.repeat):
                batch = filings(args.complaints, directory)
                order = targets[repeat % len(targets) :] + targets[: repeat % len(targets)]
                for target in order:
                    # Let the last run's tail (timers, open transactions, log flushes) settle.
                    await asyncio.sleep(args.pause)
                    say(f"run {repeat + 1}/{args.repeat}: {target.name}, {len(batch):,} complaints")
                    run = await measure(target, batch, producer, broker_pid, timeout)
                    for name, seconds in run.seconds.items():
                        label = target.name if len(run.seconds) == 1 else f"{target.name}: {name}"
                        raw.setdefault(label, []).append(seconds)
                        say(f"  {label}: {seconds:.2f}s, {len(batch) / seconds:,.0f} complaints/s")
                    for name, value in run.cpu.items():
                        cpu.setdefault(f"{target.name}: {name}", []).append(value)
                    say(f"  cpu: {run.cpu}")
        finally:
            for o in observers:
                await o.stop()
            await producer.stop()
            for process in processes:
                process.stop()
            if broker_pid is None:
                await delete_topics(connection, scratch_names)

    summaries = {name: Summary(args.complaints, tuple(seconds)) for name, seconds in raw.items()}
    return {
        "summaries": summaries,
        "cpu": cpu,
        "broker": "external" if broker_pid is None else "local (throwaway, 1 KRaft node)",
    }


def report(args: argparse.Namespace, results: dict[str, object]) -> Path:
    summaries: dict[str, Summary] = results["summaries"]  # type: ignore[assignment]
    baselines = [(kind, summaries[name]) for kind, (name, _) in PASSTHROUGHS.items()]
    print()
    print(
        f"{args.complaints:,} complaints per run, {args.repeat} runs each, one worker each, "
        f"{os.cpu_count()} CPUs; medians (x acks / x txn / x io: ratio to that passthrough's "
        "median)"
    )
    print(table(list(summaries.items()), baselines))
    delivered = summaries["router: delivered to agency topics"]
    goal = ratio(delivered, baselines[0][1])
    print(
        f"\nrouter delivered / bare passthrough (acks=all): {goal:.2f} "
        f"(goal >= 0.50: {'met' if goal >= 0.5 else 'NOT met'}); "
        f"vs transactional passthrough: {ratio(delivered, baselines[1][1]):.2f}; "
        f"vs the passthrough moving the router's records: {ratio(delivered, baselines[2][1]):.2f}"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"router-{stamp}.json"
    document = {
        "benchmark": "router",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "complaints_per_run": args.complaints,
        "repeats": args.repeat,
        "warmup_complaints": args.warmup,
        "pause_seconds": args.pause,
        "router_log_level": args.router_log_level,
        "broker": results["broker"],
        "machine": machine(),
        "results": {name: s.as_dict() for name, s in summaries.items()},
        "ratios": ratios(summaries, baselines),
        "cpu_seconds_per_run": results["cpu"],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path.relative_to(REPO)}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.router",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--complaints", type=int, default=20_000, help="per run (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument(
        "--warmup", type=int, default=1000, help="unmeasured first batch of each (default 1000)"
    )
    parser.add_argument(
        "--pause", type=float, default=3.0, help="seconds of quiet before each run (default 3)"
    )
    parser.add_argument(
        "--router-log-level", default="INFO", help="PINTU_LOG_LEVEL of the router (default INFO)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.complaints < 1 or args.repeat < 1 or args.warmup < 1:
        parser.error("--complaints, --repeat and --warmup must be positive")
    return run_in_scratch_home(
        "pintu-bench-", args.keep, lambda home: bench(args, home), lambda r: report(args, r)
    )


if __name__ == "__main__":
    sys.exit(main())
