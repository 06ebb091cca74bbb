"""A circuit breaker per endpoint (closed, open, half-open), so a dead endpoint costs one
trial per `open_seconds` instead of a try for every delivery queued for it.

Pure: the caller passes the time (time.monotonic()), so every transition is unit-tested.
"""

from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half-open"]


@dataclass
class CircuitBreaker:
    failures_to_open: int
    open_seconds: float
    failures: int = 0  # in a row
    opened_at: float | None = None

    def state(self, now: float) -> State:
        if self.opened_at is None:
            return "closed"
        return "open" if now - self.opened_at < self.open_seconds else "half-open"

    def wait(self, now: float) -> float:
        """Seconds until a try is allowed (0: now; half-open allows one trial)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.open_seconds - now)

    def succeeded(self) -> None:
        self.failures, self.opened_at = 0, None

    def failed(self, now: float) -> None:
        """A try failed: opens after `failures_to_open` in a row, or at once after a trial."""
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.failures_to_open:
            self.opened_at = now
