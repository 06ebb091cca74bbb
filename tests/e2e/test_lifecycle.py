"""The lifecycle on the real platform, in simulated time: every role acts over HTTP, the
SLA service warns, breaches and escalates on its own as the clock moves, exactly once.

These tests run their own platform and broker: simulated time is shared by every
process (PINTU_CLOCK_FILE), so moving it here must not move the other tests' clock.
Verification by the national admin is on, as a deployment may choose.
"""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.adapters.kafka import topics
from shared.adapters.kafka.topics import provision
from shared.clock import set_file_clock
from shared.domain.routing import default_directory
from tests.e2e.test_complaint_journey import poll
from tests.support.brokers import connection, local_broker
from tests.support.platform import Platform, running_platform
from tests.support.receivers import WebhookReceiver, webhook_receiver
from tests.support.topics import read_all

WIB = ZoneInfo("Asia/Jakarta")
ADMIN = {"Authorization": "Bearer pintu-dev-admin-key"}
AGENCY = {"Authorization": "Bearer pintu-dev-agency-key"}
OKU_TIMUR = "pemkab-oku-timur"
# The last working day before Nyepi and Idul Fitri 1447 H (18-24 March 2026 are holidays
# or cuti bersama): five working days later is Friday 27 March.
FRIDAY_BEFORE_IDUL_FITRI = datetime(2026, 3, 13, 10, 0, tzinfo=WIB)
POTHOLE = {
    "title": "Jalan kabupaten berlubang di Martapura",
    "description": "Jalan penghubung desa rusak berat sejak Januari; dua pengendara jatuh.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
    "reporter": {"name": "Siti Aminah", "phone": "0812-3456-7890"},
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator["Simulation"]:
    home: Path = tmp_path_factory.mktemp("simulated")
    clock_file = home / "clock"
    set_file_clock(clock_file, FRIDAY_BEFORE_IDUL_FITRI)
    with local_broker(home / "kafka") as broker, webhook_receiver() as receiver:
        bootstrap = broker.bootstrap_servers
        asyncio.run(provision(connection(bootstrap), default_directory().agencies))
        settings = {
            "PINTU_CLOCK_FILE": str(clock_file),
            "PINTU_VERIFICATION_REQUIRED": "true",
            "PINTU_SLA_CHECK_SECONDS": "0.5",
            "PINTU_ACTION_WAIT_SECONDS": "20",
        }
        with running_platform(bootstrap, home, receiver.url, "secret", settings) as platform:
            yield Simulation(platform, bootstrap, clock_file, receiver)


class Simulation:
    def __init__(
        self, platform: Platform, bootstrap: str, clock_file: Path, agencies: WebhookReceiver
    ) -> None:
        self.platform = platform
        self.agencies = agencies  # every agency's webhook endpoint
        self.bootstrap = bootstrap
        self.clock_file = clock_file
        self.http = httpx.Client(base_url=platform.intake_url, timeout=30)

    def at(self, moment: datetime) -> None:
        set_file_clock(self.clock_file, moment)

    def file(self, body: dict[str, Any] = POTHOLE) -> tuple[str, str, str]:
        """Tracking id, complaint id and reporter token of a filing the read model shows."""
        filed = self.http.post("/v1/complaints", json=body)
        assert filed.status_code == 201, filed.text
        receipt = filed.json()
        poll(lambda: self.http.get(f"/v1/complaints/{receipt['tracking_id']}"), _ok)
        return receipt["tracking_id"], receipt["complaint_id"], receipt["reporter_token"]

    def admin(self, tracking_id: str, action: str, **body: object) -> httpx.Response:
        return self.http.post(
            f"/v1/admin/complaints/{tracking_id}/{action}", json=body, headers=ADMIN
        )

    def agency(self, tracking_id: str, action: str, **body: object) -> httpx.Response:
        path = f"/v1/agencies/{OKU_TIMUR}/complaints/{tracking_id}/{action}"
        return self.http.post(path, json=body, headers=AGENCY)

    def reporter(self, tracking_id: str, token: str, action: str, **body: object) -> httpx.Response:
        path = f"/v1/complaints/{tracking_id}/{action}"
        return self.http.post(path, json=body, headers={"X-Reporter-Token": token})

    def verified(self) -> tuple[str, str, str]:
        tracking_id, complaint_id, token = self.file()
        answer = self.admin(tracking_id, "verify")
        assert answer.status_code == 200, answer.text
        # The agency's actions are answered from the read model's view of who holds it: wait
        # for the routing to reach it, as a client answered 404 meanwhile would retry.
        deadline = time.monotonic() + 30
        while self.http.get(f"/v1/complaints/{tracking_id}").json().get("agency_id") is None:
            assert time.monotonic() < deadline, f"{tracking_id} never showed its agency"
            time.sleep(0.2)
        return tracking_id, complaint_id, token

    def events(self, complaint_id: str) -> list[dict[str, Any]]:
        log = asyncio.run(read_all(self.bootstrap, topics.EVENTS))
        return [json.loads(r.value) for r in log if r.key == complaint_id.encode()]

    def wait_for(
        self,
        complaint_id: str,
        until: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 60,
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            events = self.events(complaint_id)
            if until(events):
                return events
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up after {timeout}s: {[e['type'] for e in events]}")
            time.sleep(0.5)

    def due(self, complaint_id: str, stage: str, field: str = "due_at") -> datetime:
        """The due time of the stage's latest scheduled deadline, as the log states it: in a
        DeadlineScheduled, or among the clocks a ComplaintRouted starts."""
        scheduled: list[dict[str, Any]] = []
        for e in self.events(complaint_id):
            if _is(e, "deadline_scheduled", stage):
                scheduled.append(e["data"])
            elif _is(e, "routed"):
                scheduled += [d for d in e["data"]["deadlines"] if d["stage"] == stage]
        return datetime.fromisoformat(scheduled[-1][field])

    def warning(self, complaint_id: str, stage: str) -> datetime:
        return self.due(complaint_id, stage, "warn_at")


def _ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def _is(event: dict[str, Any], kind: str, stage: str | None = None) -> bool:
    if event["type"] != f"pintu.complaint.{kind}":
        return False
    return stage is None or event["data"].get("stage") == stage


def _webhook(body: bytes, complaint_id: str, agency_id: str, kind: str, stage: str) -> bool:
    sent = json.loads(body)
    return bool(
        sent["complaint_id"] == complaint_id
        and sent["agency_id"] == agency_id
        and sent["kind"] == kind
        and sent.get("stage") == stage
    )


def count(events: list[dict[str, Any]], kind: str, stage: str | None = None) -> int:
    return sum(_is(e, kind, stage) for e in events)


def status(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def test_filed_on_the_friday_before_idul_fitri_the_follow_up_is_due_after_the_holidays(
    simulated: Simulation,
) -> None:
    simulated.at(FRIDAY_BEFORE_IDUL_FITRI)
    tracking_id, complaint_id, _ = simulated.verified()
    due = simulated.due(complaint_id, "first_follow_up")
    assert due == datetime(2026, 3, 27, 23, 59, 59, tzinfo=WIB)
    shown = simulated.http.get(f"/v1/complaints/{tracking_id}").json()
    assert datetime.fromisoformat(shown["deadline_at"]) == due


def test_a_complaint_walks_through_every_status_by_each_roles_action(
    simulated: Simulation,
) -> None:
    simulated.at(FRIDAY_BEFORE_IDUL_FITRI)
    tracking_id, complaint_id, token = simulated.file()
    shown = simulated.http.get(f"/v1/complaints/{tracking_id}").json()
    assert shown["status"] == "belum_terverifikasi"

    assert status(simulated.admin(tracking_id, "verify")) == "terdisposisi_belum_ditindaklanjuti"
    acknowledged = simulated.agency(tracking_id, "acknowledge", tier="tanpa_peninjauan_lapangan")
    assert status(acknowledged) == "terdisposisi_sedang_diproses"
    asked = simulated.agency(
        tracking_id, "request-information", question="Mohon kirim foto lokasi jalan rusak."
    )
    assert status(asked) == "tertunda"
    replied = simulated.reporter(tracking_id, token, "reply", message="Foto sudah saya kirim.")
    assert status(replied) == "terdisposisi_sedang_diproses"
    followed = simulated.agency(
        tracking_id, "follow-up", message="Tim dinas PUPR meninjau lokasi pekan ini."
    )
    assert status(followed) == "terdisposisi_sedang_diproses"
    resolved = simulated.agency(tracking_id, "resolve", message="Lubang sudah ditambal.")
    assert status(resolved) == "terdisposisi_selesai"
    reopened = simulated.reporter(tracking_id, token, "reopen", reason="Tambalan sudah rusak lagi.")
    assert status(reopened) == "terdisposisi_sedang_diproses"
    again = simulated.agency(tracking_id, "resolve", message="Ruas diaspal ulang seluruhnya.")
    assert status(again) == "terdisposisi_selesai"
    assert status(simulated.reporter(tracking_id, token, "rating", score=5)) == (
        "terdisposisi_selesai"
    )
    archived = simulated.admin(tracking_id, "archive", reason="Selesai dan dinilai pelapor.")
    assert status(archived) == "arsip"

    # A refused action says why and records nothing.
    before = simulated.events(complaint_id)
    refused = simulated.agency(tracking_id, "follow-up", message="Satu kabar lagi untuk pelapor.")
    assert refused.status_code == 409 and "arsip" in refused.json()["detail"]
    assert simulated.events(complaint_id) == before
    # Only the reporter's token proves the reporter; another is answered as an unknown id.
    forged = simulated.reporter(tracking_id, "not-the-token", "rating", score=1)
    assert forged.status_code == 404

    timeline = poll(
        lambda: simulated.http.get(f"/v1/complaints/{tracking_id}"),
        lambda r: r.json()["status"] == "arsip",
    ).json()["timeline"]
    labels = " | ".join(item["label"] for item in timeline)
    for words in ("Laporan diterima", "Diverifikasi", "Tindak lanjut", "Selesai", "Diarsipkan"):
        assert words in labels, labels


def test_two_conflicting_actions_at_the_same_moment_one_is_accepted_one_refused(
    simulated: Simulation,
) -> None:
    simulated.at(FRIDAY_BEFORE_IDUL_FITRI)
    tracking_id, complaint_id, _ = simulated.verified()

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=simulated.platform.intake_url, timeout=30) as c:
            decline = c.post(
                f"/v1/agencies/{OKU_TIMUR}/complaints/{tracking_id}/decline",
                json={"reason": "Ruas ini jalan provinsi, bukan jalan kabupaten."},
                headers=AGENCY,
            )
            resolve = c.post(
                f"/v1/agencies/{OKU_TIMUR}/complaints/{tracking_id}/resolve",
                json={"message": "Lubang sudah ditambal oleh dinas PUPR."},
                headers=AGENCY,
            )
            return list(await asyncio.gather(decline, resolve))

    declined, resolved = asyncio.run(both())
    events = simulated.events(complaint_id)
    assert count(events, "declined") + count(events, "resolved") == 1
    if count(events, "declined"):
        # Declined first: the agency holds it no more, so to it the complaint is not there.
        assert (declined.status_code, resolved.status_code) == (200, 404), resolved.text
    else:
        # Resolved first: a resolved complaint is not declined, and the agency is told why.
        assert (declined.status_code, resolved.status_code) == (409, 200), declined.text


def test_a_paused_clock_does_not_breach_and_resumes_after_the_answer(
    simulated: Simulation,
) -> None:
    simulated.at(FRIDAY_BEFORE_IDUL_FITRI)
    paused_id, paused, token = simulated.verified()
    _, running, _ = simulated.verified()  # the control: same deadline, clock running
    due = simulated.due(paused, "first_follow_up")
    simulated.at(datetime(2026, 3, 16, 9, 0, tzinfo=WIB))
    asked = simulated.agency(paused_id, "request-information", question="Di desa mana tepatnya?")
    assert status(asked) == "tertunda"

    simulated.at(due + timedelta(days=3))  # Monday 30 March
    simulated.wait_for(running, lambda es: count(es, "deadline_breached", "first_follow_up") == 1)
    # The SLA service has looked since the clock moved: the paused one did not breach.
    assert count(simulated.events(paused), "deadline_breached", "first_follow_up") == 0

    replied = simulated.reporter(paused_id, token, "reply", message="Desa Terukis, dekat pasar.")
    assert status(replied) == "terdisposisi_belum_ditindaklanjuti"
    # Paused 16-30 March (5 working days): due 27 March moves to Monday 6 April.
    assert simulated.due(paused, "first_follow_up") == datetime(2026, 4, 6, 23, 59, 59, tzinfo=WIB)


def test_an_unanswered_complaint_escalates_to_the_parent_then_the_national_admin_once_each(
    simulated: Simulation,
) -> None:
    simulated.at(FRIDAY_BEFORE_IDUL_FITRI)
    _, complaint_id, _ = simulated.verified()
    due = simulated.due(complaint_id, "first_follow_up")

    simulated.at(simulated.warning(complaint_id, "first_follow_up") + timedelta(minutes=1))
    simulated.wait_for(
        complaint_id, lambda es: count(es, "deadline_warned", "first_follow_up") == 1
    )

    simulated.at(due + timedelta(hours=1))
    events = simulated.wait_for(complaint_id, lambda es: count(es, "escalated") == 1)
    first = next(e for e in events if _is(e, "escalated"))
    assert first["data"]["to_agency_id"] == "pemprov-sumatera-selatan"

    simulated.at(simulated.due(complaint_id, "escalation") + timedelta(hours=1))
    events = simulated.wait_for(complaint_id, lambda es: count(es, "escalated") == 2)
    second = [e for e in events if _is(e, "escalated")][1]
    assert (second["data"]["to_agency_id"], second["data"]["level"]) == ("national-triage", 2)

    time.sleep(3)  # several more SLA rounds: nothing is escalated twice
    events = simulated.events(complaint_id)
    assert count(events, "escalated") == 2
    assert count(events, "deadline_breached", "first_follow_up") == 1
    assert count(events, "deadline_breached", "escalation") == 1

    # Each agency heard its part once, by signed webhook: the holder its warning and
    # breach, the parent and the national admin the escalation.
    def heard(agency: str, kind: str, stage: str) -> int:
        def match(body: bytes) -> bool:
            return _webhook(body, complaint_id, agency, kind, stage)

        simulated.agencies.wait_for(lambda r: match(r.body))
        return sum(match(r.body) for r in simulated.agencies.requests)

    assert heard(OKU_TIMUR, "deadline.warning", "first_follow_up") == 1
    assert heard(OKU_TIMUR, "deadline.breached", "first_follow_up") == 1
    assert heard("pemprov-sumatera-selatan", "complaint.escalated", "first_follow_up") == 1
    assert heard("national-triage", "complaint.escalated", "escalation") == 1


def test_a_follow_up_with_no_reporter_reply_auto_closes_after_ten_working_days(
    simulated: Simulation,
) -> None:
    simulated.at(FRIDAY_BEFORE_IDUL_FITRI)
    tracking_id, complaint_id, _ = simulated.verified()
    simulated.at(datetime(2026, 3, 16, 9, 0, tzinfo=WIB))
    followed = simulated.agency(
        tracking_id, "follow-up", message="Perbaikan dijadwalkan pekan depan."
    )
    assert status(followed) == "terdisposisi_sedang_diproses"
    window = simulated.due(complaint_id, "reply_window")
    assert window == datetime(2026, 4, 7, 23, 59, 59, tzinfo=WIB)  # 10 working days

    simulated.at(window + timedelta(minutes=1))
    simulated.wait_for(complaint_id, lambda es: count(es, "auto_closed") == 1)
    closed = poll(
        lambda: simulated.http.get(f"/v1/complaints/{tracking_id}"),
        lambda r: r.json()["status"] == "terdisposisi_selesai",
    )
    assert closed.status_code == 200


def test_the_sla_service_killed_while_deadlines_fall_due_emits_every_breach_exactly_once(
    simulated: Simulation,
) -> None:
    # Filed on eight consecutive days: their deadlines fall due one after another.
    start = datetime(2026, 4, 13, 10, 0, tzinfo=WIB)
    complaints = []
    for day in range(8):
        simulated.at(start + timedelta(days=day))
        complaints.append(simulated.verified()[1])
    dues = [simulated.due(c, "first_follow_up") for c in complaints]
    assert len(set(dues)) > 2

    def breached_once(es: list[dict[str, Any]]) -> bool:
        return count(es, "deadline_breached", "first_follow_up") == 1

    # Halfway: the earlier ones breach, then the service dies with the rest still to come,
    # and the clock runs on past all of them while it is down.
    simulated.at(dues[3] + timedelta(minutes=1))
    for complaint_id, due in zip(complaints, dues, strict=True):
        if due <= dues[3]:
            simulated.wait_for(complaint_id, breached_once)
    simulated.platform.kill("sla")
    simulated.at(max(dues) + timedelta(minutes=1))
    simulated.platform.start("sla")

    for complaint_id in complaints:
        simulated.wait_for(complaint_id, breached_once)
    time.sleep(3)  # the restarted service has asked again about everything it holds
    breaches = Counter(
        complaint_id
        for complaint_id in complaints
        for e in simulated.events(complaint_id)
        if _is(e, "deadline_breached", "first_follow_up")
    )
    assert breaches == Counter(dict.fromkeys(complaints, 1))


def test_a_restarted_sla_service_still_holds_the_deadlines_it_had_committed(
    simulated: Simulation,
) -> None:
    # Later than every other test here: their deadlines are long past, this one's is ahead.
    simulated.at(datetime(2026, 6, 1, 10, 0, tzinfo=WIB))
    _, complaint_id, _ = simulated.verified()
    due = simulated.due(complaint_id, "first_follow_up")
    # The service has read the routing and committed past it, so a restart does not read it
    # again: what it knew can come back only from its table's changelog.
    asyncio.run(committed_past_its_routing(simulated.bootstrap, complaint_id))
    simulated.platform.kill("sla")
    simulated.platform.start("sla")
    simulated.at(due + timedelta(minutes=1))
    simulated.wait_for(
        complaint_id, lambda es: count(es, "deadline_breached", "first_follow_up") == 1
    )


async def committed_past_its_routing(
    bootstrap: str, complaint_id: str, timeout: float = 60
) -> None:
    """Until the SLA service's group has committed past the complaint's ComplaintRouted."""
    routed = [
        r
        for r in await read_all(bootstrap, topics.EVENTS)
        if r.key == complaint_id.encode() and b'"type":"pintu.complaint.routed"' in r.value
    ]
    where = TopicPartition(topics.EVENTS, routed[-1].partition)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(
                topics.app_id("sla"), partitions=[where]
            )
            if where in committed and committed[where].offset > routed[-1].offset:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the SLA service did not commit past it in {timeout}s")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
