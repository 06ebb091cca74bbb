"""Stand-ins for development (`make run`): an agency endpoint that verifies each signed
webhook and logs it, and an SMS gateway (docs/contract.md, SMS gateway) that logs each text."""

import logging
import time

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from shared.contracts import webhooks

log = logging.getLogger(__name__)


class SmsMessage(BaseModel):
    to: str
    text: str
    reference: str


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

    @app.post("/sms")
    async def text(message: SmsMessage) -> dict[str, str]:
        app.state.received.append(message.model_dump_json().encode())
        log.info("sms received", extra={"to": message.to, "text": message.text})
        return {"status": "queued", "reference": message.reference}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
