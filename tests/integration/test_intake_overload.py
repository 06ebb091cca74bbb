"""Intake under a burst beyond what it works at once, as a real process over HTTP against the
real broker: the excess is answered 503 with Retry-After at once, every 201 is on the log,
and nothing refused is."""

import asyncio
import os
from pathlib import Path

import httpx

from dev.broker import free_port
from tests.integration.test_intake import complaint, filed_by_intake
from tests.support.platform import spawn, stop, wait_until_ready

BURST = 120


async def test_a_burst_beyond_the_limit_is_shed_with_503s_and_every_201_is_on_the_log(
    tmp_path: Path, kafka: str
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PINTU_DATA_DIR": str(tmp_path / "data"),
        "PINTU_INTAKE_PORT": str(port),
        "PINTU_MAX_IN_FLIGHT": "4",
        "PINTU_RATE_LIMIT_PER_MINUTE": "100000",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    intake = spawn("intake", env, logs)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{url}/readyz", intake, logs / "intake.log")
        limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
            titles = [f"Jalan berlubang, laporan ke-{n} dari lonjakan" for n in range(BURST)]
            answers = await asyncio.gather(
                *(client.post("/v1/complaints", json=complaint(title=t)) for t in titles)
            )
            probe = await client.get("/readyz")  # probes pass under any load
    finally:
        stop(intake)

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 503}, statuses
    shed = [a for a in answers if a.status_code == 503]
    accepted = [a for a in answers if a.status_code == 201]
    assert shed and accepted, statuses
    assert all(int(a.headers["Retry-After"]) >= 1 for a in shed)
    assert all(a.headers["content-type"] == "application/problem+json" for a in shed)
    assert probe.status_code == 200

    on_log = await filed_by_intake(kafka)
    ours = {e.data["title"] for e in on_log if e.data["title"] in set(titles)}
    assert ours == {t for t, a in zip(titles, answers, strict=True) if a.status_code == 201}
    ids = [e.data["tracking_id"] for e in on_log if e.data["title"] in ours]
    assert sorted(ids) == sorted(a.json()["tracking_id"] for a in accepted)  # each once
