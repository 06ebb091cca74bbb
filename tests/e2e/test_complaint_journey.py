"""One complaint through every room: filed, routed, deadline, notification, read model."""

import json
import time
from collections.abc import Callable

import httpx

from shared.adapters.kafka import topics
from shared.contracts import webhooks
from shared.contracts.cloudevents import CloudEvent
from tests.conftest import WEBHOOK_SECRET
from tests.support.platform import Platform
from tests.support.receivers import WebhookReceiver
from tests.support.topics import Record, read_until

ROAD_IN_OKU_TIMUR = {
    "report_type": "pengaduan",
    "title": "Jalan kabupaten berlubang di Martapura",
    "description": "Jalan penghubung desa rusak berat sejak Januari; dua pengendara jatuh.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
    "incident_date": "2026-11-10",
    "channel": "web",
}


def poll(
    fetch: Callable[[], httpx.Response],
    until: Callable[[httpx.Response], bool],
    timeout: float = 30,
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    response = fetch()
    while time.monotonic() < deadline:
        response = fetch()
        if until(response):
            return response
        time.sleep(0.3)
    raise AssertionError(
        f"gave up after {timeout}s; last answer {response.status_code} {response.text}"
    )


async def test_a_filed_complaint_reaches_its_agency_gets_a_deadline_a_webhook_and_an_inbox_row(
    platform: Platform, kafka: str, agency_endpoint: WebhookReceiver
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)

    filed = intake.post("/v1/complaints", json=ROAD_IN_OKU_TIMUR)
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    tracking_id, complaint_id = receipt["tracking_id"], receipt["complaint_id"]

    # On the agency's own topic, as the CloudEvent an agency subscribes to.
    def on_agency_topic(records: list[Record]) -> bool:
        return any(r.key == complaint_id.encode() for r in records)

    records = await read_until(kafka, topics.routed("pemkab-oku-timur"), on_agency_topic)
    mine = [
        CloudEvent.model_validate_json(r.value) for r in records if r.key == complaint_id.encode()
    ]
    assert len(mine) == 1
    assert mine[0].type == "pintu.complaint.routed"
    assert mine[0].subject == complaint_id
    assert mine[0].data["complaint"]["tracking_id"] == tracking_id
    assert mine[0].data["rule_id"].startswith("jalan-daerah@v")  # whichever rules are in force

    # The routing is on the log with the clocks it starts: the first follow-up, the completion.
    def routing_recorded(records: list[Record]) -> bool:
        routed = b"pintu.complaint.routed"
        return any(r.key == complaint_id.encode() and routed in r.value for r in records)

    log = await read_until(kafka, topics.EVENTS, routing_recorded)
    events = [
        CloudEvent.model_validate_json(r.value) for r in log if r.key == complaint_id.encode()
    ]
    assert [e.type for e in events] == ["pintu.complaint.filed", "pintu.complaint.routed"]
    deadlines = events[1].data["deadlines"]
    assert [d["stage"] for d in deadlines] == ["first_follow_up", "completion"]
    # ...and the agency's own message says by when it must act.
    assert mine[0].data["deadlines"] == deadlines

    # The agency's endpoint got a webhook it can verify.
    webhook = agency_endpoint.wait_for(lambda r: json.loads(r.body)["complaint_id"] == complaint_id)
    assert webhooks.verify(
        WEBHOOK_SECRET,
        webhook.headers[webhooks.TIMESTAMP_HEADER],
        webhook.body,
        webhook.headers[webhooks.SIGNATURE_HEADER],
        now=time.time(),
    )
    assert json.loads(webhook.body)["agency_id"] == "pemkab-oku-timur"

    # And the agency's inbox shows it, with its deadline.
    inbox = poll(
        lambda: intake.get(
            "/v1/agencies/pemkab-oku-timur/inbox",
            headers={"Authorization": "Bearer pintu-dev-agency-key"},
        ),
        lambda r: any(i["tracking_id"] == tracking_id and i["deadline_at"] for i in r.json()),
    )
    (row,) = [i for i in inbox.json() if i["tracking_id"] == tracking_id]
    assert row["status"] == "terdisposisi_belum_ditindaklanjuti"
    assert row["deadline_stage"] == "first_follow_up" and row["days_left"] == 5
    assert row["overdue"] is False
    status = intake.get(f"/v1/complaints/{tracking_id}").json()
    assert status["status_label"] == "Terdisposisi Belum Ditindaklanjuti"
