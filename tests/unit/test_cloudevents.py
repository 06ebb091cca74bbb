import json
import uuid

import pytest

from shared import clock
from shared.contracts.chain import digest, link_of
from shared.contracts.cloudevents import (
    ENVELOPE_FIELDS,
    EVENT_ID_NAMESPACE,
    EVENT_TYPES,
    TYPE_NAMES,
    CloudEvent,
    PoisonMessage,
    decode,
    encode,
    envelope,
    event_id,
    event_json_schemas,
    schema_url,
    schema_version,
)
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.deadlines import COMPLETION, FIRST_FOLLOW_UP, STANDARD_POLICY, Tier
from shared.domain.model import DomainEvent

BASE = "http://127.0.0.1:8000"


def routed_complaint() -> Complaint:
    complaint = Complaint(
        tracking_id="ABCDEFGH23",
        report_type=ReportType.INFORMATION_REQUEST,
        title="Info",
        description="Permintaan informasi",
        category="layanan-kesehatan",
        region_code="32.73",
        channel=Channel.SMS,
        anonymous=True,
    )
    complaint.route("kemenkes", "layanan-kesehatan@v1", "rule")
    return complaint


def test_every_event_survives_the_wire_unchanged() -> None:
    complaint = routed_complaint()
    complaint.acknowledge("kemenkes", Tier.STANDARD, STANDARD_POLICY)  # completion rescheduled
    events = complaint.new_events()
    # Routing carries the clocks it starts; a later one is a DeadlineScheduled (v2).
    routed = next(e for e in events if isinstance(e, Complaint.Routed))
    assert [d.stage for d in routed.deadlines] == [FIRST_FOLLOW_UP, COMPLETION]
    assert Complaint.DeadlineScheduled in {type(e) for e in events}
    for event in events:
        key, value = encode(event, "/pintu/test", BASE)
        assert key == str(event.originator_id).encode()
        assert decode(value) == event


def test_the_envelope_is_cloudevents_structured_json_with_a_sequence() -> None:
    _, routed, *_ = routed_complaint().new_events()
    _, value = encode(routed, "/pintu/router", BASE)
    envelope = json.loads(value)
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == "pintu.complaint.routed"
    assert envelope["subject"] == str(routed.originator_id)
    assert envelope["sequence"] == 2
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["dataversion"] == 6
    assert envelope["dataschema"] == f"{BASE}/v1/schemas/pintu.complaint.routed/v6.json"
    data = envelope["data"]
    assert (data["agency_id"], data["rule_id"], data["reason"]) == (
        "kemenkes",
        "layanan-kesehatan@v1",
        "rule",
    )
    assert data["complaint"]["tracking_id"] == "ABCDEFGH23"


def test_the_event_id_is_the_same_for_the_same_event_and_differs_between_events() -> None:
    filed, routed, *_ = routed_complaint().new_events()
    first = CloudEvent.model_validate_json(encode(routed, "/a", BASE)[1])
    again = CloudEvent.model_validate_json(encode(routed, "/b", BASE)[1])
    other = CloudEvent.model_validate_json(encode(filed, "/a", BASE)[1])
    assert first.id == again.id
    assert first.id != other.id


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "not a CloudEvents 1.0 envelope"),
        (b'{"specversion": "0.3"}', "not a CloudEvents 1.0 envelope"),
        (
            b'{"specversion":"1.0","id":"1","source":"/x","type":"pintu.complaint.vanished",'
            b'"subject":"6e328957-f727-5f11-8832-2688e7f74b1c","time":"2026-11-20T10:00:00Z",'
            b'"dataschema":"x","sequence":1,"data":{}}',
            "unknown event type 'pintu.complaint.vanished'",
        ),
        (
            b'{"specversion":"1.0","id":"1","source":"/x","type":"pintu.complaint.routed",'
            b'"subject":"6e328957-f727-5f11-8832-2688e7f74b1c","time":"2026-11-20T10:00:00Z",'
            b'"dataschema":"x","sequence":2,"data":{"agency_id":"kemenkes"}}',
            "invalid pintu.complaint.routed data: rule_id",
        ),
    ],
)
def test_poison_is_refused_with_a_reason(value: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode(value)


def test_every_event_type_publishes_a_schema_of_its_data_only() -> None:
    schemas = event_json_schemas()
    assert set(schemas) == set(EVENT_TYPES)
    routed = schemas["pintu.complaint.routed"]
    assert set(routed["properties"]) == {
        "agency_id",
        "rule_id",
        "reason",
        "complaint",
        "copies",
        "candidates",
        "hint_used",
        "hint_reason",
        "directory_version",
        "rules_version",
        "deadlines",
    }
    assert "originator_id" not in schemas["pintu.complaint.filed"]["properties"]


def test_a_v1_filing_from_the_old_log_still_loads_through_the_current_class() -> None:
    # Exactly as intake wrote ComplaintFiled before v2 (no dataversion: v1).
    v1 = (
        b'{"specversion":"1.0","id":"2f0c","source":"/pintu/intake","type":"pintu.complaint.filed",'
        b'"subject":"6e328957-f727-5f11-8832-2688e7f74b1c","time":"2026-11-20T10:00:00Z",'
        b'"datacontenttype":"application/json","dataschema":"x/v1.json","sequence":1,'
        b'"data":{"tracking_id":"ABCDEFGH23","report_type":"pengaduan","title":"Jalan rusak",'
        b'"description":"Jalan berlubang","category":"jalan-daerah","region_code":"16.08",'
        b'"channel":"web","incident_date":null,"agency_hint":null,"anonymous":false,"confidential":false}}'
    )
    event = decode(v1)
    assert isinstance(event, Complaint.Filed)
    assert type(event).class_version == 3
    assert (event.address, event.attachments, event.reporter, event.reporter_token_hash) == (
        None,
        (),
        None,
        None,
    )
    complaint = event.mutate(None)
    assert isinstance(complaint, Complaint) and complaint.tracking_id == "ABCDEFGH23"


def test_data_newer_than_the_service_is_refused_not_guessed() -> None:
    _, routed, *_ = routed_complaint().new_events()
    envelope = json.loads(encode(routed, "/x", BASE)[1])
    envelope["dataversion"] = 9
    with pytest.raises(PoisonMessage, match="newer than this service"):
        decode(json.dumps(envelope).encode())


def test_a_v1_routing_from_the_old_log_loads_through_the_v5_class() -> None:
    # As the router wrote ComplaintRouted before v2: no agency view, no decision details.
    v1 = {
        "specversion": "1.0",
        "id": "6b0e1a52-0f3e-5d53-9a2c-1d1f0d1b2c3d",
        "source": "/pintu/router",
        "type": "pintu.complaint.routed",
        "subject": "63798491-c466-59c4-b714-3fb347ab656c",
        "time": "2026-11-20T10:00:00Z",
        "datacontenttype": "application/json",
        "dataschema": f"{BASE}/v1/schemas/pintu.complaint.routed/v1.json",
        "sequence": 2,
        "data": {"agency_id": "kemen-pu", "rule_id": "jalan-nasional@v1", "reason": "rule"},
    }
    routed = decode(json.dumps(v1).encode())
    assert isinstance(routed, Complaint.Routed)
    assert (routed.agency_id, routed.complaint, routed.copies, routed.hint_used) == (
        "kemen-pu",
        None,
        (),
        False,
    )
    # Decided before versions were recorded: a replay cannot re-decide it, and says so.
    assert (routed.directory_version, routed.rules_version) == (None, None)
    # Before v5 its clocks came as DeadlineScheduled events after it: none in it.
    assert routed.deadlines == ()


AWKWARD = 'Jl. "Merdeka" No. 5\\6 — RT 03/RW 07\n\tsejak 2026 ✓ \u2028 \x01 ñ 漢字'


def events_of_a_long_life() -> list[DomainEvent]:
    """Most event types, with text that JSON must escape (quotes, backslash, control
    characters, non-ASCII) in the complaint and in what people write."""
    complaint = Complaint(
        tracking_id="ABCDEFGH24",
        report_type=ReportType.COMPLAINT,
        title=AWKWARD,
        description=AWKWARD,
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.WEB,
        latitude=-4.123456789,
        longitude=104.5,
    )
    now = clock.now()
    complaint.await_verification(now, STANDARD_POLICY)
    complaint.verify("national-admin")
    complaint.route("pemkab-oku-timur", "jalan-daerah@v1", AWKWARD, copies=("pemprov-sumsel",))
    complaint.decline("pemkab-oku-timur", AWKWARD)
    complaint.route("pemprov-sumsel", "jalan-daerah@v1", "next", at=now)
    complaint.acknowledge("pemprov-sumsel", Tier.STANDARD, STANDARD_POLICY)
    complaint.request_information("pemprov-sumsel", AWKWARD, now, STANDARD_POLICY)
    complaint.reply(AWKWARD, now)
    complaint.follow_up("pemprov-sumsel", AWKWARD, now, STANDARD_POLICY)
    complaint.resolve("pemprov-sumsel", AWKWARD, now, STANDARD_POLICY)
    complaint.reopen(AWKWARD, now, STANDARD_POLICY)
    complaint.resolve("pemprov-sumsel", "selesai", now, STANDARD_POLICY)
    complaint.rate(5, AWKWARD)
    complaint.archive("national-admin", AWKWARD)
    return complaint.new_events()


def to_cloudevent(event: DomainEvent, source: str, base_url: str) -> CloudEvent:
    """The envelope as the model builds and validates it: the reference for `envelope`."""
    type_name = TYPE_NAMES[type(event)]
    version = schema_version(type(event))
    return CloudEvent(
        id=event_id(event.originator_id, event.originator_version),
        source=source,
        type=type_name,
        subject=str(event.originator_id),
        time=event.timestamp,
        dataschema=schema_url(base_url, type_name, version),
        sequence=event.originator_version,
        dataversion=version,
        data=event.model_dump(mode="json", exclude=ENVELOPE_FIELDS),
    )


@pytest.mark.parametrize(
    ("source", "base"),
    [("/pintu/router", BASE), ('/odd "source"', "https://x.example/a b/\u00e9/")],
)
def test_encode_writes_exactly_the_cloudevent_model_then_seals_it(source: str, base: str) -> None:
    events = events_of_a_long_life()
    assert len({type(e) for e in events}) >= 12
    previous = None
    for event in events:
        model = to_cloudevent(event, source, base)
        assert envelope(event, source, base) == json.loads(model.model_dump_json())
        key, value = encode(event, source, base, link_of(previous) if previous else None)
        assert key == str(event.originator_id).encode()
        assert decode(value) == event
        written = json.loads(value)
        assert {k: v for k, v in written.items() if k not in ("hash", "prevhash")} == json.loads(
            model.model_dump_json()
        )
        assert written["hash"] == digest(written)
        previous = value


def test_the_event_id_is_uuid5_of_the_complaint_and_sequence() -> None:
    for n in range(1, 50):
        complaint_id = uuid.uuid4()
        assert event_id(complaint_id, n) == str(
            uuid.uuid5(EVENT_ID_NAMESPACE, f"{complaint_id}/{n}")
        )
