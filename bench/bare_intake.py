"""Intake's bare twin, the baseline of bench/intake.py: the same FastAPI, the same server
settings and the same request model with its validation (categories, Kemendagri region
codes, phone numbers), answering a fixed 201 body; no database, no Kafka, no sealing.

    .venv/bin/python -m bench.bare_intake PORT
"""

import sys

from fastapi import FastAPI, Header

from services.cli import serve
from services.intake.schemas import ComplaintSubmission
from shared.config import Settings

RECEIPT = {
    "tracking_id": "5XW2KTAPJ2",
    "complaint_id": "00000000-0000-0000-0000-000000000000",
    "status": "belum_terverifikasi",
    "reporter_token": "x" * 32,
    "status_url": "http://127.0.0.1/v1/complaints/5XW2KTAPJ2",
}

app = FastAPI(title="bare intake")


@app.post("/v1/complaints", status_code=201)
async def file(
    submission: ComplaintSubmission, idempotency_key: str | None = Header(None)
) -> dict[str, str]:
    return RECEIPT


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    sys.exit(serve("bare-intake", app, "127.0.0.1", int(sys.argv[1]), Settings()))
