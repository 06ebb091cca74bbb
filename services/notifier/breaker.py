"""A circuit breaker per endpoint (closed, open, half-open), so a dead endpoint costs one
trial per `open_seconds` instead of a try for every delivery queued for it.

Pure: the caller passes the time, so every transition is unit-tested. Its state is shared by
every notifier pod (services/notifier/breakers.py keeps it in the outbox's database), so the
time is the wall clock, time.time(), which pods agree on, not one process's monotonic clock.
A half-open breaker admits one trial, held by one pod (`trial_holder`) for `lease` seconds,
after which another pod may take it (the holder may have crashed mid-trial).
"""

from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half-open"]


@dataclass(frozen=True)
class Admission:
    """What a pod may do at an endpoint now."""

    wait: float  # seconds until it may try (0: now)
    trial: bool = False  # half-open: this pod's one try closes or reopens the circuit


@dataclass
class CircuitBreaker:
    failures_to_open: int
    open_seconds: float
    failures: int = 0  # in a row, by every pod
    opened_at: float | None = None
    trial_holder: str | None = None
    trial_until: float | None = None

    def state(self, now: float) -> State:
        if self.opened_at is None:
            return "closed"
        return "open" if now - self.opened_at < self.open_seconds else "half-open"

    def wait(self, now: float) -> float:
        """Seconds until a try is allowed (0: now; half-open allows one trial)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.open_seconds - now)

    def admit(self, holder: str, now: float, lease: float) -> Admission:
        """Whether `holder` may try now; in half-open, the first to ask takes the trial."""
        match self.state(now):
            case "closed":
                return Admission(0.0)
            case "open":
                return Admission(self.wait(now))
        taken = self.trial_until is not None and now < self.trial_until
        if taken and self.trial_holder != holder:
            assert self.trial_until is not None
            return Admission(self.trial_until - now)
        self.trial_holder, self.trial_until = holder, now + lease  # a holder asking again renews
        return Admission(0.0, trial=True)

    def succeeded(self) -> None:
        self.failures, self.opened_at = 0, None
        self.trial_holder = self.trial_until = None

    def failed(self, now: float) -> None:
        """A try failed: opens after `failures_to_open` in a row, or at once after a trial
        (or after a try that began before another pod opened the circuit)."""
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.failures_to_open:
            self.opened_at = now
            self.trial_holder = self.trial_until = None
