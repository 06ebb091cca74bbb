"""Outages of what a process depends on (Kafka, the database), logged for an operator.

While Kafka is down, aiokafka retries every client's connection several times a second and
logs each try: some hundred ERROR lines a second per process, which bury everything else.
`RetryNoise`, a filter on every process's log handler (shared/logs.py), folds those lines
into one outage per dependency:

- one WARNING when it becomes unreachable ("Kafka unreachable since 11:17:06, retrying",
  with the first of the folded lines);
- a reminder every REMIND_SECONDS while it stays down;
- one INFO when it is back: no retry line for QUIET_SECONDS, and, for Kafka, a bootstrap
  server accepts a connection again.

Lines that are no connection retry (a refused sign-in, an unknown topic, a bug) pass as
they are. /metrics counts the outages and the folded lines, and shows which dependency is
unreachable now (shared/metrics.py).
"""

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared import metrics

log = logging.getLogger("pintu.outages")

KAFKA = "kafka"
DATABASE = "database"
NAMES = {KAFKA: "Kafka", DATABASE: "The database"}
REMIND_SECONDS = 60.0
QUIET_SECONDS = 5.0

_KAFKA_LOGGERS = ("aiokafka", "faust", "mode", "kafka")
# What aiokafka, faust and mode say when a broker does not answer (lower case).
_KAFKA_RETRY_WORDS = (
    "connect call failed",
    "unable connect",
    "unable to update metadata",
    "unable to request metadata",
    "nodenotreadyerror",
    "node which is not ready",
    "kafkaconnectionerror",
    "connection at",
    "coordinator dead",
    "heartbeat",
    "group coordinator request failed",
    "coordinator not available",
    "request timed out",
)
_KAFKA_ERRORS = frozenset(
    {"KafkaConnectionError", "NodeNotReadyError", "RequestTimedOutError", "KafkaTimeoutError"}
)
# psycopg's (PostgreSQL across the network) only: SQLite's OperationalError is also a missing
# table or a bad statement, which must stay visible. SQLAlchemy chains the driver's error.
_DATABASE_ERRORS = frozenset({"OperationalError", "InterfaceError"})


def _exceptions(record: logging.LogRecord) -> Iterable[BaseException]:
    error = record.exc_info[1] if record.exc_info else None
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def dependency_of(record: logging.LogRecord) -> str | None:
    """The dependency whose unreachability this record reports, or None for any other line."""
    if record.levelno < logging.WARNING:
        return None
    for error in _exceptions(record):
        for kind in type(error).__mro__:
            module = kind.__module__.split(".", 1)[0]
            if kind.__name__ in _KAFKA_ERRORS and module == "aiokafka":
                return KAFKA
            if kind.__name__ in _DATABASE_ERRORS and module == "psycopg":
                return DATABASE
    if record.name.split(".", 1)[0] in _KAFKA_LOGGERS:
        text = record.getMessage().lower()
        if any(word in text for word in _KAFKA_RETRY_WORDS):
            return KAFKA
    return None


def _clock_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).astimezone().strftime("%H:%M:%S")


@dataclass
class Outage:
    since: float  # wall clock
    last_retry: float  # monotonic
    last_said: float  # monotonic
    folded: int = 0


Probe = Callable[[], bool]


class Outages:
    """Each dependency's state, from the retry lines it folds; `tick` (every second, from a
    thread of its own) says reminders and recoveries. Time is passed in for the tests."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        remind_seconds: float = REMIND_SECONDS,
        quiet_seconds: float = QUIET_SECONDS,
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._remind = remind_seconds
        self._quiet = quiet_seconds
        self._lock = threading.Lock()
        self._down: dict[str, Outage] = {}
        self._probes: dict[str, Probe] = {}
        self._ticker: threading.Thread | None = None

    def probe(self, dependency: str, answers: Probe) -> None:
        """`answers()` must be true before `dependency` is said to be back."""
        self._probes[dependency] = answers

    def unreachable(self) -> set[str]:
        with self._lock:
            return set(self._down)

    def retried(self, dependency: str, record: logging.LogRecord) -> None:
        """A retry line of `dependency`: the first of an outage is said, the rest counted."""
        now = self._monotonic()
        with self._lock:
            outage = self._down.get(dependency)
            if outage is not None:
                outage.last_retry = now
                outage.folded += 1
                metrics.RETRY_LINES_FOLDED.labels(dependency=dependency).inc()
                return
            outage = Outage(since=self._wall(), last_retry=now, last_said=now)
            self._down[dependency] = outage
        metrics.OUTAGES.labels(dependency=dependency).inc()
        metrics.UNREACHABLE.labels(dependency=dependency).set(1)
        log.warning(
            "%s unreachable since %s, retrying",
            NAMES[dependency],
            _clock_time(outage.since),
            extra={"dependency": dependency, "first_error": record.getMessage()[:300]},
        )
        self._start_ticking()

    def tick(self) -> None:
        """Say who is still down (at most every remind_seconds) and who is back."""
        now = self._monotonic()
        reminders: list[tuple[str, Outage]] = []
        recovered: list[tuple[str, Outage]] = []
        with self._lock:
            for dependency, outage in list(self._down.items()):
                if now - outage.last_retry >= self._quiet and self._answers(dependency):
                    del self._down[dependency]
                    recovered.append((dependency, outage))
                elif now - outage.last_said >= self._remind:
                    outage.last_said = now
                    reminders.append((dependency, outage))
        for dependency, outage in reminders:
            log.warning(
                "%s still unreachable since %s (%.0fs), retrying",
                NAMES[dependency],
                _clock_time(outage.since),
                self._wall() - outage.since,
                extra={"dependency": dependency, "retry_lines_folded": outage.folded},
            )
        for dependency, outage in recovered:
            metrics.UNREACHABLE.labels(dependency=dependency).set(0)
            log.info(
                "%s reachable again after %.0fs",
                NAMES[dependency],
                self._wall() - outage.since,
                extra={"dependency": dependency, "retry_lines_folded": outage.folded},
            )

    def _answers(self, dependency: str) -> bool:
        probe = self._probes.get(dependency)
        try:
            return probe is None or probe()
        except Exception:
            return False

    def _start_ticking(self) -> None:
        with self._lock:
            if self._ticker is not None:
                return
            self._ticker = threading.Thread(target=self._run, name="outages", daemon=True)
        self._ticker.start()

    def _run(self) -> None:
        while True:
            time.sleep(1.0)
            self.tick()


def accepts_connections(bootstrap_servers: str, timeout: float = 1.0) -> Probe:
    """A probe that is true when any of the bootstrap servers accepts a TCP connection."""
    servers = [server.strip().rsplit(":", 1) for server in bootstrap_servers.split(",")]

    def answers() -> bool:
        for host, port in servers:
            try:
                with socket.create_connection((host.strip("[]"), int(port)), timeout):
                    return True
            except OSError:
                continue
        return False

    return answers


# One per process: every handler's filter reports to it.
OUTAGES = Outages()


class RetryNoise(logging.Filter):
    """Folds the dependencies' connection retries into OUTAGES; every other line passes."""

    def __init__(self, kafka: str | None = None, outages: Outages = OUTAGES) -> None:
        super().__init__()
        self.outages = outages
        if kafka is not None:
            outages.probe(KAFKA, accepts_connections(kafka))

    def filter(self, record: logging.LogRecord) -> bool:
        dependency = dependency_of(record)
        if dependency is None:
            return True
        self.outages.retried(dependency, record)
        return False
