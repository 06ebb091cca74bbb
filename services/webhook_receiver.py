"""A stand-in agency endpoint for development: verifies each signed webhook and logs it."""

import logging
import time

from fastapi import FastAPI, HTTPException, Request

from shared.contracts import webhooks

log = logging.getLogger(__name__)


def create_app(secret: str) -> FastAPI:
    app = FastAPI(title="Demo agency webhook receiver")
    app.state.received = []

    @app.post("/webhook")
    async def receive(request: Request) -> dict[str, str]:
        body = await request.body()
        if not webhooks.verify(
            secret,
            request.headers.get(webhooks.TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(webhooks.SIGNATURE_HEADER, ""),
            now=time.time(),
        ):
            log.warning("webhook rejected: bad signature")
            raise HTTPException(401, "signature does not verify")
        app.state.received.append(body)
        log.info("webhook received and verified", extra={"body": body.decode()})
        return {"status": "received"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
