"""When to try a delivery again: exponential backoff with full jitter, for every channel.

Pure, so the schedule is unit-tested; the outbox (services/notifier/outbox.py) keeps each
delivery's tries and next time, so a restart resumes the schedule instead of resetting it.
"""

import random
from collections.abc import Callable

from shared.config import DeliveryPolicy


def backoff(tries: int, policy: DeliveryPolicy, draw: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `tries`-th failed try: uniform in [0, first * 2^(tries-1)],
    capped. Full jitter, so retries of many deliveries to one endpoint do not align."""
    ceiling = min(policy.max_backoff_seconds, policy.first_backoff_seconds * 2 ** (tries - 1))
    return float(draw() * ceiling)
