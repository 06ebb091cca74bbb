"""The front door against the real broker: what lands, what never lands, what is sealed."""

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jsonschema
import pytest

from services.intake.app import create_app
from shared.adapters.kafka import topics
from shared.adapters.sql.database import open_database
from shared.adapters.sql.reporter_keys import KeyStore, unseal
from shared.config import Settings
from shared.contracts.cloudevents import CloudEvent, decode
from shared.domain.complaint import Complaint
from tests.support.topics import read_all

SITI = {
    "name": "Siti Aminah Nasution",
    "email": "siti.aminah@example.id",
    "phone": "0812-3456-7890",
}


def complaint(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "report_type": "pengaduan",
        "title": "Jalan kabupaten berlubang di Martapura",
        "description": "Jalan penghubung desa rusak berat sejak Januari; dua pengendara jatuh.",
        "category": "jalan-daerah",
        "location": {
            "region_code": "16.08.01",
            "address": "Jl. Lintas Desa Terukis",
            "latitude": -4.03,
            "longitude": 104.17,
        },
        "incident_date": "2026-11-10",
        "reporter": SITI,
        "attachments": [
            {
                "url": "https://files.example.id/foto-jalan.jpg",
                "media_type": "image/jpeg",
                "size_bytes": 482113,
                "sha256": "ab" * 32,
            }
        ],
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def intake_settings(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=kafka,
        data_dir=tmp_path_factory.mktemp("intake"),
        rate_limit_per_minute=10_000,
    )


@pytest.fixture
async def intake(intake_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(intake_settings)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client
    await app.state.filing.publisher.close()


async def filed_by_intake(kafka: str) -> list[CloudEvent]:
    """Every ComplaintFiled on the log (intake is its only writer)."""
    records = await read_all(kafka, topics.EVENTS)
    envelopes = [
        CloudEvent.model_validate_json(r.value)
        for r in records
        if b'"pintu.complaint.filed"' in r.value
    ]
    return [e for e in envelopes if e.source == "/pintu/intake"]


@pytest.mark.parametrize("report_type", ["pengaduan", "aspirasi", "permintaan_informasi"])
async def test_each_report_type_lands_once_as_a_cloudevent_valid_against_its_published_schema(
    intake: httpx.AsyncClient, kafka: str, report_type: str
) -> None:
    answer = await intake.post("/v1/complaints", json=complaint(report_type=report_type))
    assert answer.status_code == 201, answer.text
    complaint_id = answer.json()["complaint_id"]

    mine = [e for e in await filed_by_intake(kafka) if e.subject == complaint_id]
    assert len(mine) == 1
    (event,) = mine
    assert event.data["report_type"] == report_type
    schema_path = event.dataschema.split("://", 1)[1].split("/", 1)[1]
    schema = (await intake.get("/" + schema_path)).json()
    jsonschema.validate(event.data, schema)


async def test_a_retry_with_the_same_idempotency_key_files_one_complaint(
    intake: httpx.AsyncClient, kafka: str
) -> None:
    key = str(uuid.uuid4())
    first = await intake.post("/v1/complaints", json=complaint(), headers={"Idempotency-Key": key})
    again = await intake.post("/v1/complaints", json=complaint(), headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = await intake.post(
        "/v1/complaints",
        json=complaint(title="Jembatan gantung putus"),
        headers={"Idempotency-Key": key},
    )
    assert other.status_code == 409
    assert "different complaint" in other.json()["detail"]
    filed = [e for e in await filed_by_intake(kafka) if e.subject == first.json()["complaint_id"]]
    assert len(filed) == 1
    assert not any(
        e.data["title"] == "Jembatan gantung putus" for e in await filed_by_intake(kafka)
    )


async def test_a_second_intake_process_honours_the_same_idempotency_key(
    intake_settings: Settings, intake: httpx.AsyncClient
) -> None:
    key = str(uuid.uuid4())
    first = await intake.post("/v1/complaints", json=complaint(), headers={"Idempotency-Key": key})
    restarted = create_app(intake_settings)  # another replica (or a restart) on the same store
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(restarted), base_url="http://b"
    ) as other:
        again = await other.post(
            "/v1/complaints", json=complaint(), headers={"Idempotency-Key": key}
        )
    await restarted.state.filing.publisher.close()
    assert again.status_code == 201
    assert again.json()["tracking_id"] == first.json()["tracking_id"]


INVALID = {
    "missing title": {k: v for k, v in complaint().items() if k != "title"},
    "title too short": complaint(title="abc"),
    "unknown category": complaint(category="teleportasi"),
    "unknown region": complaint(location={"region_code": "99.99"}),
    "latitude out of range": complaint(location={"region_code": "16.08", "latitude": 123}),
    "bad e-mail": complaint(reporter={"email": "siti@"}),
    "bad phone": complaint(reporter={"phone": "12345"}),
    "unknown report type": complaint(report_type="keluhan"),
    "future incident": complaint(incident_date="2099-01-01"),
    "attachment not https": complaint(
        attachments=[
            {"url": "ftp://x", "media_type": "image/png", "size_bytes": 10, "sha256": "ab" * 32}
        ]
    ),
    "unexpected field": complaint(nik="3276010101010001"),
}


@pytest.mark.parametrize("case", INVALID)
async def test_invalid_input_gets_422_with_field_errors_and_writes_nothing(
    intake: httpx.AsyncClient, kafka: str, case: str
) -> None:
    before = len(await filed_by_intake(kafka))
    answer = await intake.post("/v1/complaints", json=INVALID[case])
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["errors"], problem
    assert all(e["field"] and e["message"] for e in problem["errors"])
    assert len(await filed_by_intake(kafka)) == before


async def test_every_field_error_is_reported_at_once_in_plain_words(
    intake: httpx.AsyncClient,
) -> None:
    answer = await intake.post(
        "/v1/complaints", json=complaint(category="teleportasi", location={"region_code": "99.99"})
    )
    messages = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert messages["category"] == "unknown category 'teleportasi'; GET /v1/categories lists them"
    assert messages["location.region_code"].startswith("'99.99' is not a Kemendagri region code")


async def test_the_reporter_identity_is_on_the_log_only_sealed_and_shredding_the_key_erases_it(
    intake: httpx.AsyncClient, kafka: str, intake_settings: Settings
) -> None:
    answer = await intake.post("/v1/complaints", json=complaint())
    complaint_id = answer.json()["complaint_id"]
    records = [r for r in await read_all(kafka, topics.EVENTS) if r.key == complaint_id.encode()]
    raw = b"".join(r.value for r in records)
    for secret in (SITI["name"], SITI["email"], "81234567890", "0812-3456-7890"):
        assert secret.encode() not in raw
    (filed,) = [decode(r.value) for r in records if b'"pintu.complaint.filed"' in r.value]
    assert isinstance(filed, Complaint.Filed) and filed.reporter is not None

    keys = KeyStore(open_database(intake_settings.database))
    identity = unseal(filed.reporter, keys)
    assert (
        identity is not None
        and identity.email == SITI["email"]
        and identity.phone == "+6281234567890"
    )
    assert keys.shred(filed.reporter.key_id)
    # A replay of the very same bytes can no longer recover who reported.
    assert unseal(filed.reporter, keys) is None


async def test_non_json_bodies_get_415_and_oversized_bodies_413(intake: httpx.AsyncClient) -> None:
    as_form = await intake.post("/v1/complaints", data={"title": "Jalan rusak"})
    assert as_form.status_code == 415
    huge = complaint(description="x" * 70_000)
    too_big = await intake.post(
        "/v1/complaints", content=json.dumps(huge), headers={"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413


async def test_a_client_filing_too_fast_gets_429_with_retry_after(
    tmp_path: Path, kafka: str
) -> None:
    app = create_app(
        Settings(kafka_bootstrap_servers=kafka, data_dir=tmp_path, rate_limit_per_minute=2)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://intake"
    ) as client:
        answers = [(await client.post("/v1/complaints", json=complaint())) for _ in range(3)]
    await app.state.filing.publisher.close()
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1


async def test_the_openapi_example_of_a_filing_is_accepted_as_it_stands(
    intake: httpx.AsyncClient,
) -> None:
    spec = (await intake.get("/openapi.json")).json()
    schema_ref = spec["paths"]["/v1/complaints"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    name = schema_ref["$ref"].rsplit("/", 1)[1]
    (example,) = spec["components"]["schemas"][name]["examples"]
    answer = await intake.post("/v1/complaints", json=example)
    assert answer.status_code == 201, answer.text
