"""Delivery that survives the real world, in memory: backoff with jitter, the circuit breaker
(its transitions here, shared by pods in test_breakers.py), the outbox's once-per-key queue
and leases, and one task per endpoint so a dead endpoint never holds up another."""

import asyncio
import logging
import time
from contextlib import suppress
from pathlib import Path

from services.notifier.breaker import Admission, CircuitBreaker
from services.notifier.breakers import Breakers
from services.notifier.delivery import DeadLetter, Deliverer, Send
from services.notifier.outbox import DEAD, PENDING, SENT, Delivery, Outbox
from services.notifier.result import SENT as ACCEPTED
from services.notifier.result import Result, refused, retry
from services.notifier.retry import backoff
from shared.adapters.sql.database import open_database
from shared.config import DeliveryPolicy
from shared.logs import ComplaintContext, about_complaint

FAST = DeliveryPolicy(
    tries=4,
    first_backoff_seconds=0.01,
    max_backoff_seconds=0.05,
    breaker_failures=3,
    breaker_open_seconds=0.2,
    lease_seconds=5,
)


def outbox(tmp_path: Path, holder: str = "test") -> Outbox:
    return Outbox(open_database(f"sqlite:///{tmp_path / 'pintu.sqlite3'}"), holder)


def new_deliverer(box: Outbox, tmp_path: Path, send: Send, dead_letter: DeadLetter) -> Deliverer:
    breakers = Breakers(open_database(f"sqlite:///{tmp_path / 'pintu.sqlite3'}"), "test", FAST)
    return Deliverer(box, breakers, send, dead_letter, FAST)


def delivery(event_id: str, endpoint: str = "webhook http://a", recipient: str = "x") -> Delivery:
    return Delivery(event_id, recipient, "webhook", endpoint, "complaint.routed", "c-1", b"{}")


def test_backoff_doubles_within_full_jitter_and_is_capped() -> None:
    policy = DeliveryPolicy(first_backoff_seconds=2, max_backoff_seconds=10)
    assert [backoff(n, policy, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]
    assert backoff(3, policy, lambda: 0.0) == 0
    assert backoff(3, policy, lambda: 0.5) == 4


def test_the_breaker_opens_after_failures_in_a_row_then_lets_one_trial_through() -> None:
    breaker = CircuitBreaker(failures_to_open=3, open_seconds=30)
    breaker.failed(0)
    breaker.failed(1)
    breaker.succeeded()  # not in a row
    breaker.failed(2)
    breaker.failed(3)
    assert breaker.state(3) == "closed"
    breaker.failed(4)
    assert breaker.state(5) == "open" and breaker.wait(5) == 29
    assert breaker.state(34) == "half-open" and breaker.wait(34) == 0
    breaker.failed(34)  # the trial failed: open again at once
    assert breaker.state(35) == "open"
    breaker.succeeded()  # a trial that works closes it
    assert breaker.state(35) == "closed"


def test_a_half_open_breaker_admits_one_trial_until_its_lease_runs_out() -> None:
    breaker = CircuitBreaker(failures_to_open=1, open_seconds=30, failures=1, opened_at=0)
    assert breaker.admit("pod-a", 10, lease=60) == Admission(20)  # open: nobody
    assert breaker.admit("pod-b", 10, lease=60) == Admission(20)
    assert breaker.admit("pod-a", 30, lease=60) == Admission(0, trial=True)
    assert (breaker.trial_holder, breaker.trial_until) == ("pod-a", 90)
    assert breaker.admit("pod-b", 31, lease=60) == Admission(59)  # pod-a is trying it
    assert breaker.admit("pod-a", 40, lease=60) == Admission(0, trial=True)  # renewed
    assert breaker.trial_until == 100
    # pod-a died mid-trial: once its lease ran out, pod-b takes the trial over.
    assert breaker.admit("pod-b", 100, lease=60) == Admission(0, trial=True)
    assert breaker.trial_holder == "pod-b"


def test_a_closed_breaker_admits_everyone_and_a_failed_trial_frees_the_next_one() -> None:
    breaker = CircuitBreaker(failures_to_open=2, open_seconds=30)
    assert breaker.admit("pod-a", 0, lease=60) == Admission(0)
    assert breaker.admit("pod-b", 0, lease=60) == Admission(0)
    breaker.failed(1)  # pod-a's try
    breaker.failed(2)  # pod-b's: two in a row, by either pod, open it
    assert breaker.state(2) == "open"
    breaker.failed(3)  # pod-a's try begun while still closed: open from now on
    assert breaker.wait(3) == 30 and breaker.failures == 3
    assert breaker.admit("pod-b", 33, lease=60).trial
    breaker.failed(34)  # pod-b's trial failed: open again, and the trial is free
    assert (breaker.trial_holder, breaker.trial_until) == (None, None)
    assert breaker.admit("pod-a", 63, lease=60) == Admission(1)
    assert breaker.admit("pod-a", 64, lease=60).trial
    breaker.succeeded()
    assert breaker == CircuitBreaker(failures_to_open=2, open_seconds=30)


def test_the_outbox_queues_each_event_recipient_and_channel_once(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    assert box.add(delivery("e1"))
    assert not box.add(delivery("e1"))  # a redelivered or replayed event
    assert box.add(delivery("e1", recipient="y"))
    assert box.endpoints_pending() == ["webhook http://a"]


def test_a_lease_keeps_other_instances_off_until_it_runs_out(tmp_path: Path) -> None:
    mine, theirs = outbox(tmp_path, "a"), outbox(tmp_path, "b")
    mine.add(delivery("e1"), now=100)
    assert [d.event_id for d in mine.claim("webhook http://a", 10, 60, now=100)] == ["e1"]
    assert theirs.claim("webhook http://a", 10, 60, now=101) == []
    # Its holder may take it again (a restart of the same instance), renewing the lease.
    assert [d.event_id for d in mine.claim("webhook http://a", 10, 60, now=101)] == ["e1"]
    assert theirs.claim("webhook http://a", 10, 60, now=160) == []
    assert [d.event_id for d in theirs.claim("webhook http://a", 10, 60, now=162)] == ["e1"]


def test_only_a_dead_delivery_is_requeued_and_only_once(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    box.add(delivery("e1"), now=100)
    (claimed,) = box.claim("webhook http://a", 10, 60, now=100)
    box.dead(claimed, "HTTP 410", now=101)
    assert box.state("e1", "x", "webhook") == DEAD
    assert box.requeue("e1", "x", "webhook", now=102)
    assert not box.requeue("e1", "x", "webhook", now=103)
    assert box.state("e1", "x", "webhook") == PENDING
    (again,) = box.claim("webhook http://a", 10, 60, now=104)
    assert again.tries == 0


class Endpoints:
    """Fake endpoints by name: each answers from its script, then accepts."""

    def __init__(
        self, scripts: dict[str, list[Result]], dead: frozenset[str] = frozenset()
    ) -> None:
        self.scripts = scripts
        self.dead = dead
        self.delivered: list[tuple[str, str]] = []
        self.tries: dict[str, int] = {}

    async def send(self, d: Delivery) -> Result:
        self.tries[d.endpoint] = self.tries.get(d.endpoint, 0) + 1
        if d.endpoint in self.dead:
            return retry("connection refused")
        script = self.scripts.get(d.endpoint, [])
        if script:
            return script.pop(0)
        self.delivered.append((d.endpoint, d.event_id))
        return ACCEPTED


async def drain(deliverer: Deliverer, box: Outbox) -> None:
    """Run the deliverer until nothing is pending (or 8 seconds pass)."""
    task = asyncio.create_task(deliverer.run())
    try:
        for _ in range(400):
            await asyncio.sleep(0.02)
            if not box.endpoints_pending():
                break
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def test_a_stop_finishes_the_delivery_in_flight_and_gives_back_the_rest(
    tmp_path: Path,
) -> None:
    box = outbox(tmp_path)
    slow = "webhook http://slow"
    for n in range(3):
        box.add(delivery(f"e{n}", slow))
    started, accepted = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    async def send(d: Delivery) -> Result:
        started.set()
        await accepted.wait()  # the endpoint takes its time; the stop comes meanwhile
        sent.append(d.event_id)
        return ACCEPTED

    async def dead_letter(d: Delivery, why: str) -> None:
        raise AssertionError(why)

    task = asyncio.create_task(new_deliverer(box, tmp_path, send, dead_letter).run())
    await started.wait()
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # the stop waits for the endpoint's answer
    accepted.set()
    with suppress(asyncio.CancelledError):
        await task
    assert sent == ["e0"] and box.state("e0", "x", "webhook") == SENT
    # The other two are free for another pod now, not when their lease runs out.
    assert [d.event_id for d in box.claim(slow, 10, 5, time.time())] == ["e1", "e2"]


async def test_three_failures_then_success_delivers_once(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    flaky = "webhook http://flaky"
    endpoints = Endpoints({flaky: [retry("HTTP 503")] * 3})
    dead_letters: list[str] = []

    async def dead_letter(d: Delivery, why: str) -> None:
        dead_letters.append(why)

    box.add(delivery("e1", flaky))
    await drain(new_deliverer(box, tmp_path, endpoints.send, dead_letter), box)
    assert endpoints.delivered == [(flaky, "e1")]
    assert endpoints.tries[flaky] == 4
    assert dead_letters == []
    assert box.state("e1", "x", "webhook") == SENT


async def test_a_dead_endpoint_is_dead_lettered_while_another_keeps_flowing(
    tmp_path: Path,
) -> None:
    box = outbox(tmp_path)
    dead, alive = "webhook http://dead", "webhook http://alive"
    endpoints = Endpoints({}, dead=frozenset({dead}))
    dead_letters: list[tuple[str, str]] = []

    async def dead_letter(d: Delivery, why: str) -> None:
        dead_letters.append((d.event_id, why))

    for n in range(3):
        box.add(delivery(f"dead-{n}", dead))
    for n in range(10):
        box.add(delivery(f"alive-{n}", alive))
    await drain(new_deliverer(box, tmp_path, endpoints.send, dead_letter), box)
    assert endpoints.delivered == [(alive, f"alive-{n}") for n in range(10)]
    assert sorted(e for e, _ in dead_letters) == ["dead-0", "dead-1", "dead-2"]
    assert all("after 4 tries" in why for _, why in dead_letters)
    assert endpoints.tries[dead] == 3 * FAST.tries  # each delivery its tries, no more


async def test_a_refusal_is_dead_lettered_at_once(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    gone = "webhook http://gone"
    endpoints = Endpoints({gone: [refused("HTTP 410")]})
    dead_letters: list[str] = []

    async def dead_letter(d: Delivery, why: str) -> None:
        dead_letters.append(why)

    box.add(delivery("e1", gone))
    await drain(new_deliverer(box, tmp_path, endpoints.send, dead_letter), box)
    assert dead_letters == ["webhook http://gone: HTTP 410"]
    assert endpoints.tries[gone] == 1


class Lines(logging.Handler):
    """Records as the deployed handler sees them, with the service and complaint added."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(ComplaintContext("notifier"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_each_delivery_line_names_its_own_complaint(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    sms = "sms http://gateway"
    endpoints = Endpoints({})
    running = new_deliverer(box, tmp_path, endpoints.send, lambda d, why: asyncio.sleep(0))
    lines = Lines()
    logger = logging.getLogger("services.notifier.delivery")
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    task = asyncio.create_task(running.run())
    try:
        # As the notifier's handler does: each event's deliveries queued, and their endpoint
        # woken, while its complaint is being handled. The first wake starts the endpoint's task.
        for complaint in ("complaint-a", "complaint-b"):
            with about_complaint(complaint):
                queued = Delivery(
                    f"e-{complaint}", "reporter", "sms", sms, "received", complaint, b""
                )
                box.add(queued)
                running.wake(sms)
            await asyncio.sleep(0)
        for _ in range(400):  # until both lines are logged: each after its outbox row is written
            if len(delivered_lines(lines)) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        logger.removeHandler(lines)
    assert delivered_lines(lines) == [
        ("complaint-a", "sms", "received"),
        ("complaint-b", "sms", "received"),
    ]


def delivered_lines(lines: Lines) -> list[tuple[str, str, str]]:
    return [
        (r.complaint_id, r.channel, r.kind)  # type: ignore[attr-defined]
        for r in lines.records
        if r.getMessage() == "notification delivered"
    ]
