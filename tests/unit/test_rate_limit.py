"""The rate limit counts each client, not the proxy in front of intake: behind a trusted
proxy (PINTU_TRUSTED_PROXIES) the client is the one its X-Forwarded-For names, as uvicorn's
ProxyHeadersMiddleware resolves it; from any other peer the header changes nothing."""

from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services import cli
from services.intake import portal
from services.intake.limits import RateLimit, RateLimiter
from shared.config import Settings

INGRESS = "10.42.0.7"  # a pod of the ingress controller
STRANGER = "198.51.100.7"  # anyone else who reaches intake directly


async def accepted(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def intake_behind(trusted: str) -> ProxyHeadersMiddleware:
    """The limiter as uvicorn runs it: the proxy headers resolved first, one filing a minute."""
    frozen = 1000.0
    limited = RateLimit(accepted, RateLimiter(per_minute=1, clock=lambda: frozen))
    return ProxyHeadersMiddleware(limited, trusted_hosts=trusted)  # type: ignore[arg-type]


async def file(app: ProxyHeadersMiddleware, peer: str, forwarded_for: str | None = None) -> int:
    transport = httpx.ASGITransport(app, client=(peer, 40000))  # type: ignore[arg-type]
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        return (await client.post("/v1/complaints", headers=headers)).status_code


async def test_clients_behind_a_trusted_proxy_each_get_their_own_bucket() -> None:
    app = intake_behind("10.0.0.0/8")
    assert await file(app, INGRESS, "203.0.113.1") == 201
    assert await file(app, INGRESS, "203.0.113.1") == 429  # that client's minute is used
    assert await file(app, INGRESS, "203.0.113.2") == 201  # another citizen, same ingress
    # A chain of proxies: the client is the last address no trusted proxy added.
    assert await file(app, INGRESS, "203.0.113.3, 10.42.0.9") == 201
    assert await file(app, INGRESS, "203.0.113.3") == 429


async def test_an_untrusted_peer_cannot_spoof_its_way_into_another_bucket() -> None:
    app = intake_behind("10.0.0.0/8")
    assert await file(app, STRANGER, "203.0.113.1") == 201  # counted as the stranger itself
    assert await file(app, STRANGER, "203.0.113.99") == 429  # a new name is no new bucket
    assert await file(app, STRANGER) == 429
    # ...and it spent none of the client it named.
    assert await file(app, INGRESS, "203.0.113.1") == 201


async def test_with_the_default_only_a_local_proxy_is_believed() -> None:
    app = intake_behind(Settings().trusted_proxies)
    assert await file(app, INGRESS, "203.0.113.1") == 201
    assert await file(app, INGRESS, "203.0.113.2") == 429  # every client is the ingress
    assert await file(app, "127.0.0.1", "203.0.113.3") == 201
    assert await file(app, "127.0.0.1", "203.0.113.4") == 201


def test_serve_hands_uvicorn_the_trusted_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setenv("PINTU_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.1")
    assert cli.serve("intake", accepted, "0.0.0.0", 8000, Settings()) == 0
    assert seen["proxy_headers"] is True
    assert seen["forwarded_allow_ips"] == "10.0.0.0/8, 192.168.0.1"


async def test_reads_of_a_private_link_are_limited_and_answered_with_a_page() -> None:
    frozen = 1000.0
    limited = RateLimit(
        accepted, RateLimiter(per_minute=2, clock=lambda: frozen), guarded=portal.private_link
    )
    transport = httpx.ASGITransport(limited, client=(STRANGER, 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        for _ in range(5):  # reading a public page is never limited
            assert (await client.get("/lacak/ZFCEPXKZ26")).status_code == 201
        guessed = [
            await client.get(f"/lacak/ZFCEPXKZ26/pelapor/guess{n}?lang=en") for n in range(3)
        ]
    assert [r.status_code for r in guessed] == [201, 201, 429]
    refused = guessed[-1]
    assert refused.headers["content-type"].startswith("text/html")
    assert int(refused.headers["retry-after"]) >= 1
    assert "Too many requests" in refused.text
