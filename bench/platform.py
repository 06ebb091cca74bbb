"""The platform's sustained filing rate: every service as `make run` runs them, an open-loop
load at rising rates, the latency from filing to the agency's topic, and the CPU each
service spends per complaint.

    .venv/bin/python -m bench.platform [--rates 25,50,75,100,125,150] [--seconds 15] [--repeat 3]

On a throwaway broker (or KAFKA_BOOTSTRAP_SERVERS), `python -m dev run` starts intake, the
router, the SLA service, the notifier, the projections and the development receivers, on
free ports with their data in a temporary directory, as `make run` does (the per-client rate
limit out of the way: the load comes from one address). After a warm-up (20 s at 20/s: the
broker's JIT compiler, every service's first batch), for each rate in turn, the
README's example complaint is posted at that rate for `--seconds` (open loop: each request
leaves on schedule, answered or not), while a read_committed reader follows the agency's
topic, `complaints.routed.pemkab-oku-timur`, as the agency would.

For each step: the 201s and 503s, the HTTP latency, the latency from the request leaving to
the complaint on the agency topic, and each process's CPU milliseconds per complaint filed
(from /proc, over the step and until its last complaint arrived). A rate is sustained when
every request was a 201, every complaint reached the topic, and the p99 of filing to topic
was under 250 ms. The ladder of a run stops after the first rate that overloads the platform.
Prints a table per run and the median sustained rate; writes .pintu/bench/platform.json and
platform.png.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.intake import EXAMPLE, percentile
from bench.router import RESULTS, Process, cpu_seconds, git_revision, kafka, say, spawn, wait_ready
from bench.stats import grid, machine
from dev.broker import free_port
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start

AGENCY = "pemkab-oku-timur"  # where the README's example goes
TARGET_P99_MS = 250.0
SERVICES = ("intake", "router", "sla", "notifier", "projections")
RECEIVERS = ("webhook-receiver", "mail-receiver")
ARRIVAL_TIMEOUT = 60.0  # after the last request: what has not arrived by then is missing
WARM_UP = (20.0, 20.0)  # complaints per second, seconds: before the first step
SETTLE_SECONDS = 5.0  # idle between steps: the stream processors' transactions close
# The legs of a complaint's way (wall clock, one machine): the request until its 201 (intake,
# its database and its transaction on the log); the 201 until the router appended it to the
# agency topic (the filing's commit becoming visible, the router's fetch and decision); the
# append until the agency's reader had it (the router's commit, the reader's fetch).
STAGES = ("intake", "router picks up", "router commits")


@dataclass(frozen=True)
class Sent:
    """One request: when it left, when it was answered, with what."""

    left: float
    answered: float
    status: int  # 0: no answer (the connection failed)
    complaint_id: str | None


@dataclass(frozen=True)
class Step:
    """One offered rate, measured."""

    offered: float
    seconds: float
    statuses: dict[int, int]
    http_p50_ms: float
    http_p99_ms: float
    topic_p50_ms: float
    topic_p99_ms: float
    missing: int  # 201s whose complaint never reached the agency topic
    cpu_ms_per_complaint: dict[str, float] = field(default_factory=dict)
    # Where the time goes, p50 and p99 of each leg (STAGES), for the complaints that arrived.
    stages_ms: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def filed(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def sustained(self) -> bool:
        everyone = sum(self.statuses.values())
        return (
            self.filed == everyone > 0 and self.missing == 0 and self.topic_p99_ms < TARGET_P99_MS
        )

    @property
    def overloaded(self) -> bool:
        """Far past what the platform keeps up with: no use offering more."""
        return self.filed < 0.9 * sum(self.statuses.values()) or self.topic_p99_ms > 10_000


def summarise(
    offered: float,
    seconds: float,
    sent: Sequence[Sent],
    arrived: dict[str, float],
    appended: dict[str, float] | None = None,
) -> Step:
    """A step's figures from its requests and when each complaint reached the topic
    (complaint id -> time seen); a complaint that never arrived counts as infinitely late.
    `appended`: when the router wrote each to the topic (the record's timestamp), which splits
    the way into STAGES."""
    statuses: dict[int, int] = {}
    for s in sent:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    filed = [s for s in sent if s.status == 201 and s.complaint_id]
    to_topic = [
        arrived[s.complaint_id] - s.left if s.complaint_id in arrived else float("inf")
        for s in filed
        if s.complaint_id
    ]
    http = [s.answered - s.left for s in sent if s.status]
    legs: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for s in filed:
        if s.complaint_id in arrived and appended and s.complaint_id in appended:
            at = appended[s.complaint_id]
            for stage, leg in zip(
                STAGES,
                (s.answered - s.left, at - s.answered, arrived[s.complaint_id] - at),
                strict=True,
            ):
                legs[stage].append(leg)
    stages = {
        stage: (percentile(leg, 0.50) * 1000, percentile(leg, 0.99) * 1000)
        for stage, leg in legs.items()
        if leg
    }
    return Step(
        offered=offered,
        seconds=seconds,
        statuses=dict(sorted(statuses.items())),
        http_p50_ms=percentile(http, 0.50) * 1000,
        http_p99_ms=percentile(http, 0.99) * 1000,
        topic_p50_ms=percentile(to_topic, 0.50) * 1000,
        topic_p99_ms=percentile(to_topic, 0.99) * 1000,
        missing=sum(1 for s in filed if s.complaint_id not in arrived),
        stages_ms=stages,
    )


def sustained_rate(steps: Sequence[Step]) -> float:
    """The highest offered rate the run sustained (0 when none)."""
    return max((s.offered for s in steps if s.sustained), default=0.0)


class Arrivals:
    """Follows the agency's topic from its end, read_committed: complaint id -> when seen."""

    def __init__(self, connection: KafkaConnection) -> None:
        self.connection = connection
        self.seen: dict[str, float] = {}
        self.appended: dict[str, float] = {}  # the record's timestamp: the router's append
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Arrivals":
        self.consumer = AIOKafkaConsumer(
            **self.connection.client_kwargs(),
            enable_auto_commit=False,
            isolation_level="read_committed",
            fetch_max_wait_ms=50,
        )
        await start(self.consumer, self.connection)
        tps = await topics.partitions_of(self.connection, topics.routed(AGENCY))
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self._task = asyncio.create_task(self._follow())
        return self

    async def _follow(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for record in records:
                    if record.key is not None and record.key.decode() not in self.seen:
                        self.seen[record.key.decode()] = now
                        self.appended[record.key.decode()] = record.timestamp / 1000

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.consumer.stop()

    async def until(self, wanted: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while wanted - self.seen.keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)


async def offer(
    session: aiohttp.ClientSession, url: str, rate: float, seconds: float
) -> list[Sent]:
    """Post at `rate` for `seconds`, each request on its schedule whatever came back."""
    body = json.dumps(EXAMPLE).encode()
    headers = {"Content-Type": "application/json"}

    async def post() -> Sent:
        left = time.time()
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                document = await answer.read()
                status = answer.status
        except aiohttp.ClientError:
            return Sent(left, time.time(), 0, None)
        complaint_id = json.loads(document).get("complaint_id") if status == 201 else None
        return Sent(left, time.time(), status, complaint_id)

    loop = asyncio.get_running_loop()
    began = loop.time()
    requests = []
    for n in range(round(rate * seconds)):
        delay = began + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        requests.append(asyncio.create_task(post()))
    return list(await asyncio.gather(*requests))


def children(pid: int) -> dict[str, int]:
    """The platform's processes under `dev run`, by service: from /proc, their command lines."""
    found: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            name = next((a.decode() for a in argv if a.decode() in SERVICES + RECEIVERS), None)
            if name:
                found[name] = int(child)
    return found


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu or 0.0 for name, pid in pids.items() for cpu in [cpu_seconds(pid)]}


async def ladder(
    intake_url: str,
    connection: KafkaConnection,
    pids: dict[str, int],
    rates: Sequence[float],
    seconds: float,
) -> list[Step]:
    steps: list[Step] = []
    # Idle connections are dropped before the server's keep-alive (uvicorn's 5 s, the pause
    # between steps) would close one under a request about to be sent on it.
    connector = aiohttp.TCPConnector(limit=2000, keepalive_timeout=2.0)
    async with aiohttp.ClientSession(connector=connector) as session, Arrivals(connection) as seen:
        # Warm-up: every service's first batch (topics' metadata, the router's first reads)
        # and the broker's JIT compiler, which burns most of a core in its first minute.
        warm = await offer(session, f"{intake_url}/v1/complaints", *WARM_UP)
        await seen.until({s.complaint_id for s in warm if s.complaint_id}, ARRIVAL_TIMEOUT)
        for rate in rates:
            await asyncio.sleep(SETTLE_SECONDS)
            before, began = cpu_now(pids), time.perf_counter()
            sent = await offer(session, f"{intake_url}/v1/complaints", rate, seconds)
            await seen.until({s.complaint_id for s in sent if s.complaint_id}, ARRIVAL_TIMEOUT)
            after = cpu_now(pids)
            step = summarise(rate, time.perf_counter() - began, sent, seen.seen, seen.appended)
            if step.filed:
                cpu = {n: (after[n] - before[n]) * 1000 / step.filed for n in pids}
                step = Step(**{**asdict(step), "cpu_ms_per_complaint": cpu})
            steps.append(step)
            legs = ", ".join(f"{k} {p99:,.0f}" for k, (_, p99) in step.stages_ms.items())
            say(
                f"  {rate:g}/s: {step.statuses}, to the topic p50 {step.topic_p50_ms:,.0f} ms, "
                f"p99 {step.topic_p99_ms:,.0f} ms{', sustained' if step.sustained else ''}"
                f" (p99 of each leg: {legs} ms)"
            )
            if step.overloaded:
                break
    return steps


def run_platform(
    bootstrap: str, home: Path, broker_pid: int | None, args: argparse.Namespace
) -> list[Step]:
    """One `dev run` on fresh data and free ports, its ladder, then stopped."""
    ports = {service: free_port() for service in SERVICES}
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PINTU_DATA_DIR": str(home / "data"),
        **{f"PINTU_{service.upper()}_PORT": str(port) for service, port in ports.items()},
        "PINTU_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/webhook",
        "PINTU_SMTP_PORT": str(free_port()),
        "PINTU_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
        "PINTU_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    home.mkdir(parents=True)
    platform: Process = spawn(home.name, ["-m", "dev", "run"], env, home.parent / "logs")
    try:
        for port in ports.values():
            wait_ready(f"http://127.0.0.1:{port}/readyz", platform)
        pids = children(platform.popen.pid)
        if broker_pid is not None:
            pids["kafka"] = broker_pid
        pids["bench (load, reader)"] = os.getpid()
        connection = KafkaConnection(bootstrap)
        url = f"http://127.0.0.1:{ports['intake']}"
        steps = asyncio.run(ladder(url, connection, pids, args.rates, args.seconds))
        platform.check()
        return steps
    finally:
        platform.stop()


def chart(runs: list[list[Step]], path: Path) -> None:
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    latency, cpu = figure.subplots(1, 2)
    for n, steps in enumerate(runs, start=1):
        rates = [s.offered for s in steps]
        latency.plot(rates, [s.topic_p99_ms for s in steps], "o-", label=f"run {n}: to topic p99")
        latency.plot(
            rates, [s.http_p99_ms for s in steps], "x--", alpha=0.5, label=f"run {n}: HTTP p99"
        )
    latency.axhline(TARGET_P99_MS, color="#7f1d1d", linewidth=1)
    latency.set_yscale("log")
    latency.set_xlabel("offered complaints per second (open loop)")
    latency.set_ylabel("ms")
    latency.set_title("filing to the agency topic, p99 (line: 250 ms)", fontsize=10)
    latency.legend(fontsize=7)
    by_rate: dict[float, list[Step]] = {}
    for steps in runs:
        for s in steps:
            if s.cpu_ms_per_complaint:
                by_rate.setdefault(s.offered, []).append(s)
    rates = sorted(by_rate)
    names = sorted({n for steps in by_rate.values() for s in steps for n in s.cpu_ms_per_complaint})
    bottom = [0.0] * len(rates)
    for name in names:
        heights = [
            statistics.median(s.cpu_ms_per_complaint.get(name, 0) for s in by_rate[r])
            for r in rates
        ]
        cpu.bar([str(int(r)) for r in rates], heights, bottom=bottom, label=name)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    cpu.set_xlabel("offered complaints per second")
    cpu.set_ylabel("CPU ms per complaint filed (median of runs)")
    cpu.set_title("CPU per complaint, by process", fontsize=10)
    cpu.legend(fontsize=7)
    figure.savefig(path, dpi=110)


def report(runs: list[list[Step]]) -> float:
    for n, steps in enumerate(runs, start=1):
        names = list(steps[0].cpu_ms_per_complaint) if steps else []
        rows = [
            [
                f"{s.offered:g}/s",
                str(s.filed),
                str(sum(v for k, v in s.statuses.items() if k != 201)),
                f"{s.http_p50_ms:,.0f} / {s.http_p99_ms:,.0f}",
                f"{s.topic_p50_ms:,.0f} / {s.topic_p99_ms:,.0f}",
                str(s.missing),
                *(f"{s.cpu_ms_per_complaint.get(name, 0):.1f}" for name in names),
                "yes" if s.sustained else "no",
            ]
            for s in steps
        ]
        header = ["offered", "201s", "others", "HTTP p50/p99 ms", "to topic p50/p99 ms"]
        header += ["missing", *(f"{name} ms" for name in names), "sustained"]
        print(f"\nrun {n}: CPU milliseconds per complaint filed, by process")
        print(grid(header, rows))
        legs = [
            [f"{s.offered:g}/s"]
            + [
                "{:,.0f} / {:,.0f}".format(*s.stages_ms[stage]) if stage in s.stages_ms else "-"
                for stage in STAGES
            ]
            for s in steps
        ]
        print(f"\nrun {n}: where the time goes, p50 / p99 ms of each leg")
        print(grid(["offered", *STAGES], legs))
    rates = [sustained_rate(steps) for steps in runs]
    median = statistics.median(rates)
    print(
        f"\nsustained (every request a 201, p99 to the agency topic under {TARGET_P99_MS:.0f} ms): "
        f"{median:g} complaints/s, the median of runs {', '.join(f'{r:g}' for r in rates)} "
        "(target 100 or more)"
    )
    return median


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.platform",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[25.0, 50.0, 75.0, 100.0, 125.0, 150.0],
        help="offered complaints per second, in turn (default 25,50,75,100,125,150)",
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="per rate (default 15)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each a fresh platform")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs: list[list[Step]] = []
    with tempfile.TemporaryDirectory(prefix="pintu-bench-platform-") as scratch:
        home = Path(scratch)
        (home / "logs").mkdir()
        try:
            with kafka(home / "kafka") as (bootstrap, broker_pid):
                for run in range(args.repeat):
                    say(f"run {run + 1}/{args.repeat}: the platform as `make run` runs it")
                    runs.append(run_platform(bootstrap, home / f"run-{run}", broker_pid, args))
        except (RuntimeError, TimeoutError, subprocess.SubprocessError) as error:
            print(f"bench failed: {error}", file=sys.stderr)
            return 1
    median = report(runs)
    document = {
        "bench": "platform",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "machine": machine(),
        "seconds_per_rate": args.seconds,
        "target_p99_ms": TARGET_P99_MS,
        "runs": [
            [{**asdict(s), "filed": s.filed, "sustained": s.sustained} for s in steps]
            for steps in runs
        ],
        "sustained_per_run": [sustained_rate(steps) for steps in runs],
        "sustained_median": median,
    }
    (RESULTS / "platform.json").write_text(json.dumps(document, indent=2) + "\n")
    chart(runs, RESULTS / "platform.png")
    say(f"wrote {RESULTS / 'platform.json'} and {RESULTS / 'platform.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
