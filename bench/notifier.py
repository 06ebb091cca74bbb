"""The notifier's deliveries per second and CPU per delivery, against a bare httpx poster
sending the same bodies to the same receiver.

    .venv/bin/python -m bench.notifier [--complaints 2000] [--repeat 3]

On a throwaway broker (or KAFKA_BOOTSTRAP_SERVERS), each run starts `pintu notifier` as
`make run` runs it (SQLite outbox and its exactly-once ledger, breakers, signed webhooks),
with a fresh database and its webhooks going to a receiver inside this process that answers
200 at once. Then `--complaints` anonymous complaints are put on `complaints.events`, each
filed and routed (two events, one webhook to the agency: the default directory names no
liaison, so no e-mail), and timed from the first record produced to the last webhook
received. The bare poster (bench/bare_poster.py) then posts the same requests (headers and
bodies as received) to the same receiver, in turn, with one httpx client: what one endpoint
costs with nothing read, planned, signed or recorded.

For each: deliveries per second and CPU milliseconds per delivery (the notifier's from
/proc, over the whole window; the poster's own). The ratio of CPU per delivery is the one the
notifier is held to (3x or less). Writes .pintu/bench/notifier.json and notifier.png.
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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiokafka import AIOKafkaProducer
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.router import (
    CASES,
    DESCRIPTION,
    REPO,
    RESULTS,
    cpu_seconds,
    git_revision,
    kafka,
    say,
    spawn,
    wait_ready,
)
from bench.stats import grid, machine
from dev.broker import free_port
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.adapters.kafka.topics import provision
from shared.contracts.chain import link_of
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.routing import Directory, default_directory

DELIVERY_TIMEOUT = 300.0
KEPT_HEADERS = ("content-type", "pintu-event-id", "pintu-timestamp", "pintu-signature")


@dataclass(frozen=True)
class Window:
    """One measured stretch of deliveries."""

    target: str  # "notifier" or "bare"
    deliveries: int
    seconds: float
    cpu_seconds: float | None

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds

    @property
    def cpu_ms(self) -> float | None:
        return None if self.cpu_seconds is None else self.cpu_seconds * 1000 / self.deliveries


class Receiver:
    """Answers every webhook 200 at once; keeps what it was sent and counts distinct ids."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.ids: set[str] = set()
        self._expected = 0
        self.done = asyncio.Event()

    def expect(self, count: int) -> None:
        self.requests, self.ids, self._expected = [], set(), count
        self.done.clear()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        headers = {k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS}
        self.requests.append({"headers": headers, "body": body})
        self.ids.add(request.headers.get("Pintu-Event-Id", ""))
        if len(self.requests) >= self._expected:
            self.done.set()
        return web.Response(text="ok")


def history(n: int, directory: Directory) -> list[tuple[bytes, bytes]]:
    """Complaint `n` filed and routed, as intake and the router write them (chained)."""
    category, region = CASES[n % len(CASES)]
    complaint = Complaint(
        tracking_id=f"B{n:09d}",
        report_type=ReportType.COMPLAINT,
        title=f"Laporan uji pengiriman nomor {n}",
        description=DESCRIPTION,
        category=category,
        region_code=region,
        channel=Channel.PARTNER_API,
    )
    decision = directory.decide(category, region)
    complaint.route(decision.agency_id, decision.rule_id, decision.reason)
    filed, routed = complaint.new_events()
    first = encode(filed, "/pintu/intake", "http://intake")
    second = encode(routed, "/pintu/router", "http://router", link_of(first[1]))
    return [first, second]


async def produce(bootstrap: str, records: list[tuple[bytes, bytes]]) -> None:
    connection = KafkaConnection(bootstrap)
    producer = AIOKafkaProducer(**connection.client_kwargs(), acks="all", linger_ms=5)
    await start(producer, connection)
    try:
        sent = [await producer.send(topics.EVENTS, value, key=key) for key, value in records]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def notifier_window(
    bootstrap: str, home: Path, run: int, receiver: Receiver, url: str, complaints: int
) -> Window:
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PINTU_DATA_DIR": str(home / f"data-{run}"),
        "PINTU_NOTIFIER_PORT": str(port),
        "PINTU_WEBHOOK_URL": url,
    }
    directory = default_directory()
    records = [r for n in range(complaints) for r in history(run * complaints + n, directory)]
    process = spawn(f"notifier-{run}", ["-m", "services.cli", "notifier"], env, home / "logs")
    try:
        await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{port}/healthz", process)
        await asyncio.sleep(3)  # its consumer joins the group and is assigned the partitions
        receiver.expect(complaints)
        before, began = cpu_seconds(process.popen.pid), time.perf_counter()
        await produce(bootstrap, records)
        await asyncio.wait_for(receiver.done.wait(), DELIVERY_TIMEOUT)
        seconds, after = time.perf_counter() - began, cpu_seconds(process.popen.pid)
        process.check()
    finally:
        process.stop()
    if len(receiver.ids) != complaints:
        raise RuntimeError(f"{len(receiver.ids)} distinct webhooks for {complaints} complaints")
    cpu = None if before is None or after is None else after - before
    return Window("notifier", complaints, seconds, cpu)


async def bare_window(home: Path, run: int, receiver: Receiver, url: str) -> Window:
    path = home / f"requests-{run}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in receiver.requests))
    count = len(receiver.requests)
    receiver.expect(count)
    poster = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bare_poster",
        url,
        str(path),
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    out, _ = await poster.communicate()
    if poster.returncode != 0:
        raise RuntimeError(f"the bare poster failed ({poster.returncode}): {out.decode()}")
    figures = json.loads(out)
    return Window("bare", count, figures["seconds"], figures["cpu"])


async def bench(args: argparse.Namespace, home: Path) -> list[Window]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/webhook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/webhook"
    windows: list[Window] = []
    try:
        with kafka(home / "kafka") as (bootstrap, _broker_pid):
            await provision(KafkaConnection(bootstrap), default_directory().agencies)
            for run in range(args.repeat):
                say(f"run {run + 1}/{args.repeat}: the notifier, {args.complaints:,} webhooks")
                ours = await notifier_window(bootstrap, home, run, receiver, url, args.complaints)
                say(f"  {ours.rate:,.0f} deliveries/s, {ours.cpu_ms or 0:.2f} CPU ms each")
                bare = await bare_window(home, run, receiver, url)
                say(f"  bare poster: {bare.rate:,.0f}/s, {bare.cpu_ms or 0:.2f} CPU ms each")
                windows += [ours, bare]
    finally:
        await runner.cleanup()
    return windows


def chart(windows: list[Window], path: Path) -> None:
    figure = Figure(figsize=(9, 4), layout="constrained")
    FigureCanvasAgg(figure)
    rates, cpu = figure.subplots(1, 2)
    names = ["notifier", "bare"]
    measures: list[tuple[Any, Callable[[Window], float], str]] = [
        (rates, lambda w: w.rate, "webhooks delivered per second"),
        (cpu, lambda w: w.cpu_ms or 0.0, "CPU ms per delivery"),
    ]
    for axes, value, title in measures:
        runs = [[value(w) for w in windows if w.target == name] for name in names]
        axes.bar(
            ["pintu notifier", "bare httpx poster"],
            [statistics.median(r) for r in runs],
            color=["#7f1d1d", "#9ca3af"],
        )
        for n, values in enumerate(runs):
            axes.scatter([n] * len(values), values, color="black", s=12, zorder=3)
        axes.set_title(title, fontsize=10)
    figure.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=2000, help="per run (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs (default 3)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pintu-bench-notifier-") as scratch:
        home = Path(scratch)
        (home / "logs").mkdir()
        try:
            windows = asyncio.run(bench(args, home))
        except (RuntimeError, TimeoutError) as error:
            print(f"bench failed: {error}", file=sys.stderr)
            return 1
    rows = []
    for name, label in (("notifier", "pintu notifier"), ("bare", "bare httpx poster")):
        runs = [w for w in windows if w.target == name]
        cpu = [w.cpu_ms for w in runs if w.cpu_ms is not None]
        rows.append(
            [
                label,
                f"{statistics.median(w.rate for w in runs):,.0f}",
                ", ".join(f"{w.rate:,.0f}" for w in runs),
                f"{statistics.median(cpu):.2f}" if cpu else "-",
                ", ".join(f"{c:.2f}" for c in cpu),
            ]
        )
    print(grid(["", "deliveries/s (median)", "runs", "CPU ms each (median)", "runs"], rows))
    ours = [w.cpu_ms for w in windows if w.target == "notifier" and w.cpu_ms is not None]
    bare = [w.cpu_ms for w in windows if w.target == "bare" and w.cpu_ms is not None]
    cpu_ratio = statistics.median(ours) / statistics.median(bare) if ours and bare else None
    rate_ratio = statistics.median(
        w.rate for w in windows if w.target == "notifier"
    ) / statistics.median(w.rate for w in windows if w.target == "bare")
    if cpu_ratio is not None:
        print(
            f"the notifier spends {cpu_ratio:.1f}x the bare poster's CPU per delivery "
            f"(target 3x or less); it delivers at {rate_ratio:.2f}x its rate"
        )
    result = {
        "bench": "notifier",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "machine": machine(),
        "complaints": args.complaints,
        "runs": [{**asdict(w), "rate": round(w.rate, 1), "cpu_ms": w.cpu_ms} for w in windows],
        "cpu_ratio_to_bare": None if cpu_ratio is None else round(cpu_ratio, 2),
        "rate_ratio_to_bare": round(rate_ratio, 3),
    }
    (RESULTS / "notifier.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(windows, RESULTS / "notifier.png")
    say(f"wrote {RESULTS / 'notifier.json'} and {RESULTS / 'notifier.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
