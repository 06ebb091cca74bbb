"""Signed webhook delivery to an agency's endpoint, with retries and backoff."""

import asyncio
import logging
import random
import time

import httpx

from shared.contracts import webhooks

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Every try failed; the notification goes to the dead-letter topic."""


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    event_id: str,
    body: bytes,
    tries: int = 4,
    first_backoff: float = 0.5,
) -> None:
    for attempt in range(1, tries + 1):
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            webhooks.EVENT_ID_HEADER: event_id,
            webhooks.TIMESTAMP_HEADER: str(timestamp),
            webhooks.SIGNATURE_HEADER: webhooks.signature(secret, timestamp, body),
        }
        try:
            response = await client.post(url, content=body, headers=headers)
            if response.is_success:
                return
            reason = f"HTTP {response.status_code}"
        except httpx.HTTPError as error:
            reason = f"{type(error).__name__}: {error}"
        log.warning("webhook try %d/%d failed: %s", attempt, tries, reason)
        if attempt < tries:
            # Exponential backoff with full jitter, so retries from many workers do not align.
            await asyncio.sleep(random.uniform(0, first_backoff * 2 ** (attempt - 1)))
    raise DeliveryFailed(f"{url}: {reason} after {tries} tries")
