"""One try of a text message through the configured HTTP SMS gateway (docs/contract.md, SMS).

POST <PINTU_SMS_GATEWAY_URL> with `Authorization: Bearer <PINTU_SMS_GATEWAY_TOKEN>` and JSON
`{"to": "+62...", "text": "...", "reference": "<idempotency key>"}`; any 2xx is accepted.
"""

import hashlib

import httpx

from services.notifier.result import Result
from services.notifier.webhook import http_try


def reference(event_id: str, recipient: str) -> str:
    """The same for every try, so a gateway that deduplicates sends one text."""
    return hashlib.sha256(f"{event_id}/{recipient}/sms".encode()).hexdigest()[:32]


async def send_sms(
    client: httpx.AsyncClient, url: str, token: str | None, to: str, text: str, ref: str
) -> Result:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http_try(
        client, url, json={"to": to, "text": text, "reference": ref}, headers=headers
    )
