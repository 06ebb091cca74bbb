"""Waiting on a running service: until a condition holds, and what its /metrics count."""

import asyncio
import time
from collections.abc import Callable

import httpx


async def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")


def metric_total(port: int, name: str) -> float:
    """A counter's total over all its labels, from the /metrics page on `port`."""
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in page.splitlines() if line.startswith(f"{name}{{")
    )
