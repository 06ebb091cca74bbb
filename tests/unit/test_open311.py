"""Open311 GeoReport v2 without a broker: statuses, rendering, the form, the queries."""

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.intake import open311
from services.intake.app import create_app
from services.intake.open311 import (
    Format,
    Open311Error,
    media_links,
    open311_status,
    render,
    service_request,
    statuses,
    submission_from_form,
    title_from,
    w3_datetime,
    window,
)
from services.intake.schemas import ComplaintReceipt, ComplaintSubmission
from shared import clock
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.config import Settings
from shared.contracts.cloudevents import TYPE_NAMES
from shared.domain.catalogue import categories
from shared.domain.complaint import (
    Attachment,
    Channel,
    Complaint,
    ReportType,
    Status,
    complaint_id_for,
)
from shared.domain.deadlines import STANDARD_POLICY
from shared.domain.tracking import is_tracking_id, new_tracking_id
from shared.projections.inbox import InboxStore, PublicRequest, position

WIB = timezone(timedelta(hours=7))

# The spec's POST example (api_key=xyz&service_code=001&lat=37.76524078&long=-122.4212043…),
# in Martapura, OKU Timur, with Pintu's region_code.
SPEC_FORM = {
    "api_key": "pintu-dev-open311-key",
    "jurisdiction_id": "lapor.go.id",
    "service_code": "jalan-daerah",
    "lat": "-4.3236",
    "long": "104.3558",
    "address_string": "Jl. Lintas Desa Terukis, Martapura",
    "email": "siti.aminah@example.id",
    "device_id": "tt222111",
    "account_id": "123456",
    "first_name": "Siti",
    "last_name": "Aminah",
    "phone": "0812-3456-7890",
    "description": "Lubang besar menganga di jalan kabupaten. Dua pengendara motor jatuh.",
    "media_url": "https://files.example.id/foto-jalan.jpg",
    "region_code": "16.08",
    "attribute[WHISPAWN]": "123456",
}


def form(**changes: str | None) -> dict[str, str]:
    merged = {**SPEC_FORM, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def a_request(**changes: object) -> PublicRequest:
    fields: dict[str, object] = {
        "tracking_id": "5XW2KTAPJW",
        "complaint_id": str(complaint_id_for("5XW2KTAPJW")),
        "title": "Jalan berlubang",
        "category": "jalan-daerah",
        "region_code": "16.08",
        "status": Status.DISPOSED_NOT_FOLLOWED_UP,
        "description": "Lubang besar menganga di jalan kabupaten.",
        "agency_id": "pemkab-oku-timur",
        "address": "Jl. Lintas Desa Terukis",
        "latitude": -4.3236,
        "longitude": 104.3558,
        "filed_at": datetime(2026, 11, 10, 9, 15, tzinfo=WIB),
        "updated_at": datetime(2026, 11, 10, 9, 15, 2, tzinfo=WIB),
    }
    fields.update(changes)
    return PublicRequest(**fields)  # type: ignore[arg-type]


# --- statuses -----------------------------------------------------------------------------

EXPECTED_STATUS = {
    Status.UNVERIFIED: ("open", "Belum Terverifikasi"),
    Status.DISPOSED_NOT_FOLLOWED_UP: ("open", "Terdisposisi Belum Ditindaklanjuti"),
    Status.DISPOSED_IN_PROGRESS: ("open", "Terdisposisi Sedang Diproses"),
    Status.POSTPONED: ("open", "Tertunda"),
    Status.DISPOSED_DONE: ("closed", "Terdisposisi Selesai"),
    Status.ARCHIVED: ("closed", "Arsip"),
}


@pytest.mark.parametrize("status", list(Status))
def test_only_selesai_and_arsip_are_closed_and_the_notes_are_the_indonesian_label(
    status: Status,
) -> None:
    shown = service_request(a_request(status=status))
    assert (shown["status"], shown["status_notes"]) == EXPECTED_STATUS[status]
    assert open311_status(status) == EXPECTED_STATUS[status][0]


def test_the_status_filter_takes_open_closed_or_both() -> None:
    assert set(statuses("closed")) == {Status.DISPOSED_DONE, Status.ARCHIVED}
    assert set(statuses("open")) == set(Status) - {Status.DISPOSED_DONE, Status.ARCHIVED}
    assert set(statuses("open,closed")) == set(Status)
    assert statuses(None) == []
    with pytest.raises(Open311Error) as refused:
        statuses("open,pending")
    assert refused.value.status == 400 and "not pending" in refused.value.descriptions[0]


# --- rendering ----------------------------------------------------------------------------


def test_a_request_renders_as_the_specs_json_and_xml() -> None:
    payload = [service_request(a_request())]

    as_json = render(Format.JSON, "service_requests", payload)
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    (request,) = json.loads(as_json.body)
    assert request == {
        "service_request_id": "5XW2KTAPJW",
        "status": "open",
        "status_notes": "Terdisposisi Belum Ditindaklanjuti",
        "service_name": "Jalan kabupaten/kota dan desa",
        "service_code": "jalan-daerah",
        "description": "Lubang besar menganga di jalan kabupaten.",
        "agency_responsible": "pemkab-oku-timur",
        "requested_datetime": "2026-11-10T02:15:00Z",
        "updated_datetime": "2026-11-10T02:15:02Z",
        "address": "Jl. Lintas Desa Terukis, Kabupaten Ogan Komering Ulu Timur, Sumatera Selatan",
        "lat": -4.3236,
        "long": 104.3558,
    }

    as_xml = render(Format.XML, "service_requests", payload)
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert bytes(as_xml.body).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(as_xml.body)
    assert root.tag == "service_requests"
    (element,) = root.findall("request")
    assert {child.tag: child.text for child in element} == {k: str(v) for k, v in request.items()}


def test_what_is_not_known_is_left_out_and_the_region_still_says_where() -> None:
    shown = service_request(
        a_request(address=None, latitude=None, longitude=None, agency_id=None, description=None)
    )
    assert "lat" not in shown and "long" not in shown and "agency_responsible" not in shown
    assert "description" not in shown
    assert shown["address"] == "Kabupaten Ogan Komering Ulu Timur, Sumatera Selatan"


def test_xml_writes_none_as_an_empty_element_booleans_as_words_and_drops_control_characters() -> (
    None
):
    receipt = [{"service_request_id": "5XW2KTAPJW", "account_id": None, "note": "a\x07b"}]
    root = ET.fromstring(render(Format.XML, "service_requests", receipt).body)
    assert root.find("request/account_id") is not None
    assert root.findtext("request/account_id") == ""
    assert root.findtext("request/note") == "ab"
    services = ET.fromstring(
        render(Format.XML, "services", [open311.service(categories()["lainnya"])]).body
    )
    assert services.findtext("service/metadata") == "false"


@pytest.mark.parametrize("fmt", list(Format))
def test_errors_render_as_the_specs_error_list(fmt: Format) -> None:
    response = Open311Error(403, "Invalid api_key received").response(fmt)
    assert response.status_code == 403
    if fmt is Format.JSON:
        assert json.loads(response.body) == [
            {"code": 403, "description": "Invalid api_key received"}
        ]
    else:
        root = ET.fromstring(response.body)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "403"
        assert root.findtext("error/description") == "Invalid api_key received"


# --- the form -----------------------------------------------------------------------------


def test_the_specs_example_form_becomes_a_partner_api_submission() -> None:
    submission = submission_from_form(SPEC_FORM)
    assert submission.title == "Lubang besar menganga di jalan kabupaten"
    assert submission.description == SPEC_FORM["description"]
    assert media_links(SPEC_FORM) == (Attachment(url="https://files.example.id/foto-jalan.jpg"),)
    assert submission.category == "jalan-daerah"
    assert submission.channel is Channel.PARTNER_API
    assert not submission.confidential and not submission.anonymous
    location = submission.location
    assert (location.region_code, location.latitude, location.longitude) == (
        "16.08",
        -4.3236,
        104.3558,
    )
    assert location.address == "Jl. Lintas Desa Terukis, Martapura"
    assert submission.reporter is not None
    assert submission.reporter.name == "Siti Aminah"
    assert submission.reporter.email == "siti.aminah@example.id"
    assert submission.reporter.phone == "+6281234567890"


def test_optional_fields_sent_empty_count_as_not_sent() -> None:
    submission = submission_from_form(
        form(email="", phone=" ", first_name="", last_name="", media_url="", address_string="")
    )
    assert submission.reporter is None
    assert submission.description == SPEC_FORM["description"]
    assert submission.location.address is None


@pytest.mark.parametrize(
    ("description", "title"),
    [
        ("Lampu jalan padam sebulan. Warga takut keluar malam.", "Lampu jalan padam sebulan"),
        ("Lampu jalan padam\nsudah sebulan warga takut.", "Lampu jalan padam"),
        ("\n\n  Sekolah memungut uang gedung!  Tanpa kuitansi.", "Sekolah memungut uang gedung!"),
        ("Ya. Lampu jalan di depan pasar padam.", "Ya. Lampu jalan di depan pasar padam."),
    ],
)
def test_the_title_is_the_first_sentence_of_the_first_line(description: str, title: str) -> None:
    assert title_from(description) == title


def test_a_long_first_sentence_is_clipped_at_a_word_to_200_characters() -> None:
    title = title_from("Jalan " * 100 + "rusak.")
    assert len(title) <= 200 and title.endswith("Jalan…")
    assert len(title_from("x" * 500)) == 200


@pytest.mark.parametrize(
    ("changes", "status", "expected"),
    [
        ({"region_code": None}, 400, "Pintu routes every report to the agency responsible"),
        ({"region_code": "99.99"}, 400, "region_code: '99.99' is not a Kemendagri region code"),
        ({"service_code": "teleportasi"}, 404, "'teleportasi' is not a service"),
        ({"service_code": None}, 400, "service_code is required"),
        ({"description": None}, 400, "description is required"),
        ({"description": "Rusak!"}, 400, "description is too short: at least 10 characters"),
        ({"description": "a" * 4001}, 400, "description is too long: at most 4000 characters"),
        ({"long": None}, 400, "lat and long must be sent together"),
        (
            {"lat": None, "long": None, "address_string": None},
            400,
            "a location is required: lat and long, or address_string",
        ),
        ({"lat": "91"}, 400, "lat must be at most 90"),
        ({"long": "timur"}, 400, "long must be a number in decimal degrees"),
        ({"email": "siti@"}, 400, "email: value is not a valid email address"),
        ({"phone": "12345"}, 400, "phone: '12345' is not a valid Indonesian phone number"),
        ({"media_url": "ftp://files.example.id/a.jpg"}, 400, "media_url must be an http"),
    ],
)
def test_a_form_pintu_cannot_file_is_refused_in_plain_words(
    changes: dict[str, str | None], status: int, expected: str
) -> None:
    with pytest.raises(Open311Error) as refused:
        submission_from_form(form(**changes))
    assert refused.value.status == status
    assert any(expected in d for d in refused.value.descriptions), refused.value.descriptions


def test_every_problem_of_a_form_is_named_at_once() -> None:
    with pytest.raises(Open311Error) as refused:
        submission_from_form(form(region_code=None, lat="abc", email="siti@"))
    problems = refused.value.descriptions
    assert len(problems) == 3
    assert "region_code is required" in problems[0]
    assert any(p.startswith("lat must be a number") for p in problems)
    assert any(p.startswith("email:") for p in problems)


# --- the search window --------------------------------------------------------------------


def test_the_window_defaults_to_the_last_90_days_and_never_spans_more() -> None:
    start, end = window(None, None)
    assert end - start == timedelta(days=90)
    assert abs((clock.now() - end).total_seconds()) < 5
    day = datetime(2026, 11, 10, tzinfo=UTC)
    assert window(day, None) == (day, day + timedelta(days=90))
    assert window(None, day) == (day - timedelta(days=90), day)
    with pytest.raises(Open311Error, match="more than 90 days"):
        window(day, day + timedelta(days=91))
    with pytest.raises(Open311Error, match="before start_date"):
        window(day, day - timedelta(days=1))


def test_dates_are_w3_with_a_timezone_even_when_the_plus_arrives_as_a_space() -> None:
    assert w3_datetime("start_date", "2026-11-10T00:00:00Z") == datetime(2026, 11, 10, tzinfo=UTC)
    assert w3_datetime("start_date", "2026-11-10T07:00:00 07:00") == datetime(
        2026, 11, 10, tzinfo=UTC
    )
    with pytest.raises(Open311Error, match="needs a timezone"):
        w3_datetime("start_date", "2026-11-10T00:00:00")
    with pytest.raises(Open311Error, match="w3 datetime"):
        w3_datetime("end_date", "10/11/2026")


# --- over HTTP, on a projected read model (no broker) -------------------------------------


class FakeFiling:
    """Stands in for Filing: records what it was asked to file."""

    def __init__(self, error: Exception | None = None) -> None:
        self.filed: list[tuple[ComplaintSubmission, str | None]] = []
        self.links: list[tuple[Attachment, ...]] = []
        self.error = error

    async def file(
        self,
        submission: ComplaintSubmission,
        idempotency_key: str | None,
        links: Sequence[Attachment] = (),
    ) -> ComplaintReceipt:
        if self.error:
            raise self.error
        self.filed.append((submission, idempotency_key))
        self.links.append(tuple(links))
        tracking_id = new_tracking_id()
        return ComplaintReceipt(
            tracking_id=tracking_id,
            complaint_id=str(complaint_id_for(tracking_id)),
            status="belum_terverifikasi",
            reporter_token="secret-token",
            status_url=f"http://intake/v1/complaints/{tracking_id}",
        )


def project(
    store: InboxStore,
    confidential: bool = False,
    days_ago: int = 0,
    routed: bool = True,
    resolved: bool = False,
) -> str:
    tracking_id = new_tracking_id()
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title="Lampu jalan padam",
        description="Lampu jalan di depan pasar padam sebulan.",
        category="penerangan-jalan",
        region_code="16.08",
        channel=Channel.WEB,
        confidential=confidential,
        address="Pasar Martapura",
        latitude=-4.32,
        longitude=104.35,
        reporter_token_hash="hash-of-the-reporter-token",
    )
    moment = clock.now() - timedelta(days=days_ago)
    if routed:
        complaint.route("pemkab-oku-timur", "penerangan@v1", "rule", at=moment)
    if resolved:
        complaint.resolve("pemkab-oku-timur", "Lampu sudah menyala.", moment, STANDARD_POLICY)
    for offset, event in enumerate(complaint.new_events()):
        dated = event.model_copy(update={"timestamp": moment + timedelta(seconds=offset)})
        store.apply(dated, TYPE_NAMES[type(event)], position(tracking_id, 0, offset))
    return tracking_id


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    app = create_app(Settings(kafka_bootstrap_servers="127.0.0.1:1", data_dir=tmp_path))
    app.state.filing = FakeFiling()
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["service_request_id"] for r in answer.json()]


async def test_requests_lists_the_last_90_days_never_a_rahasia_complaint_nor_who_reported(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    store: InboxStore = app.state.read_model
    public, rahasia = project(store), project(store, confidential=True)
    old, closed = project(store, days_ago=100), project(store, days_ago=1, resolved=True)
    resolved = store.complaint(closed)
    assert resolved is not None and resolved.status is Status.DISPOSED_DONE

    answer = await client.get("/open311/v2/requests.json")
    assert ids(answer) == [public, closed]
    assert "hash-of-the-reporter-token" not in answer.text
    assert ids(await client.get("/open311/v2/requests.json?status=closed")) == [closed]
    assert ids(await client.get("/open311/v2/requests.json?status=open")) == [public]
    assert ids(await client.get("/open311/v2/requests.json?service_code=jalan-daerah")) == []
    start = (clock.now() - timedelta(days=110)).isoformat()
    end = (clock.now() - timedelta(days=30)).isoformat()
    window_of_old = await client.get(
        "/open311/v2/requests.json", params={"start_date": start, "end_date": end}
    )
    assert ids(window_of_old) == [old]
    # service_request_id overrides every other filter, but never shows a rahasia complaint.
    by_id = await client.get(
        "/open311/v2/requests.json",
        params={"service_request_id": f"{rahasia},{old}", "status": "closed"},
    )
    assert ids(by_id) == [old]

    assert (await client.get(f"/open311/v2/requests/{rahasia}.json")).status_code == 404
    rahasia_token = complaint_id_for(rahasia)
    assert (await client.get(f"/open311/v2/tokens/{rahasia_token}.json")).status_code == 404
    one = ET.fromstring((await client.get(f"/open311/v2/requests/{public}.xml")).content)
    assert one.findtext("request/service_request_id") == public
    assert one.findtext("request/agency_responsible") == "pemkab-oku-timur"
    token = ET.fromstring(
        (await client.get(f"/open311/v2/tokens/{complaint_id_for(public)}.xml")).content
    )
    assert token.findtext("request/service_request_id") == public


async def test_a_wider_window_than_90_days_is_refused_in_the_requested_format(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/open311/v2/requests.xml",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert "90 days" in (ET.fromstring(answer.content).findtext("error/description") or "")


async def test_a_filter_sent_twice_is_refused_as_the_document_says(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    twice = [("start_date", "2026-11-01T00:00:00Z"), ("start_date", "2026-11-02T00:00:00Z")]
    answer = await client.get("/open311/v2/requests.json", params=twice)
    assert answer.status_code == 400
    assert answer.json() == [
        {
            "code": 400,
            "description": "start_date was sent 2 times: send it once, several values "
            "comma-separated in it",
        }
    ]
    # The document admits one string, never a list a client would send repeated.
    listing = app.openapi()["paths"]["/open311/v2/requests.{fmt}"]["get"]
    assert "400 for one sent twice" in listing["description"]
    for parameter in (p for p in listing["parameters"] if p["in"] == "query"):
        schema = parameter["schema"]
        branches = schema.get("anyOf", [schema])
        assert all(b["type"] in ("string", "null") for b in branches), parameter["name"]


async def test_a_malformed_filter_is_400_even_where_service_request_id_overrides_it(
    client: httpx.AsyncClient,
) -> None:
    for malformed in ({"end_date": "kemarin"}, {"status": "null"}):
        params = {"service_request_id": new_tracking_id(), **malformed}
        answer = await client.get("/open311/v2/requests.json", params=params)
        assert answer.status_code == 400, malformed


async def test_a_spec_form_is_filed_through_the_one_filing_path(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    answer = await client.post("/open311/v2/requests.json", data=SPEC_FORM)
    assert answer.status_code == 201, answer.text
    ((submission, idempotency_key),) = app.state.filing.filed
    assert idempotency_key is None
    assert submission == submission_from_form(SPEC_FORM)
    (receipt,) = answer.json()
    assert is_tracking_id(receipt["service_request_id"])
    assert receipt["token"] == str(complaint_id_for(receipt["service_request_id"]))
    assert receipt["account_id"] is None
    assert receipt["service_request_id"] in receipt["service_notice"]
    assert "secret-token" not in answer.text


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_wrong_or_missing_api_key_is_403_and_files_nothing(
    app: FastAPI, client: httpx.AsyncClient, fmt: str
) -> None:
    for key in ("wrong-key", None):
        answer = await client.post(f"/open311/v2/requests.{fmt}", data=form(api_key=key))
        assert answer.status_code == 403
        if fmt == "json":
            assert answer.json()[0]["code"] == 403
        else:
            assert ET.fromstring(answer.content).findtext("error/code") == "403"
    assert app.state.filing.filed == []


async def test_only_the_configured_api_keys_are_accepted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.dependency_overrides[open311.api_keys] = lambda: ["kunci-mitra-kota-bandung"]
    refused = await client.post("/open311/v2/requests.json", data=SPEC_FORM)
    accepted = await client.post(
        "/open311/v2/requests.json", data=form(api_key="kunci-mitra-kota-bandung")
    )
    assert (refused.status_code, accepted.status_code) == (403, 201)


async def test_json_instead_of_a_form_and_an_unknown_format_are_refused_in_open311_terms(
    client: httpx.AsyncClient,
) -> None:
    as_json = await client.post("/open311/v2/requests.json", json=SPEC_FORM)
    assert as_json.status_code == 400
    assert "x-www-form-urlencoded" in as_json.json()[0]["description"]
    yaml = await client.get("/open311/v2/services.yaml")
    assert yaml.status_code == 404 and "json or xml" in yaml.json()[0]["description"]


async def test_an_unreachable_log_is_503_with_retry_after_and_nothing_claimed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.state.filing = FakeFiling(error=BrokerUnavailable("no ack"))
    answer = await client.post("/open311/v2/requests.xml", data=SPEC_FORM)
    assert answer.status_code == 503
    assert answer.headers["retry-after"]
    assert "NOT recorded" in (ET.fromstring(answer.content).findtext("error/description") or "")


async def test_services_and_their_definitions(client: httpx.AsyncClient) -> None:
    services = (await client.get("/open311/v2/services.json")).json()
    road = next(s for s in services if s["service_code"] == "jalan-daerah")
    assert road["service_name"] == "Jalan kabupaten/kota dan desa"
    assert (road["metadata"], road["type"], road["group"]) == (False, "realtime", "infrastruktur")
    assert len(services) == len({s["service_code"] for s in services}) == len(categories())
    definition = ET.fromstring((await client.get("/open311/v2/services/jalan-daerah.xml")).content)
    assert definition.tag == "service_definition"
    assert definition.findtext("service_code") == "jalan-daerah"
    attributes = definition.find("attributes")
    assert attributes is not None and list(attributes) == []
    unknown = await client.get("/open311/v2/services/teleportasi.json")
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404


def test_every_open311_operation_documents_a_working_example(app: FastAPI) -> None:
    operations = [
        (path, op)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/open311/v2/")
        for op in item.values()
    ]
    assert len(operations) == 6
    for path, operation in operations:
        for parameter in operation["parameters"]:
            assert parameter["examples"], (path, parameter["name"])
        success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
        assert set(success["content"]) >= {"application/json", "text/xml"}, path
        ET.fromstring(success["content"]["text/xml"]["example"])
    post = app.openapi()["paths"]["/open311/v2/requests.{fmt}"]["post"]
    body = post["requestBody"]["content"]["application/x-www-form-urlencoded"]
    example = body["examples"]["spec"]["value"]
    assert submission_from_form(example).category == example["service_code"]
    assert example["api_key"] in Settings.model_fields["open311_api_keys"].default
    assert is_tracking_id(open311.EXAMPLE_TRACKING_ID)
    assert str(complaint_id_for(open311.EXAMPLE_TRACKING_ID)) == open311.EXAMPLE_TOKEN
