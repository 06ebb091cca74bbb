"""The notifier's outbox on PostgreSQL, as notifier pods share it: pods claiming one
endpoint's deliveries at the same moment never take the same one, and two pods queueing
one event's delivery (a rebalance) queue it once."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from services.notifier.outbox import Delivery, Outbox
from shared.adapters.sql.database import open_database
from tests.support.databases import fresh_database

ENDPOINT = "webhook https://agency.example/pintu"


def delivery(event_id: str) -> Delivery:
    return Delivery(
        event_id, "pemkab-oku-timur", "webhook", ENDPOINT, "complaint.routed", "c", b"{}"
    )


def test_pods_claiming_at_once_never_take_one_delivery_twice(postgres: str) -> None:
    url = fresh_database(postgres)
    pods = [Outbox(open_database(url), f"pod-{n}") for n in range(4)]
    events = [str(uuid.uuid4()) for _ in range(200)]
    now = time.time()
    for event_id in events:
        pods[0].add(delivery(event_id), now=now)

    start = threading.Barrier(len(pods))

    def drain(pod: Outbox) -> list[str]:
        start.wait()  # every pod at once
        taken: list[str] = []
        while batch := pod.claim(ENDPOINT, 7, 60, now=now + 1):
            taken += [d.event_id for d in batch]
            time.sleep(0.02)  # sending: the others claim meanwhile
            for d in batch:
                pod.sent(d, now=now + 1)
        return taken

    with ThreadPoolExecutor(len(pods)) as pool:
        claimed = list(pool.map(drain, pods))
    everything = [e for taken in claimed for e in taken]
    assert sorted(everything) == sorted(events)  # each once, none left behind
    assert sum(1 for taken in claimed if taken) > 1  # the pods really did share the work


def test_two_pods_queueing_one_delivery_queue_it_once(postgres: str) -> None:
    url = fresh_database(postgres)
    first, second = Outbox(open_database(url), "pod-a"), Outbox(open_database(url), "pod-b")
    event_id = str(uuid.uuid4())
    with ThreadPoolExecutor(2) as pool:
        queued = list(pool.map(lambda pod: pod.add(delivery(event_id)), (first, second)))
    assert sorted(queued) == [False, True]
