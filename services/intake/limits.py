"""Guards at the door: how much work at once, body size, content type and a per-client rate
limit."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake import open311, portal
from services.intake.schemas import Problem
from shared import metrics


async def _problem(
    scope: Scope, send: Send, status: int, title: str, detail: str, headers: dict[str, str]
) -> None:
    """A problem+json, under /open311/ the spec's error list in the path's syntax, and on
    the portal's paths a page."""
    path: str = scope.get("path", "")
    if portal.is_page(path):
        page = portal.error_page(Request(scope), status)
        page.headers.update(headers)
        await page(scope, _nothing, send)
        return
    if path.startswith(open311.PREFIX):
        accept = Headers(scope=scope).get("accept")
        body, content_type = open311.error_body(path, accept, status, detail)
    else:
        body = Problem(title=title, status=status, detail=detail).model_dump_json().encode()
        content_type = "application/problem+json"
    raw_headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


class BodyLimit:
    """413 for bodies over `max_bytes` (over `larger[path]` on the paths given: a form with
    uploads), whether announced by Content-Length or streamed."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        too_large = f"The request body is larger than {max_bytes // 1024} KiB."
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _problem(scope, send, 413, "Request too large", too_large, {})
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _problem(scope, send, 413, "Request too large", too_large, {})


class _TooLarge(Exception):
    pass


@dataclass
class RateLimiter:
    """A token bucket per client: `per_minute` requests, refilled continuously.

    In memory, per intake process; behind a load balancer each replica limits on its own.
    """

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, client: str) -> float | None:
        """None when allowed; otherwise the seconds until the next request may pass."""
        now = self.clock()
        tokens, last = self._buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return (1 - tokens) * 60 / self.per_minute
        self._buckets[client] = (tokens - 1, now)
        if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
            self._buckets.clear()
        return None


class RateLimit:
    """429 with Retry-After on writes (POST) beyond the client's rate, and on reads of the
    paths `guarded` matches (a secret in the path, such as the reporter's private link:
    no one tries tokens faster than a person reads)."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, guarded: Callable[[str], bool] = lambda _: False
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.guarded = guarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["method"] == "POST" or self.guarded(scope.get("path", ""))
        ):
            # request.client.host: the peer, or the client a trusted proxy names, as uvicorn's
            # ProxyHeadersMiddleware (PINTU_TRUSTED_PROXIES) resolved it before this runs. The
            # X-Forwarded-For header itself is never read here: anyone can send one.
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.limiter.allow(client)
            if wait is not None:
                seconds = max(1, round(wait))
                detail = f"Please wait {seconds} seconds before filing again."
                await _problem(
                    scope, send, 429, "Too many requests", detail, {"Retry-After": str(seconds)}
                )
                return
        await self.app(scope, receive, send)


UNGUARDED = ("/healthz", "/readyz", "/metrics")  # probes and scrapes answer under any load


class Admission:
    """At most `limit` requests in the works at once; one more is answered 503 with
    Retry-After at once, before anything of it is read or recorded, rather than queued for
    tens of seconds behind the others. The client retries later (an Idempotency-Key makes a
    retried filing safe); nothing acknowledged is ever shed, since nothing shed was."""

    def __init__(self, app: ASGIApp, limit: int, retry_after_seconds: int) -> None:
        self.app = app
        self.limit = limit
        self.retry_after = str(retry_after_seconds)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in UNGUARDED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            metrics.REQUESTS_SHED.inc()
            await _problem(
                scope,
                send,
                503,
                "Busy",
                f"Pintu is receiving more than it can handle right now; nothing was recorded. "
                f"Please try again in {self.retry_after} seconds.",
                {"Retry-After": self.retry_after},
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
