"""Bukan wewenang and reassignment on the running platform: every hop an event, no ping-pong."""

import uuid
from datetime import UTC, datetime
from itertools import pairwise

import httpx
from aiokafka import AIOKafkaProducer

from shared.adapters.kafka import topics
from shared.contracts.cloudevents import CloudEvent
from shared.contracts.commands import Command, Decline, decode_outcome, encode_command
from shared.domain.complaint import NATIONAL_TRIAGE
from tests.e2e.test_complaint_journey import poll
from tests.support.platform import Platform
from tests.support.topics import Record, read_all, read_until

AGENCY_KEY = {"Authorization": "Bearer pintu-dev-agency-key"}
ADMIN_KEY = {"Authorization": "Bearer pintu-dev-admin-key"}
EXTORTION_IN_OKU_TIMUR = {
    "title": "Pungutan liar pengurusan KTP",
    "description": "Petugas kecamatan meminta uang Rp200.000 untuk mempercepat KTP elektronik.",
    "category": "pungutan-liar",
    "location": {"region_code": "16.08"},
}


def held_by(intake: httpx.Client, tracking_id: str, agency_id: str) -> dict[str, object]:
    answer = poll(
        lambda: intake.get(f"/v1/complaints/{tracking_id}"),
        lambda r: r.status_code == 200 and r.json()["agency_id"] == agency_id,
    )
    return answer.json()  # type: ignore[no-any-return]


async def on_topic(kafka: str, agency_id: str, key: bytes) -> int:
    """How many times the complaint is on the agency's topic, once it is there."""
    records = await read_until(
        kafka, topics.routed(agency_id), lambda rs: any(r.key == key for r in rs)
    )
    return sum(r.key == key for r in records)


def decline(intake: httpx.Client, agency_id: str, tracking_id: str) -> httpx.Response:
    return intake.post(
        f"/v1/agencies/{agency_id}/complaints/{tracking_id}/decline",
        json={"reason": "Bukan wewenang kami menurut pembagian urusan."},
        headers=AGENCY_KEY,
    )


async def test_declines_move_the_complaint_on_never_back_then_the_admin_reassigns(
    platform: Platform, kafka: str
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    filed = intake.post("/v1/complaints", json=EXTORTION_IN_OKU_TIMUR)
    assert filed.status_code == 201, filed.text
    tracking_id, key = filed.json()["tracking_id"], filed.json()["complaint_id"].encode()

    # Kabupaten, then province, then police (the rules' precedence), then a person.
    chain = ["pemkab-oku-timur", "pemprov-sumatera-selatan", "polri", NATIONAL_TRIAGE]
    held_by(intake, tracking_id, chain[0])
    for holder, successor in pairwise(chain):
        answer = decline(intake, holder, tracking_id)
        assert answer.status_code == 200, answer.text
        view = held_by(intake, tracking_id, successor)
        assert await on_topic(kafka, successor, key) == 1
        # An agency that declined has no say any more, nor sight of it.
        assert decline(intake, chain[0], tracking_id).status_code == 404
    assert "bukan wewenang" in str(view["timeline"])

    reassigned = intake.post(
        f"/v1/admin/complaints/{tracking_id}/reassign",
        json={
            "agency_id": "kemendagri",
            "reason": "Aparatur kecamatan: pembinaan oleh Kemendagri.",
        },
        headers=ADMIN_KEY,
    )
    assert reassigned.status_code == 200, reassigned.text
    held_by(intake, tracking_id, "kemendagri")
    assert await on_topic(kafka, "kemendagri", key) == 1

    mine = [r for r in await read_all(kafka, topics.EVENTS) if r.key == key]
    log = [CloudEvent.model_validate_json(r.value) for r in mine]
    # One writer: every sequence number once, in order, none skipped.
    assert [e.sequence for e in log] == list(range(1, len(log) + 1))
    routed_to = [e.data["agency_id"] for e in log if e.type == "pintu.complaint.routed"]
    assert routed_to == [*chain, "kemendagri"]
    declined = [e.data["agency_id"] for e in log if e.type == "pintu.complaint.declined"]
    assert declined == chain[:3]
    # Each hop stops the old holder's clocks and starts the new holder's.
    clocks: list[tuple[str, list[str]]] = []
    for e in log:
        if e.type == "pintu.complaint.routed":
            clocks.append((e.data["agency_id"], [d["stage"] for d in e.data["deadlines"]]))
        elif e.type == "pintu.complaint.deadline_scheduled":
            clocks[-1][1].append(e.data["stage"])
    agency_clocks = ["first_follow_up", "completion"]
    assert clocks == [
        (agency, ["triage"] if agency == NATIONAL_TRIAGE else agency_clocks)
        for agency in [*chain, "kemendagri"]
    ]
    stopped = [e for e in log if e.type == "pintu.complaint.deadline_stopped"]
    assert len(stopped) == 2 * 3 + 1  # two clocks for each decline, triage's at reassignment
    # Nobody saw the complaint twice, not even the agency that had it first.
    assert await on_topic(kafka, chain[0], key) == 1


async def test_who_may_act_and_what_makes_sense_is_checked_before_anything_is_recorded(
    platform: Platform, kafka: str
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    filed = intake.post("/v1/complaints", json=EXTORTION_IN_OKU_TIMUR)
    tracking_id = filed.json()["tracking_id"]
    held_by(intake, tracking_id, "pemkab-oku-timur")
    path = f"/v1/agencies/pemkab-oku-timur/complaints/{tracking_id}/decline"
    reason = {"reason": "Bukan wewenang kami menurut pembagian urusan."}

    assert intake.post(path, json=reason).status_code == 401
    wrong = intake.post(path, json=reason, headers={"Authorization": "Bearer tebakan"})
    assert wrong.status_code == 403
    short = intake.post(path, json={"reason": "bukan"}, headers=AGENCY_KEY)
    assert short.status_code == 422
    other = decline(intake, "kemen-pu", tracking_id)
    # Refused at once: the read model shows another holder, and that agency learns nothing.
    assert other.status_code == 404 and "pemkab-oku-timur" not in other.text
    as_agency = intake.post(
        f"/v1/admin/complaints/{tracking_id}/reassign",
        json={"agency_id": "kemen-pu", "reason": "Coba pindahkan sendiri."},
        headers=AGENCY_KEY,
    )
    assert as_agency.status_code == 403
    unknown = intake.post(
        f"/v1/admin/complaints/{tracking_id}/reassign",
        json={"agency_id": "kementerian-tidak-ada", "reason": "Salah ketik nama instansi."},
        headers=ADMIN_KEY,
    )
    assert unknown.status_code == 422
    assert intake.get(f"/v1/complaints/{tracking_id}").json()["agency_id"] == "pemkab-oku-timur"


async def test_a_command_the_owner_must_refuse_is_answered_with_the_reason_and_records_nothing(
    platform: Platform, kafka: str
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    filed = intake.post("/v1/complaints", json=EXTORTION_IN_OKU_TIMUR)
    tracking_id, complaint_id = filed.json()["tracking_id"], filed.json()["complaint_id"]
    held_by(intake, tracking_id, "pemkab-oku-timur")
    # Sent straight to the topic, as any internal caller could: a decline by an agency
    # not holding the complaint.
    command = Command(
        id=uuid.uuid4(),
        complaint_id=uuid.UUID(complaint_id),
        issued_at=datetime.now(UTC),
        action=Decline(agency_id="kemen-pu", reason="Bukan wewenang kami."),
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topics.COMMANDS, *reversed(encode_command(command)))
    finally:
        await producer.stop()

    def answered(records: list[Record]) -> bool:
        return any(str(command.id).encode() in r.value for r in records)

    verdicts = await read_until(kafka, topics.OUTCOMES, answered)
    (verdict,) = [decode_outcome(r.value) for r in verdicts if str(command.id).encode() in r.value]
    assert not verdict.accepted
    assert verdict.refusal == "not_held"
    assert verdict.reason is not None and "pemkab-oku-timur" not in verdict.reason
    mine = [r for r in await read_all(kafka, topics.EVENTS) if r.key == complaint_id.encode()]
    assert not any(b"pintu.complaint.declined" in r.value for r in mine)
