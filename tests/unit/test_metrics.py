"""/metrics answers on the port of every HTTP process; intake counts what it could not publish."""

from pathlib import Path

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.intake.app import create_app as intake
from services.notifier.app import create_app as notifier
from services.projections.app import create_app as projections
from shared.config import Settings

UNREACHABLE = "127.0.0.1:1"
COMPLAINT = {
    "title": "Lampu jalan padam sebulan",
    "description": "Lampu jalan di depan pasar padam sejak bulan lalu.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
}


async def metrics(app: FastAPI) -> dict[str, float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as c:
        answer = await c.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


async def test_notifier_and_projections_serve_metrics(tmp_path: Path) -> None:
    settings = Settings(kafka_bootstrap_servers=UNREACHABLE, data_dir=tmp_path)
    for app in (notifier(settings), projections(settings)):
        assert "process_cpu_seconds_total[]" in await metrics(app)


async def test_intake_counts_a_filing_kafka_did_not_acknowledge(tmp_path: Path) -> None:
    app = intake(
        Settings(kafka_bootstrap_servers=UNREACHABLE, data_dir=tmp_path, publish_timeout_seconds=1)
    )
    failures = "pintu_publish_failures_total[('client', 'intake')]"
    filed = "pintu_complaints_filed_total[('channel', 'web'), ('report_type', 'pengaduan')]"
    before = await metrics(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as c:
        answer = await c.post("/v1/complaints", json=COMPLAINT)
    assert answer.status_code == 503
    after = await metrics(app)
    assert after[failures] == before.get(failures, 0) + 1
    assert after.get(filed, 0) == before.get(filed, 0)
    await app.state.filing.publisher.close()
