"""Signed webhook delivery to an agency's endpoint, with retries and backoff."""

import time

import httpx

from services.notifier.retry import with_retries
from shared.contracts import webhooks


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    event_id: str,
    body: bytes,
    tries: int = 4,
    first_backoff: float = 0.5,
) -> None:
    async def attempt() -> str | None:
        timestamp = int(time.time())  # signed per try: the receiver checks its freshness
        headers = {
            "Content-Type": "application/json",
            webhooks.EVENT_ID_HEADER: event_id,
            webhooks.TIMESTAMP_HEADER: str(timestamp),
            webhooks.SIGNATURE_HEADER: webhooks.signature(secret, timestamp, body),
        }
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        return None if response.is_success else f"HTTP {response.status_code}"

    await with_retries(attempt, f"webhook {url}", tries, first_backoff)
