"""Nothing acknowledged is lost: no 201 without the broker, and recovery without a restart."""

import asyncio
from pathlib import Path

import httpx

from services.intake.app import create_app
from shared.adapters.kafka import topics
from shared.config import Settings
from tests.support.brokers import connection, local_broker
from tests.support.topics import settle

COMPLAINT = {
    "title": "Puskesmas tutup saat jam layanan",
    "description": "Puskesmas kecamatan tutup pada jam layanan tiga hari berturut-turut.",
    "category": "layanan-kesehatan",
    "location": {"region_code": "32.73"},
}


async def test_intake_answers_503_with_retry_after_while_kafka_is_down_and_recovers_after(
    tmp_path: Path,
) -> None:
    # This test stops its broker, so it has one of its own.
    with local_broker(tmp_path / "kafka") as broker:
        await topics.provision(connection(broker.bootstrap_servers), [])
        settings = Settings(
            kafka_bootstrap_servers=broker.bootstrap_servers,
            data_dir=tmp_path / "data",
            publish_timeout_seconds=3,
        )
        app = create_app(settings)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://intake"
        ) as intake:
            first = await intake.post("/v1/complaints", json=COMPLAINT)
            assert first.status_code == 201

            broker.stop()
            # A hang guard, not a speed assertion: the answer must come.
            refused = await asyncio.wait_for(intake.post("/v1/complaints", json=COMPLAINT), 60)
            assert refused.status_code == 503
            assert int(refused.headers["Retry-After"]) > 0
            assert "NOT recorded" in refused.json()["detail"]

            broker.start()
            broker.wait_ready()
            answers = []
            for _ in range(30):
                answer = await intake.post("/v1/complaints", json=COMPLAINT)
                answers.append(answer.status_code)
                if answer.status_code == 201:
                    break
                await asyncio.sleep(1)
            assert answers[-1] == 201, answers
            assert set(answers[:-1]) <= {503}, answers
            second = answer.json()

        on_log = await settle(broker.bootstrap_servers, topics.EVENTS)
        keys = [r.key.decode() for r in on_log if r.key]
        # Exactly the two acknowledged complaints: the refused one left no trace.
        assert sorted(keys) == sorted([first.json()["complaint_id"], second["complaint_id"]])
