"""/metrics on every process's port counts what happened there, in the domain's words."""

import time
import uuid

import httpx
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from shared.adapters.kafka import topics
from tests.support.brokers import connection
from tests.support.platform import Platform
from tests.support.receivers import WebhookReceiver

AGENCY = "pemkab-oku-timur"
ROAD = {
    "report_type": "aspirasi",
    "title": "Jalan kabupaten berlubang di Martapura",
    "description": "Jalan penghubung desa rusak berat sejak Januari; dua pengendara jatuh.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
    "channel": "sms",
}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(platform: Platform, service: str) -> Samples:
    answer = httpx.get(f"http://127.0.0.1:{platform.ports[service]}/metrics", timeout=5)
    assert answer.status_code == 200, f"{service}: {answer.status_code}"
    assert answer.headers["content-type"].startswith("text/plain"), service
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grows(
    platform: Platform, process: str, name: str, before: float, timeout: float = 30, **labels: str
) -> float:
    """Wait until the counter is above `before` (the processes count after they commit)."""
    deadline = time.monotonic() + timeout
    while True:
        now = value(scrape(platform, process), name, **labels)
        if now > before or time.monotonic() > deadline:
            return now
        time.sleep(0.3)


async def test_each_process_counts_what_it_did(
    platform: Platform, agency_endpoint: WebhookReceiver, kafka: str
) -> None:
    services = ("intake", "router", "sla", "notifier", "projections")
    before = {service: scrape(platform, service) for service in services}

    def counted(process: str, name: str, **labels: str) -> float:
        old = value(before[process], name, **labels)
        return grows(platform, process, name, old, **labels) - old

    filed = httpx.post(f"{platform.intake_url}/v1/complaints", json=ROAD, timeout=10)
    assert filed.status_code == 201, filed.text
    complaint_id = filed.json()["complaint_id"]
    agency_endpoint.wait_for(lambda r: complaint_id.encode() in r.body)

    filed_labels = {"channel": "sms", "report_type": "aspirasi"}
    assert counted("intake", "pintu_complaints_filed_total", **filed_labels) == 1
    assert counted("router", "pintu_complaints_routed_total", agency_id=AGENCY) >= 1
    assert counted("router", "pintu_fanout_delivered_total", agency_id=AGENCY) >= 1
    assert counted("router", "pintu_deadlines_scheduled_total", stage="first_follow_up") >= 1
    assert counted("sla", "pintu_deadlines_tracked_total", stage="first_follow_up") >= 1
    assert counted("notifier", "pintu_notifications_sent_total", channel="webhook") >= 1
    projected = "pintu_events_projected_total"
    assert counted("projections", projected, type="pintu.complaint.filed") >= 1
    assert counted("projections", projected, type="pintu.complaint.routed") >= 1
    # Counters live in the process that does the work, nowhere else.
    assert value(scrape(platform, "intake"), "pintu_complaints_routed_total", agency_id=AGENCY) == 0

    # Poison on the log: the router dead-letters it and counts it.
    producer = AIOKafkaProducer(**connection(kafka).client_kwargs(), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topics.EVENTS, b"{not json", key=uuid.uuid4().bytes)
    finally:
        await producer.stop()
    assert counted("router", "pintu_dead_letters_total", service="router") >= 1

    # An agency endpoint that keeps failing: the notification is dead-lettered and counted.
    agency_endpoint.failures_to_serve.extend([503] * 4)
    again = httpx.post(f"{platform.intake_url}/v1/complaints", json=ROAD, timeout=10)
    assert again.status_code == 201, again.text
    assert counted("notifier", "pintu_notifications_failed_total", channel="webhook") == 1
    assert counted("notifier", "pintu_dead_letters_total", service="notifier") == 1


def test_every_process_serves_metrics_in_the_format_the_scraper_asks_for(
    platform: Platform,
) -> None:
    for service in ("intake", "router", "sla", "notifier", "projections"):
        answer = httpx.get(
            f"http://127.0.0.1:{platform.ports[service]}/metrics",
            headers={"Accept": "application/openmetrics-text; version=1.0.0"},
            timeout=5,
        )
        assert answer.status_code == 200, service
        assert answer.headers["content-type"].startswith("application/openmetrics-text"), service
        assert answer.text.rstrip().endswith("# EOF"), service
        assert "pintu_complaints_filed_total" in answer.text or service != "intake"
