"""Two notifier replicas draining one outbox, on PostgreSQL and on SQLite, against a real
HTTP endpoint that is down, then back.

Once the circuit opens, neither replica tries the endpoint until the open period is over;
then the two together make one trial, however long it takes (the endpoint holds it while
the other replica keeps asking); a failed trial opens the circuit again; and when the
endpoint is back, a trial closes the circuit and both replicas deliver again, each delivery
once. The replicas' clock is the test's, so an open period ends when the test says.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from services.notifier import delivery as delivering
from services.notifier.breaker import Admission
from services.notifier.breakers import Breakers
from services.notifier.delivery import Deliverer, Send
from services.notifier.outbox import SENT, Delivery, Outbox
from services.notifier.result import Result
from services.notifier.webhook import post
from shared.adapters.sql.database import open_database
from shared.config import DeliveryPolicy
from shared.contracts import webhooks
from tests.support.databases import fresh_database
from tests.support.waiting import wait_for

OPEN_SECONDS = 30.0  # on the test's clock, which moves only when the test moves it
POLICY = DeliveryPolicy(
    tries=1000,  # nothing is dead-lettered here: only the circuit decides
    first_backoff_seconds=0.01,
    max_backoff_seconds=0.05,
    timeout_seconds=60,  # a trial the endpoint holds is not cut short
    breaker_failures=3,
    breaker_open_seconds=OPEN_SECONDS,
    lease_seconds=600,
)
QUEUED = 30


@dataclass
class Agency:
    """A real HTTP endpoint: answers `status` to every POST, and while `gated`, holds each
    request until the test lets it through."""

    url: str
    status: int = 503
    gated: bool = False
    answers: list[tuple[int, str]] = field(default_factory=list)  # (status, Pintu-Event-Id)
    held: int = 0
    dead_letters: list[str] = field(default_factory=list)  # by the replicas: none expected
    passes: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def let_through(self, count: int = 1) -> None:
        self.passes.release(count)

    def accepted(self) -> list[str]:
        return [event_id for status, event_id in self.answers if status == 200]


@contextmanager
def agency_endpoint() -> Iterator[Agency]:
    agency: Agency

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if agency.gated:
                with agency.lock:
                    agency.held += 1
                agency.passes.acquire()
                with agency.lock:
                    agency.held -= 1
            status = agency.status
            agency.answers.append((status, self.headers[webhooks.EVENT_ID_HEADER]))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    agency = Agency(f"http://127.0.0.1:{server.server_port}/webhook")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield agency
    finally:
        agency.let_through(1000)  # nothing left hanging at shutdown
        server.shutdown()
        server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Watched(Breakers):
    """The replica's breakers, recording what it was told at each look."""

    def __init__(self, database: Engine, holder: str) -> None:
        super().__init__(database, holder, POLICY)
        self.told: list[Admission] = []

    def admit(self, endpoint: str, now: float) -> Admission:
        admission = super().admit(endpoint, now)
        self.told.append(admission)
        return admission


@dataclass
class Replica:
    name: str
    outbox: Outbox
    breakers: Watched
    sent: list[str] = field(default_factory=list)  # event ids this replica sent


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pintu.sqlite3'}"
    return fresh_database(request.getfixturevalue("postgres"))


@asynccontextmanager
async def running(replicas: list[Replica], agency: Agency, clock: Clock) -> AsyncIterator[None]:
    async with httpx.AsyncClient(timeout=POLICY.timeout_seconds) as client:

        def sender(replica: Replica) -> Send:
            async def send(d: Delivery) -> Result:
                replica.sent.append(d.event_id)
                return await post(client, agency.url, "secret", d.event_id, d.payload)

            return send

        async def dead_letter(d: Delivery, why: str) -> None:
            agency.dead_letters.append(why)

        tasks = [
            asyncio.create_task(
                Deliverer(r.outbox, r.breakers, sender(r), dead_letter, POLICY, now=clock).run()
            )
            for r in replicas
        ]
        try:
            yield
        finally:
            agency.let_through(1000)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task


async def told_to_wait_again(replica: Replica, times: int = 3) -> None:
    """Until `replica` has looked at the circuit `times` more times, each told to wait: it
    has no try in flight, and made none meanwhile."""
    told = replica.breakers.told
    seen = len(told)

    def looked() -> bool:
        return len(told) >= seen + times or any(t.wait == 0 for t in told[seen:])

    await wait_for(looked, 20, f"{replica.name} to look at the circuit")
    assert all(t.wait > 0 for t in told[seen:]), f"{replica.name} was let through"


async def one_trial_between(replicas: list[Replica], agency: Agency, clock: Clock) -> None:
    """Ends the open period, and waits until one replica's trial is held at the endpoint and
    the other has been told to wait a few times meanwhile."""
    marks = [len(r.breakers.told) for r in replicas]
    clock.now += OPEN_SECONDS
    await wait_for(lambda: agency.held >= 1, 20, "a trial")

    def looks() -> list[list[Admission]]:
        return [r.breakers.told[mark:] for r, mark in zip(replicas, marks, strict=True)]

    def the_other_waited() -> bool:  # half-open, but the trial is taken
        return any(
            sum(t.wait > 0 for t in told) >= 3 and not any(t.trial for t in told)
            for told in looks()
        )

    await wait_for(lambda: agency.held > 1 or the_other_waited(), 20, "the other's looks")
    assert agency.held == 1, "a second trial in one open period"
    assert sum(t.trial for told in looks() for t in told) == 1


async def test_two_replicas_make_one_trial_per_open_period_and_both_resume(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A replica looks at an open circuit this often (1 s when deployed): the test goes faster.
    monkeypatch.setattr(delivering, "OPEN_LOOK_SECONDS", 0.05)
    clock = Clock()
    replicas = [
        Replica(
            name,
            Outbox(open_database(database_url), name),
            Watched(open_database(database_url), name),
        )
        for name in ("replica-a", "replica-b")
    ]
    shared = replicas[0].breakers
    with agency_endpoint() as agency:
        endpoint = f"webhook {agency.url}"
        events = [f"event-{n:02d}" for n in range(QUEUED)]
        for event_id in events:
            replicas[0].outbox.add(
                Delivery(event_id, "agency", "webhook", endpoint, "routed", "c", b"{}"),
                now=clock.now,
            )

        async with running(replicas, agency, clock):
            # Down: failures by either replica open the circuit, and it stops both.
            await wait_for(lambda: shared.breaker(endpoint).opened_at is not None, 30, "opening")
            for replica in replicas:
                await told_to_wait_again(replica, times=1)
            tried = len(agency.answers)
            # Three failures in a row open it; at most one more was already on its way.
            assert POLICY.breaker_failures <= tried <= POLICY.breaker_failures + 1
            for replica in replicas:
                await told_to_wait_again(replica)
            assert len(agency.answers) == tried

            # Each open period over, still down: one trial between the two, then open again.
            agency.gated = True
            for _ in range(2):
                await one_trial_between(replicas, agency, clock)
                assert len(agency.answers) == tried
                agency.let_through()
                await wait_for(
                    lambda: shared.breaker(endpoint).opened_at == clock.now, 20, "reopening"
                )
                tried += 1
                for replica in replicas:
                    await told_to_wait_again(replica)
                assert len(agency.answers) == tried
                assert [status for status, _ in agency.answers] == [503] * tried

            # Back: a trial closes the circuit, and both replicas deliver again.
            agency.status = 200
            clock.now += OPEN_SECONDS
            await wait_for(lambda: agency.held == 1, 20, "the trial")
            sent_before = {r.name: len(r.sent) for r in replicas}
            agency.let_through()
            # Each replica's next try held at the endpoint: both are trying at once.
            await wait_for(lambda: agency.held == 2, 20, "both replicas trying")
            assert all(len(r.sent) > sent_before[r.name] for r in replicas)
            agency.gated = False
            agency.let_through(2)
            await wait_for(lambda: sorted(agency.accepted()) == events, 30, "every delivery")
            assert shared.breaker(endpoint).state(clock.now) == "closed"
            assert agency.dead_letters == []
            assert all(
                r.outbox.state(e, "agency", "webhook") == SENT for r in replicas for e in events
            )
