"""The one clock. Domain code asks `now()`; tests and simulations swap the clock."""

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(tz=UTC)


_current: ContextVar[Clock] = ContextVar("pintu_clock", default=system_clock)


def now() -> datetime:
    return _current.get()()


def use_clock(clock: Clock) -> None:
    """Install a clock for the current context (a test, a simulated run)."""
    _current.set(clock)
