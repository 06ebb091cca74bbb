"""Thirty seconds without Kafka, complaints filed all along: each service says it once, and
says when Kafka is back, instead of a hundred retry lines a second."""

import asyncio
import time
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.adapters.kafka.topics import provision
from shared.domain.routing import default_directory
from tests.conftest import WEBHOOK_SECRET
from tests.support.brokers import connection, local_broker
from tests.support.platform import Platform, running_platform
from tests.support.receivers import MailReceiver, WebhookReceiver

OUTAGE_SECONDS = 30
MOST_LINES = 10
COMPLAINT = {
    "title": "Jalan kabupaten berlubang di Martapura",
    "description": "Jalan penghubung desa rusak berat sejak Januari.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
}


def file(platform: Platform) -> int:
    answer = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json=COMPLAINT,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    return answer.status_code


def lines(platform: Platform, service: str) -> list[str]:
    return platform.log_of(service).splitlines()


def kafka_outage_metrics(platform: Platform, service: str) -> dict[str, float]:
    answer = httpx.get(f"http://127.0.0.1:{platform.ports[service]}/metrics", timeout=5)
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name.startswith("pintu_dependency_") and sample.labels == {"dependency": "kafka"}
    }


def test_a_broker_outage_is_a_few_lines_per_service_and_each_says_when_it_is_back(
    tmp_path: Path, agency_endpoint: WebhookReceiver, reporters_mailbox: MailReceiver
) -> None:
    # This test stops its broker, so it has one of its own, restarted on its port and data.
    with local_broker(tmp_path / "kafka") as broker:
        asyncio.run(provision(connection(broker.bootstrap_servers), default_directory().agencies))
        settings = {"PINTU_SMTP_PORT": str(reporters_mailbox.port)}
        with running_platform(
            broker.bootstrap_servers, tmp_path, agency_endpoint.url, WEBHOOK_SECRET, settings
        ) as platform:
            assert file(platform) == 201
            time.sleep(5)  # the complaint routed and told; the services idle
            services = list(platform.processes)
            before = {service: len(lines(platform, service)) for service in services}

            broker.stop()
            refused = []
            stopped_at = time.monotonic()
            while time.monotonic() - stopped_at < OUTAGE_SECONDS:
                refused.append(file(platform))
                time.sleep(1)
            during = {service: lines(platform, service)[before[service] :] for service in services}
            broker.start()
            broker.wait_ready()

            assert set(refused) == {503}, refused  # filings went on, and none was acknowledged
            for service, said in during.items():
                assert len(said) <= MOST_LINES, f"{service} wrote {len(said)} lines:\n" + "\n".join(
                    said[:30]
                )
                assert any("Kafka unreachable since" in line for line in said), (service, said)

            deadline = time.monotonic() + 90
            waiting = set(services)
            while waiting and time.monotonic() < deadline:
                waiting = {
                    service
                    for service in waiting
                    if not any(
                        "Kafka reachable again after" in line
                        for line in lines(platform, service)[before[service] :]
                    )
                }
                time.sleep(1)
            assert not waiting, {s: lines(platform, s)[-20:] for s in waiting}

            for service in services:
                counted = kafka_outage_metrics(platform, service)
                assert counted["pintu_dependency_outages_total"] >= 1, (service, counted)
                assert counted["pintu_dependency_retry_lines_folded_total"] > 0, (service, counted)
                assert counted["pintu_dependency_unreachable"] == 0, (service, counted)

            answers = []
            for _ in range(30):  # intake takes filings again
                answers.append(file(platform))
                if answers[-1] == 201:
                    break
                time.sleep(1)
            assert answers[-1] == 201, answers
