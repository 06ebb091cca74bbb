"""Every endpoint's circuit breaker, one row of `notifier_breakers` each, in the outbox's
database: every notifier pod sees the circuit another opened, and a half-open circuit
admits one trial across all of them (docs/decisions/0011).

Each change is a compare-and-set: read the row, apply the pure transition
(services/notifier/breaker.py), and write it only if its `version` is still the one read;
a pod that lost the race reads again. The same on SQLite and PostgreSQL, with no lock held
between the read and the write. A missing row is a closed breaker.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from services.notifier.breaker import Admission, CircuitBreaker
from shared.adapters.sql.migrations import ensure_current
from shared.config import DeliveryPolicy

T = TypeVar("T")

METADATA = MetaData()
BREAKERS = Table(
    "notifier_breakers",
    METADATA,
    Column("endpoint", String(600), primary_key=True),
    Column("failures", Integer, nullable=False),  # in a row, by every pod
    Column("opened_at", Float),  # time.time(); None: closed
    Column("trial_holder", String(200)),  # the pod trying the half-open circuit
    Column("trial_until", Float),  # when another pod may take the trial over
    Column("version", Integer, nullable=False),  # bumped by every write: the compare-and-set
)


_READ = select(BREAKERS).where(BREAKERS.c.endpoint == bindparam("endpoint_"))
# A success closes the circuit and clears its count (CircuitBreaker.succeeded), in one
# statement that changes only a breaker that was not closed and clear already (the version
# bumped like any other write's). Run only when a read found it so: a read takes no lock, a
# write takes the database's one writer's (SQLite), which every delivery would then queue for.
_SUCCEEDED = (
    update(BREAKERS)
    .where(
        BREAKERS.c.endpoint == bindparam("endpoint_"),
        or_(
            BREAKERS.c.failures != 0,
            BREAKERS.c.opened_at.is_not(None),
            BREAKERS.c.trial_holder.is_not(None),
            BREAKERS.c.trial_until.is_not(None),
        ),
    )
    .values(
        failures=0,
        opened_at=None,
        trial_holder=None,
        trial_until=None,
        version=BREAKERS.c.version + 1,
    )
)


class Breakers:
    def __init__(self, database: Engine, holder: str, policy: DeliveryPolicy) -> None:
        self._db = database
        self._holder = holder  # this instance, as for the outbox's leases
        self._policy = policy
        ensure_current(database)

    def breaker(self, endpoint: str) -> CircuitBreaker:
        """The endpoint's breaker as it is now (a copy: changing it changes nothing)."""
        return self._read(endpoint)[0]

    def admit(self, endpoint: str, now: float) -> Admission:
        """Whether this instance may try `endpoint` now (taking the trial when half-open)."""
        lease = self._policy.lease_seconds
        return self._change(endpoint, lambda b: b.admit(self._holder, now, lease))

    def succeeded(self, endpoint: str) -> None:
        clear = CircuitBreaker(self._policy.breaker_failures, self._policy.breaker_open_seconds)
        if self._read(endpoint)[0] != clear:
            with self._db.begin() as c:
                c.execute(_SUCCEEDED, {"endpoint_": endpoint})

    def failed(self, endpoint: str, now: float) -> None:
        self._change(endpoint, lambda b: b.failed(now))

    def _change(self, endpoint: str, change: Callable[[CircuitBreaker], T]) -> T:
        while True:
            breaker, version = self._read(endpoint)
            before = replace(breaker)
            outcome = change(breaker)
            if breaker == before or self._write(endpoint, breaker, version):
                return outcome
            # Another instance changed it since the read: decide again on what it wrote.

    def _read(self, endpoint: str) -> tuple[CircuitBreaker, int | None]:
        with self._db.connect() as c:
            row = c.execute(_READ, {"endpoint_": endpoint}).first()
        breaker = CircuitBreaker(self._policy.breaker_failures, self._policy.breaker_open_seconds)
        if row is None:
            return breaker, None
        breaker.failures, breaker.opened_at = row.failures, row.opened_at
        breaker.trial_holder, breaker.trial_until = row.trial_holder, row.trial_until
        return breaker, row.version

    def _write(self, endpoint: str, breaker: CircuitBreaker, version: int | None) -> bool:
        """False when another instance wrote first."""
        values = {
            "failures": breaker.failures,
            "opened_at": breaker.opened_at,
            "trial_holder": breaker.trial_holder,
            "trial_until": breaker.trial_until,
        }
        if version is None:
            try:
                with self._db.begin() as c:
                    c.execute(insert(BREAKERS).values(endpoint=endpoint, version=1, **values))
            except IntegrityError:  # another instance made the row first
                return False
            return True
        with self._db.begin() as c:
            written = c.execute(
                update(BREAKERS)
                .where(BREAKERS.c.endpoint == endpoint, BREAKERS.c.version == version)
                .values(version=version + 1, **values)
            )
        return written.rowcount == 1
