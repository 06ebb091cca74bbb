"""Group commit for SQLite: one thread writes for every request, and the writes that queue
while one transaction commits go into the next, together.

SQLite lets one writer in at a time and makes the others sleep and try again; and each
commit waits for the disk (an fsync). Written in turn through one thread, and many to a
commit, a burst of filings costs a few commits instead of two each. Each write is answered
only once its transaction has committed. Should one write of a turn fail, the turn is rolled
back and its writes are run again one transaction each, so a bad one fails alone.
"""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

T = TypeVar("T")


@dataclass
class _Waiting(Generic[T]):
    write: Callable[..., T]
    args: tuple[Any, ...]
    answer: "asyncio.Future[T]"
    loop: asyncio.AbstractEventLoop


class GroupCommit:
    def __init__(self, database: Engine, max_writes: int = 200) -> None:
        self._db = database
        self._max = max_writes
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="group-commit")
        self._lock = threading.Lock()
        self._waiting: list[_Waiting[Any]] = []
        self._draining = False

    async def write(self, write: Callable[..., T], *args: Any) -> T:
        """`write(connection, *args)`, committed (perhaps with others) before it returns."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        waiting = _Waiting(write, args, answer, loop)
        with self._lock:
            self._waiting.append(waiting)
            start, self._draining = not self._draining, True
        if start:
            self._thread.submit(self._drain)
        return await answer

    def _drain(self) -> None:
        while True:
            with self._lock:
                turn, self._waiting = self._waiting[: self._max], self._waiting[self._max :]
                if not turn:
                    self._draining = False
                    return
            try:
                with self._db.begin() as c:
                    results = [w.write(c, *w.args) for w in turn]
            except Exception:
                for w in turn:  # one at a time: the failing write fails alone
                    self._alone(w)
                continue
            for w, result in zip(turn, results, strict=True):
                w.loop.call_soon_threadsafe(_answer, w.answer, result, None)

    def _alone(self, waiting: _Waiting[Any]) -> None:
        try:
            with self._db.begin() as c:
                result = waiting.write(c, *waiting.args)
        except Exception as error:
            waiting.loop.call_soon_threadsafe(_answer, waiting.answer, None, error)
        else:
            waiting.loop.call_soon_threadsafe(_answer, waiting.answer, result, None)


def in_transaction(database: Engine, write: Callable[..., T], *args: Any) -> T:
    """`write(connection, *args)` in a transaction of its own."""
    with database.begin() as c:
        return write(c, *args)


def _answer(answer: "asyncio.Future[Any]", result: Any, error: Exception | None) -> None:
    if answer.done():  # its caller gave up waiting (cancelled): nothing to tell
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(result)
