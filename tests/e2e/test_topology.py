"""Every worker scaled out on one broker and one PostgreSQL, as the production overlay runs
them, while complaints stream in and agencies act on them: each kind rolled (SIGTERM, start
again) and one of each SIGKILLed. Nothing is lost, nothing doubled, the read models are a
replay of the log and the log's chain is intact."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from dev.broker import free_port
from shared.adapters.kafka import topics
from shared.contracts.cloudevents import decode
from shared.domain.complaint import Complaint
from shared.domain.routing import default_directory
from tests.integration.test_sla_peers import group_members
from tests.support.brokers import connection, local_broker
from tests.support.databases import fresh_database
from tests.support.platform import spawn, stop, wait_until_ready
from tests.support.receivers import WebhookReceiver, mail_receiver, webhook_receiver
from tests.support.topics import read_all, read_until

REPLICAS = {"intake": 3, "router": 3, "sla": 2, "notifier": 2, "projections": 2}
PORT_VARIABLES = {
    "intake": "PINTU_INTAKE_PORT",
    "router": "PINTU_ROUTER_PORT",
    "sla": "PINTU_SLA_PORT",
    "notifier": "PINTU_NOTIFIER_PORT",
    "projections": "PINTU_PROJECTIONS_PORT",
}
GROUPS = {  # the consumer group each kind's replicas share
    "router": "pintu-router-owner",
    "sla": topics.app_id("sla"),
    "notifier": topics.app_id("notifier"),
    "projections": topics.app_id("projections"),
}
AGENCY = "pemkab-oku-timur"
AGENCY_KEY = {"Authorization": "Bearer pintu-dev-agency-key"}
COMPLAINTS = 1000
KILLED = ("router", "sla", "notifier", "projections", "intake")


def complaint(n: int) -> dict[str, object]:
    return {
        "report_type": "pengaduan",
        "title": f"Jalan kabupaten berlubang, laporan {n}",
        "description": "Jalan penghubung desa rusak berat; dua pengendara jatuh.",
        "category": "jalan-daerah",
        "location": {"region_code": "16.08.01", "address": "Jl. Lintas Desa Terukis"},
    }


@dataclass
class Cluster:
    """The workers, each its own process and port, sharing one environment."""

    env: dict[str, str]
    home: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @staticmethod
    def names() -> list[str]:
        return [f"{kind}-{n}" for kind, count in REPLICAS.items() for n in range(1, count + 1)]

    def start(self, *names: str) -> None:
        """Start the workers together, then wait until each is ready."""
        for name in names:
            kind = name.rsplit("-", 1)[0]
            port = self.ports.setdefault(name, free_port())
            logs = self.home / "logs" / name
            logs.mkdir(parents=True, exist_ok=True)
            env = {
                **self.env,
                PORT_VARIABLES[kind]: str(port),
                "PINTU_DATA_DIR": str(self.home / "data" / name),
            }
            self.processes[name] = spawn(kind, env, logs)
        for name in names:
            kind = name.rsplit("-", 1)[0]
            log = self.home / "logs" / name / f"{kind}.log"
            url = f"http://127.0.0.1:{self.ports[name]}/readyz"
            wait_until_ready(url, self.processes[name], log)

    def roll(self, name: str) -> None:
        stop(self.processes[name])  # SIGTERM, as a rolling update does
        self.start(name)

    def kill(self, name: str) -> None:
        self.processes[name].kill()  # SIGKILL: no shutdown hook runs
        self.processes[name].wait()
        self.start(name)

    def intakes(self) -> list[str]:
        return [f"http://127.0.0.1:{self.ports[n]}" for n in self.names() if n.startswith("intake")]

    def stop_all(self) -> None:
        for process in self.processes.values():
            stop(process)


@pytest.fixture
def cluster(tmp_path: Path, postgres: str) -> Iterator[tuple[Cluster, str, WebhookReceiver]]:
    with (
        local_broker(tmp_path / "kafka") as broker,
        webhook_receiver() as webhooks,
        mail_receiver() as mail,
    ):
        bootstrap = broker.bootstrap_servers
        asyncio.run(topics.provision(connection(bootstrap), default_directory().agencies))
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": fresh_database(postgres),
            "PINTU_WEBHOOK_URL": webhooks.url,
            "PINTU_WEBHOOK_SECRET": "topology-secret",
            "PINTU_SMTP_PORT": str(mail.port),
            "PINTU_RATE_LIMIT_PER_MINUTE": "100000",
        }
        cluster = Cluster(env, tmp_path)
        try:
            cluster.start(*cluster.names())
            yield cluster, bootstrap, webhooks
        finally:
            cluster.stop_all()


async def file_all(cluster: Cluster, filed: dict[str, str], disrupted: asyncio.Event) -> None:
    """File until COMPLAINTS are in and the disruptions are over, each through the next
    intake; one that does not answer is retried on another with the same Idempotency-Key,
    as a load balancer would. `filed`: tracking id -> complaint id of every 201."""
    async with httpx.AsyncClient(timeout=30) as http:
        n = 0
        while n < COMPLAINTS or not disrupted.is_set():
            key = str(uuid.uuid4())
            # A retry after its intake was killed mid-filing is 409 until that filing's
            # lease on the key runs out (60 s): then it is taken over and answered.
            for attempt in range(400):
                base = cluster.intakes()[(n + attempt) % len(cluster.intakes())]
                try:
                    answer = await http.post(
                        f"{base}/v1/complaints", json=complaint(n), headers={"Idempotency-Key": key}
                    )
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
                    continue
                if answer.status_code == 201:
                    filed[answer.json()["tracking_id"]] = answer.json()["complaint_id"]
                    break
                assert answer.status_code in (409, 503), answer.text  # in flight, or down
                await asyncio.sleep(0.3)
            else:
                raise AssertionError(f"complaint {n} was never filed")
            n += 1
            await asyncio.sleep(0.05)


async def acknowledge_some(
    cluster: Cluster, filed: dict[str, str], disrupted: asyncio.Event
) -> dict[str, int]:
    """Agencies act while all this goes on: each complaint routed (seen in the read model)
    acknowledged once, through any intake, until the disruptions are over. Returns tracking
    id -> the answer's status."""
    answers: dict[str, int] = {}
    unanswered: set[str] = set()  # asked, and the intake went away before it answered
    async with httpx.AsyncClient(timeout=30) as http:
        while not disrupted.is_set():
            for tracking_id in [t for t in list(filed) if t not in answers][:5]:
                base = cluster.intakes()[len(answers) % len(cluster.intakes())]
                path = f"{base}/v1/agencies/{AGENCY}/complaints/{tracking_id}/acknowledge"
                try:
                    answer = await http.post(
                        path, json={"tier": "tanpa_peninjauan_lapangan"}, headers=AGENCY_KEY
                    )
                except httpx.TransportError:
                    unanswered.add(tracking_id)
                    continue
                if answer.status_code in (200, 202):
                    answers[tracking_id] = answer.status_code
                elif answer.status_code == 409 and tracking_id in unanswered:
                    answers[tracking_id] = 409  # the unanswered ask was recorded: done once
                else:  # not routed yet in the read model (404), or intake stopping (503)
                    assert answer.status_code in (404, 503), answer.text
                    unanswered.add(tracking_id)
            await asyncio.sleep(0.5)
    return answers


def disrupt(cluster: Cluster) -> None:
    """Roll every worker of every kind, one at a time; then SIGKILL one of each kind."""
    for name in cluster.names():
        cluster.roll(name)
    for kind in KILLED:
        cluster.kill(f"{kind}-1")


def cli(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**cluster.env, "PINTU_DATA_DIR": str(cluster.home / "data" / "cli")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_every_worker_scaled_out_rolled_and_killed_loses_and_doubles_nothing(
    cluster: tuple[Cluster, str, WebhookReceiver],
) -> None:
    workers, bootstrap, webhooks = cluster
    disrupted = asyncio.Event()
    filed: dict[str, str] = {}
    filing = asyncio.create_task(file_all(workers, filed, disrupted))
    acting = asyncio.create_task(acknowledge_some(workers, filed, disrupted))
    await asyncio.sleep(5)  # complaints are streaming when the first worker goes
    await asyncio.to_thread(disrupt, workers)
    disrupted.set()
    await filing
    acknowledged = await acting
    assert acknowledged, "no complaint was acknowledged while the workers moved"

    # Every worker alive, every group whole.
    for name, process in workers.processes.items():
        assert process.poll() is None, f"{name} exited with {process.returncode}"
        assert httpx.get(f"http://127.0.0.1:{workers.ports[name]}/readyz").status_code == 200
    for kind, group in GROUPS.items():
        for _ in range(120):
            if await group_members(bootstrap, group) == REPLICAS[kind]:
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"{group} never had its {REPLICAS[kind]} members again")

    # 0 lost, 0 doubled: each complaint on its agency's topic once (read_committed).
    wanted = {complaint_id.encode() for complaint_id in filed.values()}
    delivered = await read_until(
        bootstrap, topics.routed(AGENCY), lambda rs: wanted <= {r.key for r in rs}, timeout=180
    )
    on_topic = Counter(r.key for r in delivered if r.key in wanted)
    assert set(on_topic.values()) == {1} and len(on_topic) == len(filed) >= COMPLAINTS

    # Each acknowledgement recorded once; one answered 200 or 409 recorded for sure.
    log = await read_all(bootstrap, topics.EVENTS)
    acks = Counter(r.key for r in log if isinstance(decode(r.value), Complaint.Acknowledged))
    assert all(count == 1 for count in acks.values())
    for tracking_id, status in acknowledged.items():
        if status in (200, 409):
            assert acks[filed[tracking_id].encode()] == 1, tracking_id

    # Every routing told to the agency's endpoint; a repeat only in the window the contract
    # documents: a delivery in flight when its notifier was killed (one endpoint here).
    routed_ids = {
        envelope_id
        for r in log
        if b'"pintu.complaint.routed"' in r.value and r.key in wanted
        for envelope_id in [r.value.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode()]
    }
    for _ in range(240):
        got = {w.headers.get("Pintu-Event-Id") for w in list(webhooks.requests)}
        if routed_ids <= got:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError(f"{len(routed_ids - got)} routings never reached the endpoint")
    repeats = Counter((w.headers.get("Pintu-Event-Id"), w.body) for w in webhooks.requests)
    assert sum(count - 1 for count in repeats.values()) <= 1

    # The read models are what a fresh replay of the log makes of it, row for row.
    replayed = cli(workers, "replay", "--compare")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    # And the log's chain of hashes is intact.
    audited = cli(workers, "audit", "verify")
    assert audited.returncode == 0, audited.stdout + audited.stderr
