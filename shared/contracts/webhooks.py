"""Signed webhooks, as agencies verify them (documented in docs/contract.md).

signature = hex(HMAC-SHA256(secret, f"{timestamp}.{body}")), sent as
`Pintu-Signature: v1=<signature>` with `Pintu-Timestamp: <unix seconds>`.
Receivers reject a stale timestamp to stop replays.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "Pintu-Signature"
TIMESTAMP_HEADER = "Pintu-Timestamp"
EVENT_ID_HEADER = "Pintu-Event-Id"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, header: str, now: float) -> bool:
    """True when the header signs this body at this timestamp, within the tolerance."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), header)
