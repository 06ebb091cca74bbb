"""Open311 GeoReport v2 on the running platform, used the way a spec-following client does."""

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote_plus

import httpx

from shared.adapters.kafka import topics
from shared.contracts.cloudevents import CloudEvent
from tests.support.platform import Platform
from tests.support.topics import Record, read_all, read_until

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
IDENTITY = (b"Siti", b"Aminah", b"siti.aminah@example.id", b"81234567890")


def spec_post(description: str, api_key: str = "pintu-dev-open311-key") -> str:
    """The spec's example POST body, field for field, for a pothole in Martapura, OKU Timur."""
    return (
        f"api_key={api_key}&jurisdiction_id=lapor.go.id&service_code=jalan-daerah"
        "&lat=-4.3236&long=104.3558&address_string=Jl.+Lintas+Desa+Terukis%2C+Martapura"
        "&email=siti.aminah%40example.id&device_id=tt222111&account_id=123456"
        "&first_name=Siti&last_name=Aminah&phone=0812-3456-7890"
        f"&description={quote_plus(description)}"
        "&media_url=https%3A%2F%2Ffiles.example.id%2Ffoto-jalan.jpg"
        "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001"
        "&region_code=16.08"  # Pintu's extension: it routes by region
    )


def poll(
    fetch: Callable[[], httpx.Response], until: Callable[[httpx.Response], bool]
) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        response = fetch()
        if until(response):
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after 30s: {response.status_code} {response.text}")
        time.sleep(0.3)


def test_a_client_lists_the_services_and_reads_a_definition_in_json_and_xml(
    platform: Platform,
) -> None:
    open311 = httpx.Client(base_url=f"{platform.intake_url}/open311/v2", timeout=10)

    as_json = open311.get("/services.json")
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    road = next(s for s in as_json.json() if s["service_code"] == "jalan-daerah")
    assert road["service_name"] == "Jalan kabupaten/kota dan desa"
    assert (road["metadata"], road["type"]) == (False, "realtime")

    as_xml = open311.get("/services.xml")
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    services = ET.fromstring(as_xml.content)
    assert services.tag == "services"
    codes = [s.findtext("service_code") for s in services.findall("service")]
    assert codes == [s["service_code"] for s in as_json.json()]

    definition = ET.fromstring(open311.get("/services/jalan-daerah.xml").content)
    assert definition.tag == "service_definition"
    assert definition.findtext("service_code") == "jalan-daerah"
    unknown = open311.get("/services/teleportasi.json")
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404


async def test_a_request_filed_as_the_spec_shows_is_read_back_found_and_its_token_resolved(
    platform: Platform, kafka: str
) -> None:
    open311 = httpx.Client(base_url=f"{platform.intake_url}/open311/v2", timeout=10)
    description = "Lubang besar menganga di jalan kabupaten. Dua pengendara motor jatuh."

    posted = open311.post("/requests.json", content=spec_post(description), headers=FORM)
    assert posted.status_code == 201, posted.text
    (receipt,) = posted.json()
    request_id, token = receipt["service_request_id"], receipt["token"]
    assert receipt["account_id"] is None
    assert request_id in receipt["service_notice"]

    # Read back once the router has disposed it to the agency.
    answer = poll(
        lambda: open311.get(f"/requests/{request_id}.json"),
        lambda r: r.status_code == 200 and "agency_responsible" in r.json()[0],
    )
    (request,) = answer.json()
    assert request["service_request_id"] == request_id
    assert request["agency_responsible"] == "pemkab-oku-timur"
    assert (request["status"], request["status_notes"]) == (
        "open",
        "Terdisposisi Belum Ditindaklanjuti",
    )
    assert (request["service_code"], request["lat"], request["long"]) == (
        "jalan-daerah",
        -4.3236,
        104.3558,
    )
    assert request["description"].startswith(description)
    assert request["address"].startswith("Jl. Lintas Desa Terukis, Martapura, Kabupaten Ogan")
    for moment in (request["requested_datetime"], request["updated_datetime"]):
        assert datetime.fromisoformat(moment).utcoffset() is not None
    assert not any(part.decode() in answer.text for part in IDENTITY)

    found = open311.get("/requests.xml", params={"service_request_id": request_id})
    (element,) = ET.fromstring(found.content).findall("request")
    assert element.findtext("service_request_id") == request_id
    open_roads = open311.get("/requests.json", params={"service_code": "jalan-daerah"})
    assert request_id in [r["service_request_id"] for r in open_roads.json()]
    closed = open311.get("/requests.json", params={"status": "closed"})
    assert request_id not in [r["service_request_id"] for r in closed.json()]

    resolved = open311.get(f"/tokens/{token}.json")
    assert resolved.json() == [{"service_request_id": request_id, "token": token}]

    # On the log it is one partner_api filing, the reporter sealed.
    def filed(records: list[Record]) -> bool:
        return any(r.key == token.encode() for r in records)

    mine = [r for r in await read_until(kafka, topics.EVENTS, filed) if r.key == token.encode()]
    event = CloudEvent.model_validate_json(mine[0].value)
    assert (event.type, event.data["channel"]) == ("pintu.complaint.filed", "partner_api")
    assert not any(part in mine[0].value for part in IDENTITY)


async def test_a_wrong_api_key_is_refused_in_the_open311_error_format_and_files_nothing(
    platform: Platform, kafka: str
) -> None:
    marker = f"uji-{uuid.uuid4()}"
    refused = httpx.post(
        f"{platform.intake_url}/open311/v2/requests.xml",
        content=spec_post(f"Jalan rusak parah di Martapura ({marker}).", api_key="xyz"),
        headers=FORM,
        timeout=10,
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "text/xml; charset=utf-8"
    errors = ET.fromstring(refused.content)
    assert errors.tag == "errors"
    assert errors.findtext("error/code") == "403"
    assert "api_key" in (errors.findtext("error/description") or "")
    assert not any(marker.encode() in r.value for r in await read_all(kafka, topics.EVENTS))


def test_a_rahasia_complaint_filed_through_v1_is_never_listed(platform: Platform) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    filed = intake.post(
        "/v1/complaints",
        json={
            "title": "Pungutan liar di SMA negeri",
            "description": "Kepala sekolah memungut uang gedung tanpa kuitansi dari semua siswa.",
            "category": "pungutan-liar",
            "location": {"region_code": "32.04", "latitude": -6.98, "longitude": 107.63},
            "confidential": True,
        },
    )
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    tracking_id, token = receipt["tracking_id"], receipt["complaint_id"]
    # The reporter can see it: the read model has it.
    poll(
        lambda: intake.get(
            f"/v1/complaints/{tracking_id}",
            headers={"X-Reporter-Token": receipt["reporter_token"]},
        ),
        lambda r: r.status_code == 200,
    )

    one = intake.get(f"/open311/v2/requests/{tracking_id}.json")
    assert one.status_code == 404 and one.json()[0]["code"] == 404
    by_id = intake.get("/open311/v2/requests.json", params={"service_request_id": tracking_id})
    assert by_id.json() == []
    for query in ({}, {"service_code": "pungutan-liar"}, {"status": "open"}):
        listed = ET.fromstring(intake.get("/open311/v2/requests.xml", params=query).content)
        assert tracking_id not in [r.findtext("service_request_id") for r in listed]
    assert intake.get(f"/open311/v2/tokens/{token}.json").status_code == 404


def test_expected_datetime_is_the_first_follow_up_deadline_and_media_url_comes_back(
    platform: Platform,
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    description = "Jembatan desa retak dan miring setelah banjir. Warga takut melintas."
    posted = intake.post("/open311/v2/requests.xml", content=spec_post(description), headers=FORM)
    assert posted.status_code == 201, posted.text
    request_id = ET.fromstring(posted.content).findtext("request/service_request_id")

    routed = poll(
        lambda: intake.get(f"/open311/v2/requests/{request_id}.json"),
        lambda r: r.status_code == 200 and "expected_datetime" in r.json()[0],
    )
    (request,) = routed.json()
    assert request["description"] == description  # the link is no longer in the chronology
    assert request["media_url"] == "https://files.example.id/foto-jalan.jpg"
    status = intake.get(f"/v1/complaints/{request_id}").json()
    (routing,) = [t for t in status["timeline"] if t["event_type"] == "pintu.complaint.routed"]
    (follow_up,) = [d for d in routing["detail"]["deadlines"] if d["stage"] == "first_follow_up"]
    expected = datetime.fromisoformat(request["expected_datetime"])
    assert expected == datetime.fromisoformat(follow_up["due_at"])
    (filing,) = [t for t in status["timeline"] if t["event_type"] == "pintu.complaint.filed"]
    (attachment,) = filing["detail"]["attachments"]
    assert attachment == {
        "url": "https://files.example.id/foto-jalan.jpg",
        "media_type": None,
        "size_bytes": None,
        "sha256": None,
    }

    as_xml = ET.fromstring(intake.get(f"/open311/v2/requests/{request_id}.xml").content)
    assert as_xml.findtext("request/media_url") == request["media_url"]
    assert as_xml.findtext("request/expected_datetime") == request["expected_datetime"]
