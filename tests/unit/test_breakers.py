"""The circuit breakers as notifier pods share them, on one SQLite database: a circuit one
pod opened is open for the other, a half-open circuit gives its trial to one pod only however
many ask at once, and pods failing at once lose no failure (each write is a compare-and-set)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from services.notifier.breaker import Admission
from services.notifier.breakers import Breakers
from shared.adapters.sql.database import open_database
from shared.config import DeliveryPolicy

POLICY = DeliveryPolicy(breaker_failures=3, breaker_open_seconds=30, lease_seconds=60)
ENDPOINT = "webhook http://agency.example"


def pods(tmp_path: Path, count: int) -> list[Breakers]:
    url = f"sqlite:///{tmp_path / 'pintu.sqlite3'}"
    return [Breakers(open_database(url), f"pod-{n}", POLICY) for n in range(count)]


def test_a_circuit_one_pod_opened_is_open_for_the_other(tmp_path: Path) -> None:
    a, b = pods(tmp_path, 2)
    assert b.admit(ENDPOINT, 100) == Admission(0)  # no row yet: closed
    a.failed(ENDPOINT, 100)
    b.failed(ENDPOINT, 101)
    assert a.breaker(ENDPOINT).state(101) == "closed"
    a.failed(ENDPOINT, 102)  # the third in a row, whichever pod made them
    assert b.admit(ENDPOINT, 110) == Admission(22)
    assert b.admit(ENDPOINT, 132) == Admission(0, trial=True)
    assert a.admit(ENDPOINT, 133) == Admission(59)  # b holds the trial
    b.succeeded(ENDPOINT)
    assert a.admit(ENDPOINT, 134) == Admission(0)
    assert a.breaker(ENDPOINT).failures == 0


def test_pods_asking_at_once_get_one_trial_and_lose_no_failure(tmp_path: Path) -> None:
    everyone = pods(tmp_path, 8)
    start = threading.Barrier(len(everyone))

    def fail_ten_times(pod: Breakers) -> None:
        start.wait()
        for _ in range(10):
            pod.failed(ENDPOINT, 100)

    with ThreadPoolExecutor(len(everyone)) as pool:
        list(pool.map(fail_ten_times, everyone))
    assert everyone[0].breaker(ENDPOINT).failures == 80

    def ask(pod: Breakers) -> Admission:
        start.wait()
        return pod.admit(ENDPOINT, 130)  # half-open

    with ThreadPoolExecutor(len(everyone)) as pool:
        answers = list(pool.map(ask, everyone))
    assert sum(answer.trial for answer in answers) == 1
    assert sorted(answer.wait for answer in answers) == [0] + [60] * 7
