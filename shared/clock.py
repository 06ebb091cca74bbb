"""The one clock. Domain code asks `now()`; tests and simulations swap the clock."""

import os
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(tz=UTC)


_current: ContextVar[Clock] = ContextVar("pintu_clock", default=system_clock)


def now() -> datetime:
    return _current.get()()


def use_clock(clock: Clock) -> None:
    """Install a clock for the current context (a test, a simulated run)."""
    _current.set(clock)


def file_clock(path: Path) -> Clock:
    """Simulated time shared by processes: the ISO 8601 instant written in `path`.

    Read again whenever the file changes, so a test or drill moves every process's
    time at once by rewriting it. Naive instants are taken as UTC.
    """
    cached: tuple[float, datetime] | None = None

    def now() -> datetime:
        nonlocal cached
        changed = path.stat().st_mtime
        if cached is None or cached[0] != changed:
            moment = datetime.fromisoformat(path.read_text().strip())
            cached = (changed, moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        return cached[1]

    return now


def set_file_clock(path: Path, moment: datetime) -> None:
    """Move simulated time (atomically: no process reads half a timestamp)."""
    staged = path.with_suffix(".next")
    staged.write_text(moment.isoformat())
    os.replace(staged, path)
