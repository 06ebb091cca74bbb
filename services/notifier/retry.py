"""Tries with exponential backoff and full jitter, for every delivery channel."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Every try failed; the notification goes to the dead-letter topic."""


async def with_retries(
    attempt: Callable[[], Awaitable[str | None]],
    what: str,
    tries: int = 4,
    first_backoff: float = 0.5,
) -> None:
    """Call `attempt` (None: delivered; else why not) until it delivers or `tries` run out."""
    reason = "not tried"
    for number in range(1, tries + 1):
        failure = await attempt()
        if failure is None:
            return
        reason = failure
        log.warning("%s: try %d/%d failed: %s", what, number, tries, reason)
        if number < tries:
            # Full jitter, so retries from many workers do not align.
            await asyncio.sleep(random.uniform(0, first_backoff * 2 ** (number - 1)))
    raise DeliveryFailed(f"{what}: {reason} after {tries} tries")
