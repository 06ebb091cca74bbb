"""Intake's ceiling: complaints filed per second, closed loop, against its bare twin.

    .venv/bin/python -m bench.intake [--clients 16] [--seconds 10] [--repeat 3]

On one broker (a throwaway one on free ports, or KAFKA_BOOTSTRAP_SERVERS), Pintu's topics
provisioned, the two servers run one at a time, in alternating order, `--repeat` times:

- `pintu intake` as `make run` runs it (SQLite in a fresh data directory, acks=all), with
  the per-client rate limit and the admission limit out of the way: its ceiling, not its
  guards;
- bench/bare_intake.py: the same FastAPI, server settings and request model with its
  validation, answering a fixed 201 (the baseline: what intake adds is the tracking id, the
  idempotency claim, the sealed identity, the publish and the record of the filing).

Each run: `--clients` clients post the README's example complaint, each with a new
Idempotency-Key, as fast as the answers come, for a warm-up and then `--seconds` measured:
201s per second, latency p50/p99, and the server's CPU milliseconds per 201. Prints a
table; writes .pintu/bench/intake.json and intake.png.
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.router import RESULTS, cpu_seconds, git_revision, kafka, say, spawn, wait_ready
from bench.stats import grid, machine
from dev.broker import free_port
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.topics import provision
from shared.domain.routing import default_directory

# The README's example filing, as a new user sends it.
EXAMPLE = {
    "title": "Jalan kabupaten berlubang di Martapura",
    "description": "Jalan penghubung desa rusak berat sejak Januari.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
    "reporter": {"name": "Siti Aminah", "phone": "0812-3456-7890"},
}
WARM_UP_SECONDS = 3.0


@dataclass(frozen=True)
class Load:
    """One measured window of a closed loop."""

    target: str
    seconds: float
    statuses: dict[int, int]
    p50_ms: float
    p99_ms: float
    cpu_ms_per_201: float | None

    @property
    def rate(self) -> float:
        return self.statuses.get(201, 0) / self.seconds


async def closed_loop(url: str, clients: int, seconds: float) -> tuple[Counter[int], list[float]]:
    """Each client posts, waits for the answer, posts again, until `seconds` have passed."""
    body = json.dumps(EXAMPLE).encode()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            while time.perf_counter() < end:
                headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
                began = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                latencies.append(time.perf_counter() - began)
                statuses[answer.status] += 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return statuses, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(target: str, env: dict[str, str], logs: Path, clients: int, seconds: float) -> Load:
    """One server started, warmed up, loaded for `seconds`, stopped."""
    port = free_port()
    if target == "intake":
        argv = ["-m", "services.cli", "intake"]
    else:
        argv = ["-m", "bench.bare_intake", str(port)]
    process = spawn(target, argv, {**env, "PINTU_INTAKE_PORT": str(port)}, logs)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", process)
        url = f"http://127.0.0.1:{port}/v1/complaints"
        asyncio.run(closed_loop(url, clients, WARM_UP_SECONDS))
        before, began = cpu_seconds(process.popen.pid), time.perf_counter()
        statuses, latencies = asyncio.run(closed_loop(url, clients, seconds))
        elapsed, after = time.perf_counter() - began, cpu_seconds(process.popen.pid)
        process.check()
    finally:
        process.stop()
    filed = statuses.get(201, 0)
    cpu = None
    if before is not None and after is not None and filed:
        cpu = (after - before) * 1000 / filed
    return Load(
        target=target,
        seconds=elapsed,
        statuses=dict(statuses),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        cpu_ms_per_201=cpu,
    )


def chart(loads: list[Load], path: Path) -> None:
    figure = Figure(figsize=(9, 4), layout="constrained")
    FigureCanvasAgg(figure)
    rates, cpu = figure.subplots(1, 2)
    measures: list[tuple[Any, Callable[[Load], float], str]] = [
        (rates, lambda load: load.rate, "complaints filed per second (201s), closed loop"),
        (cpu, lambda load: load.cpu_ms_per_201 or 0, "server CPU ms per 201"),
    ]
    for axes, value, title in measures:
        names = ["intake", "bare"]
        medians = [statistics.median(value(x) for x in loads if x.target == n) for n in names]
        axes.bar(names, medians, color=["#7f1d1d", "#9ca3af"])
        for n, name in enumerate(names):
            runs = [value(x) for x in loads if x.target == name]
            axes.scatter([n] * len(runs), runs, color="black", s=12, zorder=3)
        axes.set_title(title, fontsize=10)
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pintu-bench-intake-") as scratch:
        home = Path(scratch)
        (home / "logs").mkdir()
        with kafka(home / "kafka") as (bootstrap, _broker_pid):
            asyncio.run(provision(KafkaConnection(bootstrap), default_directory().agencies))
            loads: list[Load] = []
            for run in range(args.repeat):
                for target in ("intake", "bare") if run % 2 == 0 else ("bare", "intake"):
                    env = {
                        **os.environ,
                        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                        "PINTU_DATA_DIR": str(home / f"data-{run}-{target}"),
                        "PINTU_RATE_LIMIT_PER_MINUTE": "100000000",
                        "PINTU_MAX_IN_FLIGHT": str(args.clients * 4),
                    }
                    say(f"run {run + 1}/{args.repeat}: {target}, {args.clients} clients")
                    load = measure(target, env, home / "logs", args.clients, args.seconds)
                    loads.append(load)
                    say(f"  {load.rate:,.1f} filed/s, answers {load.statuses}")
    intake = [x for x in loads if x.target == "intake"]
    bare = [x for x in loads if x.target == "bare"]
    ratio = statistics.median(x.rate for x in intake) / statistics.median(x.rate for x in bare)
    rows = []
    for name, runs in (("pintu intake", intake), ("bare FastAPI twin", bare)):
        cpu = [x.cpu_ms_per_201 for x in runs if x.cpu_ms_per_201 is not None]
        p50 = statistics.median(x.p50_ms for x in runs)
        p99 = statistics.median(x.p99_ms for x in runs)
        rows.append(
            [
                name,
                f"{statistics.median(x.rate for x in runs):,.1f}",
                ", ".join(f"{x.rate:,.0f}" for x in runs),
                f"{p50:,.0f} / {p99:,.0f}",
                f"{statistics.median(cpu):.1f}" if cpu else "-",
            ]
        )
    print(grid(["", "filed/s (median)", "runs", "p50 / p99 ms", "CPU ms per 201"], rows))
    print(f"intake at {ratio:.2f}x its bare twin (target 0.6x or more)")
    result = {
        "bench": "intake",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "machine": machine(),
        "clients": args.clients,
        "seconds": args.seconds,
        "runs": [{**asdict(x), "rate": round(x.rate, 2)} for x in loads],
        "ratio_to_bare": round(ratio, 3),
    }
    (RESULTS / "intake.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(loads, RESULTS / "intake.png")
    say(f"wrote {RESULTS / 'intake.json'} and {RESULTS / 'intake.png'}")


if __name__ == "__main__":
    main()
