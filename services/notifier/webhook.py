"""One try of a signed webhook to an agency's endpoint (docs/contract.md, Webhooks)."""

import time
from typing import Any

import httpx

from services.notifier.result import SENT, Result, refused, retry
from shared.contracts import webhooks

# Answers worth trying again: the endpoint is busy, slow or broken for now.
TRANSIENT = {408, 425, 429}


async def post(
    client: httpx.AsyncClient, url: str, secret: str, event_id: str, body: bytes
) -> Result:
    timestamp = int(time.time())  # signed per try: the receiver checks its freshness
    headers = {
        "Content-Type": "application/json",
        # The idempotency key: a crash between the endpoint's answer and the outbox's
        # record of it repeats a webhook, with the same id.
        webhooks.EVENT_ID_HEADER: event_id,
        webhooks.TIMESTAMP_HEADER: str(timestamp),
        webhooks.SIGNATURE_HEADER: webhooks.signature(secret, timestamp, body),
    }
    return await http_try(client, url, content=body, headers=headers)


async def http_try(client: httpx.AsyncClient, url: str, **request: Any) -> Result:
    """One HTTP try of any channel, as a delivery result: 2xx sent; 5xx, 408, 425, 429 and
    no answer tried again; any other 4xx refused (a wrong URL or secret: fix it, then
    redeliver)."""
    try:
        response = await client.post(url, **request)
    except httpx.HTTPError as error:
        return retry(f"{type(error).__name__}: {error}".rstrip(": "))
    if response.is_success:
        return SENT
    reason = f"HTTP {response.status_code}"
    if response.status_code >= 500 or response.status_code in TRANSIENT:
        return retry(reason)
    return refused(reason)
