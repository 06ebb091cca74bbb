"""Intake replicas sharing one PostgreSQL: an Idempotency-Key and a reporter key hold across all."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from services.intake.app import create_app
from shared.adapters.kafka import topics
from shared.adapters.sql.database import open_database
from shared.adapters.sql.reporter_keys import KeyStore, unseal
from shared.config import Settings
from shared.contracts.cloudevents import decode
from shared.domain.complaint import Complaint
from tests.integration.test_intake import SITI, complaint, filed_by_intake
from tests.support.topics import read_all

Replica = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def replica(kafka: str, postgres: str, tmp_path: Path) -> Replica:
    """Starts one more intake process' app: its own data folder, the shared database."""
    count = 0

    @asynccontextmanager
    async def start() -> AsyncIterator[httpx.AsyncClient]:
        nonlocal count
        count += 1
        settings = Settings(
            kafka_bootstrap_servers=kafka,
            database_url=postgres,
            data_dir=tmp_path / f"replica-{count}",
            rate_limit_per_minute=10_000,
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client
        await app.state.filing.publisher.close()

    return start


async def test_an_idempotency_key_holds_across_replicas_and_a_restart(
    replica: Replica, kafka: str
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with replica() as a, replica() as b:
        # The same retry reaching both replicas at the same moment: one files, the other
        # is told to come back (or, if it came second, gets the first answer).
        answers = await asyncio.gather(
            a.post("/v1/complaints", json=complaint(), headers=key),
            b.post("/v1/complaints", json=complaint(), headers=key),
        )
        assert sorted(x.status_code for x in answers) in ([201, 201], [201, 409]), answers
        first = next(x for x in answers if x.status_code == 201)
        for x in answers:
            if x.status_code == 409:
                assert x.headers["Retry-After"] == "1" and "right now" in x.json()["detail"]
        second = await b.post("/v1/complaints", json=complaint(), headers=key)
        assert second.status_code == 201
        assert second.json() == first.json()
        other = await b.post(
            "/v1/complaints", json=complaint(title="Jembatan gantung putus"), headers=key
        )
        assert other.status_code == 409
    async with replica() as restarted:
        again = await restarted.post("/v1/complaints", json=complaint(), headers=key)
        assert again.status_code == 201
        assert again.json() == first.json()

    complaint_id = first.json()["complaint_id"]
    assert len([e for e in await filed_by_intake(kafka) if e.subject == complaint_id]) == 1


async def test_an_identity_sealed_by_one_replica_is_shredded_for_every_reader(
    replica: Replica, kafka: str, postgres: str
) -> None:
    async with replica() as a:
        answer = await a.post("/v1/complaints", json=complaint())
        assert answer.status_code == 201
    complaint_id = answer.json()["complaint_id"].encode()
    (filed,) = [
        decode(r.value)
        for r in await read_all(kafka, topics.EVENTS)
        if r.key == complaint_id and b'"pintu.complaint.filed"' in r.value
    ]
    assert isinstance(filed, Complaint.Filed) and filed.reporter is not None

    elsewhere = KeyStore(open_database(postgres))  # another process, another connection
    identity = unseal(filed.reporter, elsewhere)
    assert identity is not None and identity.name == SITI["name"]
    assert elsewhere.shred(filed.reporter.key_id)
    async with replica():
        pass  # a replica starting afterwards finds no key to bring back
    assert unseal(filed.reporter, KeyStore(open_database(postgres))) is None


async def test_tracking_ids_stay_unique_across_replicas(replica: Replica) -> None:
    async with replica() as a, replica() as b:
        answers = await asyncio.gather(
            *[(a if n % 2 else b).post("/v1/complaints", json=complaint()) for n in range(20)]
        )
    assert all(x.status_code == 201 for x in answers)
    assert len({x.json()["tracking_id"] for x in answers}) == 20


async def test_a_complaint_filed_on_one_replica_answers_on_another_before_any_projection(
    replica: Replica,
) -> None:
    # No projection worker runs here: the read model never catches up, so every answer below
    # comes from intake's own record of the filing, in the database the replicas share.
    async with replica() as a, replica() as b:
        public = await a.post("/v1/complaints", json=complaint())
        rahasia = await a.post("/v1/complaints", json=complaint(confidential=True))
        assert (public.status_code, rahasia.status_code) == (201, 201)
        receipt, secret = public.json(), rahasia.json()

        status = await b.get(f"/v1/complaints/{receipt['tracking_id']}")
        assert status.status_code == 200, status.text
        view = status.json()
        assert (view["tracking_id"], view["status"]) == (receipt["tracking_id"], receipt["status"])
        assert [t["event_type"] for t in view["timeline"]] == ["pintu.complaint.filed"]
        assert SITI["name"] not in status.text

        one = await b.get(f"/open311/v2/requests/{receipt['tracking_id']}.json")
        assert one.status_code == 200, one.text
        assert one.json()[0]["service_request_id"] == receipt["tracking_id"]
        token = await b.get(f"/open311/v2/tokens/{receipt['complaint_id']}.xml")
        assert token.status_code == 200 and receipt["tracking_id"] in token.text

        # Rahasia stays rahasia: the reporter sees it, nobody else, Open311 never.
        hidden = f"/v1/complaints/{secret['tracking_id']}"
        assert (await b.get(hidden)).status_code == 404
        own = await b.get(hidden, headers={"X-Reporter-Token": secret["reporter_token"]})
        assert own.status_code == 200
        listed = await b.get(f"/open311/v2/requests/{secret['tracking_id']}.json")
        assert listed.status_code == 404
        assert (await b.get(f"/open311/v2/tokens/{secret['complaint_id']}.json")).status_code == 404
