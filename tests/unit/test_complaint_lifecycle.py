"""The complaint's lifecycle in simulated time: every role's action, every deadline.

Pure domain: the aggregate, the router's lifecycle rules and the handbook's deadlines,
with the one clock moved by hand. The same rules run against the real broker in
tests/e2e/test_lifecycle.py.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.router.lifecycle import on_command, on_filed, replay
from shared import clock
from shared.config import Settings
from shared.contracts.cloudevents import encode
from shared.contracts.commands import (
    Acknowledge,
    Action,
    Archive,
    Command,
    DeadlinePassed,
    FollowUp,
    Postpone,
    Rate,
    Reopen,
    Reply,
    RequestInformation,
    Resolve,
    Verify,
)
from shared.domain.complaint import NATIONAL_TRIAGE, Channel, Complaint, InvalidTransition, Status
from shared.domain.deadlines import (
    COMPLETION,
    ESCALATION,
    FIRST_FOLLOW_UP,
    REPLY_WINDOW,
    REPORTER_INFO,
    VERIFICATION,
    DeadlinePolicy,
    Tier,
)
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory

WIB = ZoneInfo("Asia/Jakarta")
DIRECTORY = default_directory()
POLICY = DeadlinePolicy()
# Friday 13 March 2026, the last working day before Nyepi and Idul Fitri 1447 H: 18-24 March
# are holidays or cuti bersama, so 5 working days end on Friday 27 March (16, 17, 25, 26, 27).
FRIDAY_BEFORE_IDUL_FITRI = datetime(2026, 3, 13, 10, 0, tzinfo=WIB)
END_OF_27_MARCH = datetime(2026, 3, 27, 23, 59, 59, tzinfo=WIB)


@pytest.fixture(autouse=True)
def simulated_time() -> Iterator[None]:
    yield
    clock.use_clock(clock.system_clock)


def at(moment: datetime) -> None:
    clock.use_clock(lambda: moment)


class Journey:
    """One complaint's history, as the router keeps it, driven by commands."""

    def __init__(self, category: str = "jalan-daerah", region: str = "16.08") -> None:
        at(FRIDAY_BEFORE_IDUL_FITRI)
        complaint = Complaint(
            tracking_id=f"T{uuid.uuid4().hex[:9].upper()}",
            report_type="pengaduan",
            title="Jalan kabupaten berlubang",
            description="Jalan penghubung desa rusak berat.",
            category=category,
            region_code=region,
            channel=Channel.WEB,
        )
        self.history: list[bytes] = []
        self.record(complaint.new_events())
        self.complaint_id = complaint.id

    def record(self, events: list[DomainEvent]) -> list[DomainEvent]:
        self.history += [encode(e, "/test", "http://test")[1] for e in events]
        return events

    def file(self, verification: bool = False) -> list[DomainEvent]:
        return self.record(on_filed(self.state, DIRECTORY, POLICY, verification, clock.now()))

    def act(self, action: Action) -> list[DomainEvent]:
        command = Command(
            id=uuid.uuid4(),
            complaint_id=self.complaint_id,
            issued_at=clock.now(),
            action=action,
        )
        return self.record(on_command(self.state, command, DIRECTORY, POLICY))

    def refused(self, action: Action, reason: str) -> None:
        before = list(self.history)
        with pytest.raises(InvalidTransition, match=reason):
            self.act(action)
        assert self.history == before  # nothing recorded

    def deadline(self, stage: str) -> datetime:
        return self.state.deadlines[stage].due_at

    def passes(self, stage: str, *, warning: bool = False) -> list[DomainEvent]:
        """The SLA service's question, once the simulated clock reached the moment."""
        due = self.state.deadlines[stage]
        at(due.warn_at if warning else due.due_at + timedelta(seconds=1))
        return self.act(DeadlinePassed(stage=stage, due_at=due.due_at, warning=warning))

    @property
    def state(self) -> Complaint:
        return replay(self.history)


def kinds(events: list[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_filed_on_the_friday_before_idul_fitri_the_follow_up_is_due_after_the_holidays() -> None:
    journey = Journey()
    journey.file()
    assert journey.state.agency_id == "pemkab-oku-timur"
    assert journey.deadline(FIRST_FOLLOW_UP) == END_OF_27_MARCH
    # 14 working days (a pengaduan needing no field check): 16, 17, 25-27 March, 30 March-
    # 2 April, 6-10 April (Good Friday, 3 April, is a holiday).
    assert journey.deadline(COMPLETION) == datetime(2026, 4, 10, 23, 59, 59, tzinfo=WIB)


def test_a_complaint_walks_through_every_status_of_the_handbook() -> None:
    journey = Journey()
    journey.file(verification=True)  # the national admin verifies first
    assert journey.state.status is Status.UNVERIFIED  # Belum Terverifikasi
    assert VERIFICATION in journey.state.deadlines

    assert kinds(journey.act(Verify(admin="national-admin")))[:3] == [
        "DeadlineStopped",
        "Verified",
        "Routed",
    ]
    assert journey.state.status is Status.DISPOSED_NOT_FOLLOWED_UP
    agency = "pemkab-oku-timur"

    journey.act(Acknowledge(agency_id=agency, tier=Tier.STANDARD))
    assert journey.state.status is Status.DISPOSED_IN_PROGRESS  # Sedang Diproses

    journey.act(RequestInformation(agency_id=agency, question="Di desa mana tepatnya?"))
    assert journey.state.status is Status.POSTPONED  # Tertunda
    journey.act(Reply(message="Desa Terukis, dekat pasar."))
    assert journey.state.status is Status.DISPOSED_IN_PROGRESS

    journey.act(FollowUp(agency_id=agency, message="Tim meninjau lokasi pekan ini."))
    journey.act(Resolve(agency_id=agency, message="Jalan sudah ditambal."))
    assert journey.state.status is Status.DISPOSED_DONE  # Terdisposisi Selesai

    journey.act(Reopen(reason="Tambalan sudah rusak lagi."))
    assert journey.state.status is Status.DISPOSED_IN_PROGRESS
    journey.act(Resolve(agency_id=agency, message="Diaspal ulang seluruh ruas."))
    journey.act(Rate(score=4, comment="Akhirnya beres."))
    assert journey.state.rating == 4

    journey.act(Archive(admin="national-admin", reason="Selesai dan dinilai pelapor."))
    assert journey.state.status is Status.ARCHIVED  # Arsip
    assert journey.state.deadlines == {}


def test_an_action_the_state_does_not_allow_is_refused_with_the_reason_and_records_nothing() -> (
    None
):
    journey = Journey()
    journey.file()
    journey.refused(Verify(admin="national-admin"), "already verified")
    journey.refused(
        FollowUp(agency_id="kemen-pu", message="bukan kami"), "only the agency that holds"
    )
    journey.refused(Reopen(reason="belum selesai"), "only a completed complaint")
    journey.refused(Rate(score=5, comment=None), "only an answered")
    journey.refused(Reply(message="halo"), "nobody is waiting")
    journey.act(Resolve(agency_id="pemkab-oku-timur", message="Sudah ditambal."))
    journey.refused(
        Acknowledge(agency_id="pemkab-oku-timur", tier=Tier.SIMPLE), "cannot be acknowledged"
    )
    journey.act(Rate(score=3, comment=None))
    journey.refused(Rate(score=5, comment=None), "already rated")


def test_a_paused_clock_does_not_breach_and_resumes_moved_on_by_the_pause() -> None:
    journey = Journey()
    journey.file()
    due = journey.deadline(FIRST_FOLLOW_UP)  # Friday 27 March
    at(datetime(2026, 3, 16, 9, 0, tzinfo=WIB))  # Monday: one working day used
    journey.act(Postpone(admin="national-admin", reason="Menunggu foto dari pelapor."))
    assert set(journey.state.deadlines) == {REPORTER_INFO}  # only the reporter's clock runs

    at(due + timedelta(days=3))  # long past the old deadline, still paused
    journey.refused(
        DeadlinePassed(stage=FIRST_FOLLOW_UP, due_at=due, warning=False), "no open first_follow_up"
    )

    journey.act(Reply(message="Foto terlampir."))  # Monday 30 March
    # Paused from Monday 16 to Monday 30 March: 5 working days (17, 25, 26, 27, 30) pass,
    # so the deadline moves from Friday 27 March by 5 working days: Friday 3 April is Good
    # Friday, hence Monday 6 April.
    assert journey.deadline(FIRST_FOLLOW_UP) == datetime(2026, 4, 6, 23, 59, 59, tzinfo=WIB)
    assert journey.state.status is Status.DISPOSED_NOT_FOLLOWED_UP


def test_a_tunda_never_answered_is_archived() -> None:
    journey = Journey()
    journey.file()
    journey.act(RequestInformation(agency_id="pemkab-oku-timur", question="Di mana lokasinya?"))
    events = journey.passes(REPORTER_INFO)
    assert kinds(events) == ["DeadlineBreached", "Archived"]
    assert journey.state.status is Status.ARCHIVED


def test_an_unanswered_complaint_warns_then_escalates_to_the_parent_then_the_national_admin_once_each() -> (
    None
):
    journey = Journey()  # Pemkab OKU Timur, whose parent is Pemprov Sumatera Selatan
    journey.file()
    parent = DIRECTORY.agencies["pemkab-oku-timur"].parent
    assert parent == "pemprov-sumatera-selatan"

    assert kinds(journey.passes(FIRST_FOLLOW_UP, warning=True)) == ["DeadlineWarned"]
    journey.refused(
        DeadlinePassed(
            stage=FIRST_FOLLOW_UP, due_at=journey.deadline(FIRST_FOLLOW_UP), warning=True
        ),
        "warning was already given",
    )

    breach = journey.passes(FIRST_FOLLOW_UP)
    assert kinds(breach) == ["DeadlineBreached", "Escalated", "DeadlineScheduled"]
    escalated = breach[1]
    assert isinstance(escalated, Complaint.Escalated)
    assert (escalated.to_agency_id, escalated.level) == (parent, 1)

    second = journey.passes(ESCALATION)  # the parent's turn passed too
    assert kinds(second) == ["DeadlineBreached", "Escalated"]
    assert isinstance(second[1], Complaint.Escalated)
    assert (second[1].to_agency_id, second[1].level) == (NATIONAL_TRIAGE, 2)

    # Completion breaches later: the national admin already knows; no third escalation.
    assert kinds(journey.passes(COMPLETION)) == ["DeadlineBreached"]
    assert journey.state.breached == (FIRST_FOLLOW_UP, ESCALATION, COMPLETION)


def test_a_ministry_escalates_straight_to_the_national_admin() -> None:
    journey = Journey(category="jalan-nasional", region="32.73")
    journey.file()
    assert journey.state.agency_id == "kemen-pu"
    breach = journey.passes(FIRST_FOLLOW_UP)
    assert kinds(breach) == ["DeadlineBreached", "Escalated"]
    assert isinstance(breach[1], Complaint.Escalated)
    assert breach[1].to_agency_id == NATIONAL_TRIAGE


def test_a_follow_up_with_no_reply_auto_closes_after_ten_working_days() -> None:
    journey = Journey()
    journey.file()
    at(datetime(2026, 3, 16, 9, 0, tzinfo=WIB))
    journey.act(FollowUp(agency_id="pemkab-oku-timur", message="Perbaikan dijadwalkan."))
    assert FIRST_FOLLOW_UP not in journey.state.deadlines  # met
    # 10 working days after Monday 16 March: 17, 25, 26, 27, 30, 31 March, 1, 2, 6, 7 April.
    assert journey.deadline(REPLY_WINDOW) == datetime(2026, 4, 7, 23, 59, 59, tzinfo=WIB)
    events = journey.passes(REPLY_WINDOW)
    assert kinds(events) == ["DeadlineBreached", "AutoClosed"]
    assert journey.state.status is Status.DISPOSED_DONE


def test_a_reply_within_the_window_keeps_the_complaint_open() -> None:
    journey = Journey()
    journey.file()
    journey.act(FollowUp(agency_id="pemkab-oku-timur", message="Perbaikan dijadwalkan."))
    journey.act(Reply(message="Kapan tepatnya?"))
    assert REPLY_WINDOW not in journey.state.deadlines
    assert journey.state.status is Status.DISPOSED_IN_PROGRESS


def test_a_field_inspection_has_sixty_calendar_days_and_its_breach_names_the_ombudsman() -> None:
    journey = Journey()
    journey.file()
    journey.act(Acknowledge(agency_id="pemkab-oku-timur", tier=Tier.FIELD_INSPECTION))
    assert journey.deadline(COMPLETION) == datetime(2026, 5, 12, 23, 59, 59, tzinfo=WIB)
    breach = journey.passes(COMPLETION)[0]
    assert isinstance(breach, Complaint.DeadlineBreached) and breach.ombudsman_route


def test_a_deadline_question_before_its_time_or_about_another_due_date_is_refused() -> None:
    journey = Journey()
    journey.file()
    due = journey.deadline(FIRST_FOLLOW_UP)
    journey.refused(
        DeadlinePassed(stage=FIRST_FOLLOW_UP, due_at=due, warning=False), "has not passed yet"
    )
    at(due + timedelta(days=1))
    journey.refused(
        DeadlinePassed(stage=FIRST_FOLLOW_UP, due_at=due - timedelta(days=1), warning=False),
        "no open first_follow_up deadline",
    )


def test_the_policy_is_the_deployments_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINTU_SLA__FIRST_FOLLOW_UP_WORKING_DAYS", "10")
    lenient = Settings().sla
    assert lenient == DeadlinePolicy(first_follow_up_working_days=10)
    journey = Journey()
    complaint = journey.state
    complaint.route("pemkab-oku-timur", "jalan-daerah@v2", "rule", policy=lenient)
    # 10 working days from Friday 13 March: 16, 17, 25-27, 30, 31 March, 1, 2, 6 April.
    assert complaint.deadlines[FIRST_FOLLOW_UP].due_at == datetime(
        2026, 4, 6, 23, 59, 59, tzinfo=WIB
    )
