"""Tembusan: the agency that must act and the agencies copied each get the complaint once."""

import json

import httpx

from shared.adapters.kafka import topics
from shared.contracts.cloudevents import CloudEvent
from tests.e2e.test_complaint_journey import poll
from tests.support.platform import Platform
from tests.support.receivers import Received, WebhookReceiver
from tests.support.topics import read_until

SOCIAL_AID_IN_BANDUNG = {
    "title": "Bantuan sembako tidak sampai",
    "description": "Bantuan sembako bulan Oktober tidak diterima warga RT 03 padahal terdaftar.",
    "category": "bantuan-sosial",
    "location": {"region_code": "32.73"},
}


async def test_the_copied_agency_receives_the_same_event_once_and_knows_it_is_a_copy(
    platform: Platform, kafka: str, agency_endpoint: WebhookReceiver
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    filed = intake.post("/v1/complaints", json=SOCIAL_AID_IN_BANDUNG)
    assert filed.status_code == 201, filed.text
    key = filed.json()["complaint_id"].encode()

    received = {}
    for agency in ("pemkot-bandung", "kemensos"):
        records = await read_until(
            kafka, topics.routed(agency), lambda rs: any(r.key == key for r in rs)
        )
        mine = [r for r in records if r.key == key]
        assert len(mine) == 1, agency
        received[agency] = CloudEvent.model_validate_json(mine[0].value)
    assert received["pemkot-bandung"].id == received["kemensos"].id
    data = received["kemensos"].data
    assert (data["agency_id"], data["copies"]) == ("pemkot-bandung", ["kemensos"])

    status = poll(
        lambda: intake.get(f"/v1/complaints/{filed.json()['tracking_id']}"),
        lambda r: r.status_code == 200 and r.json()["agency_id"] == "pemkot-bandung",
    )
    routed = status.json()["timeline"][1]
    assert "tembusan: Kementerian Sosial" in routed["label"]

    # Its desk is told too: a copy, for information, naming who must act.
    def copy_for_kemensos(received: Received) -> bool:
        sent = json.loads(received.body)
        return sent["complaint_id"] == key.decode() and sent["kind"] == "complaint.copied"

    told = json.loads(agency_endpoint.wait_for(copy_for_kemensos).body)
    assert (told["agency_id"], told["holder"]) == ("kemensos", "pemkot-bandung")


def test_the_copied_agency_reads_the_complaint_but_acting_on_it_is_409(platform: Platform) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=20)
    filed = intake.post("/v1/complaints", json=SOCIAL_AID_IN_BANDUNG)
    assert filed.status_code == 201, filed.text
    tracking_id = filed.json()["tracking_id"]
    copy = f"/v1/agencies/kemensos/complaints/{tracking_id}"
    key = {"Authorization": "Bearer pintu-dev-agency-key"}
    read = poll(lambda: intake.get(copy, headers=key), lambda r: r.status_code == 200)
    assert read.json()["tembusan"] is True

    # Not refused as unknown (the copy is its to read): the router says it does not hold it.
    acted = intake.post(f"{copy}/acknowledge", json={"tier": "sederhana"}, headers=key)
    assert acted.status_code == 409, acted.text
    assert "tembusan" in acted.json()["detail"]
    timeline = intake.get(f"/v1/complaints/{tracking_id}").json()["timeline"]
    assert not any(item["event_type"].endswith("acknowledged") for item in timeline)
