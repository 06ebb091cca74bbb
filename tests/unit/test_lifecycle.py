"""The router's decisions as a complaint's owner: routing, declines, reassignment."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.router.lifecycle import MAX_DECLINES, on_command, on_filed, replay, reproduce
from shared import clock
from shared.contracts.cloudevents import decode, encode
from shared.contracts.commands import Command, Decline, Reassign
from shared.domain.calendar import working_day_deadline
from shared.domain.complaint import (
    NATIONAL_TRIAGE,
    Channel,
    Complaint,
    InvalidTransition,
    NotHolder,
)
from shared.domain.deadlines import COMPLETION, FIRST_FOLLOW_UP, STANDARD_POLICY, TRIAGE
from shared.domain.model import DomainEvent
from shared.domain.routing import bundled_documents, default_directory, directory_from

DIRECTORY = default_directory()


def filed(category: str = "jalan-daerah", region: str = "16.08") -> list[bytes]:
    complaint = Complaint(
        tracking_id="LIFECYCL1",
        report_type="pengaduan",
        title="Jalan rusak",
        description="Jalan berlubang",
        category=category,
        region_code=region,
        channel=Channel.WEB,
    )
    return [encode(e, "/test", "http://t")[1] for e in complaint.new_events()]


def command(action: Decline | Reassign) -> Command:
    return Command(
        id=uuid.uuid4(),
        complaint_id=uuid.uuid4(),
        issued_at=datetime.now(UTC),
        action=action,
    )


def recorded(history: list[bytes], events: list) -> list[bytes]:  # type: ignore[type-arg]
    return history + [encode(e, "/test", "http://t")[1] for e in events]


def routed(history: list[bytes]) -> list[DomainEvent]:
    """The router's answer to a filing, where no verification comes first."""
    return on_filed(replay(history), DIRECTORY, STANDARD_POLICY, False, clock.now())


def commanded(history: list[bytes], action: Decline | Reassign) -> list[DomainEvent]:
    return on_command(replay(history), command(action), DIRECTORY, STANDARD_POLICY)


def stops(events: list[DomainEvent]) -> list[tuple[str, str]]:
    assert all(isinstance(e, Complaint.DeadlineStopped) for e in events)
    return [(e.stage, e.why) for e in events]  # type: ignore[attr-defined]


def test_a_filing_is_routed_and_its_first_deadline_starts_in_the_same_step() -> None:
    history = filed()
    (disposed,) = routed(history)  # one event: the routing carries the clocks it starts
    assert isinstance(disposed, Complaint.Routed) and disposed.agency_id == "pemkab-oku-timur"
    first_follow_up, completion = disposed.deadlines
    assert (first_follow_up.stage, completion.stage) == (FIRST_FOLLOW_UP, COMPLETION)
    assert first_follow_up.due_at == working_day_deadline(first_follow_up.started_at, 5)
    assert completion.started_at == first_follow_up.started_at
    assert completion.due_at == working_day_deadline(first_follow_up.started_at, 14)
    assert disposed.originator_version == 2
    assert set(replay(recorded(history, [disposed])).deadlines) == {FIRST_FOLLOW_UP, COMPLETION}


def test_a_decline_reroutes_at_once_never_back_and_numbers_every_event_in_turn() -> None:
    history = filed()
    history = recorded(history, routed(history))
    events = commanded(history, Decline(agency_id="pemkab-oku-timur", reason="jalan provinsi"))
    stopped_first, stopped_completion, declined, rerouted = events
    assert stops([stopped_first, stopped_completion]) == [
        (FIRST_FOLLOW_UP, "cancelled"),
        (COMPLETION, "cancelled"),
    ]
    assert isinstance(declined, Complaint.Declined)
    assert isinstance(rerouted, Complaint.Routed)
    assert rerouted.agency_id != "pemkab-oku-timur"
    # The next holder's clocks start with the rerouting: triage's, or an agency's.
    holder_stages = (
        [TRIAGE] if rerouted.agency_id == NATIONAL_TRIAGE else [FIRST_FOLLOW_UP, COMPLETION]
    )
    assert [d.stage for d in rerouted.deadlines] == holder_stages
    # Numbered on from the two events already recorded (filed, routed).
    assert [e.originator_version for e in events] == [3, 4, 5, 6]


def test_each_decline_goes_to_the_next_competent_agency_then_triage_after_max() -> None:
    history = filed(category="pungutan-liar", region="16.08")
    history = recorded(history, routed(history))
    holders = [replay(history).agency_id]
    for _ in range(MAX_DECLINES):
        holder = holders[-1]
        assert holder is not None
        decline = Decline(agency_id=holder, reason="bukan wewenang kami")
        history = recorded(history, commanded(history, decline))
        holders.append(replay(history).agency_id)
    # Kabupaten, then province, then police (the rules' precedence), then a person.
    assert holders == ["pemkab-oku-timur", "pemprov-sumatera-selatan", "polri", NATIONAL_TRIAGE]
    versions = [decode(v).originator_version for v in history]
    assert versions == list(range(1, len(history) + 1))  # one writer: no gap, no repeat


def test_when_every_competent_agency_declined_triage_decides_before_max() -> None:
    history = filed(category="jaminan-kesehatan", region="32.73")
    history = recorded(history, routed(history))
    assert replay(history).agency_id == "bpjs-kesehatan"
    decline = Decline(agency_id="bpjs-kesehatan", reason="bukan wewenang kami")
    *_, declined, to_triage = commanded(history, decline)
    assert isinstance(declined, Complaint.Declined)
    assert isinstance(to_triage, Complaint.Routed) and to_triage.agency_id == NATIONAL_TRIAGE
    assert "declined it (bpjs-kesehatan)" in to_triage.reason
    # A person in triage has their own deadline, never an agency's.
    assert [d.stage for d in to_triage.deadlines] == [TRIAGE]


def test_national_triage_reassigns_but_does_not_decline() -> None:
    history = filed(category="kategori-tak-dikenal")
    history = recorded(history, routed(history))
    assert replay(history).agency_id == NATIONAL_TRIAGE
    with pytest.raises(InvalidTransition, match="does not decline"):
        commanded(history, Decline(agency_id=NATIONAL_TRIAGE, reason="x"))
    stopped, reassigned = commanded(
        history, Reassign(agency_id="kemen-pu", admin="admin-nasional", reason="jalan nasional")
    )
    assert stops([stopped]) == [(TRIAGE, "cancelled")]
    assert isinstance(reassigned, Complaint.Routed) and reassigned.agency_id == "kemen-pu"
    assert [d.stage for d in reassigned.deadlines] == [FIRST_FOLLOW_UP, COMPLETION]


def test_a_command_naming_an_unknown_agency_or_the_wrong_holder_records_nothing() -> None:
    history = filed()
    history = recorded(history, routed(history))
    with pytest.raises(InvalidTransition, match="unknown agency"):
        commanded(history, Reassign(agency_id="nope", admin="national-admin", reason="x"))
    with pytest.raises(NotHolder):
        commanded(history, Decline(agency_id="nope", reason="x"))
    with pytest.raises(NotHolder, match="only the agency that holds"):
        commanded(history, Decline(agency_id="kemen-pu", reason="x"))


def test_a_command_for_a_complaint_never_filed_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="no such complaint"):
        replay([])


def test_the_decision_travels_whole_tembusan_candidates_and_the_hint_verdict() -> None:
    history = filed(category="bantuan-sosial", region="32.73")
    decided, *_ = routed(history)
    assert isinstance(decided, Complaint.Routed)
    assert (decided.agency_id, decided.copies) == ("pemkot-bandung", ("kemensos",))
    assert decided.candidates[0] == "pemkot-bandung"
    assert decided.hint_used is False and decided.hint_reason is None


def test_a_replay_re_decides_each_routing_with_the_versions_it_names() -> None:
    history = filed(category="pungutan-liar", region="16.08")
    history = recorded(history, routed(history))
    decline = Decline(agency_id="pemkab-oku-timur", reason="bukan wewenang kami")
    history = recorded(history, commanded(history, decline))
    known = {(DIRECTORY.version, DIRECTORY.rules_version): DIRECTORY}
    assert reproduce(history, lambda d, r: known.get((d, r))) == []

    # Had other rules been in force under the same version numbers, the replay says so.
    agencies, rules = bundled_documents()
    changed = [r for r in rules["rules"] if r["id"] != "pungutan-liar-daerah"]
    tampered = directory_from(agencies, {**rules, "rules": changed})
    differences = reproduce(history, lambda d, r: tampered)
    assert differences and "recorded pemkab-oku-timur" in differences[0]
    # Versions nobody published cannot vouch for anything.
    assert "not published" in reproduce(history, lambda d, r: None)[0]


def test_filings_decided_at_one_moment_start_their_clocks_then() -> None:
    # A round of the router decides its filings at the moment it began: each was filed before.
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 WIB
    first, second = (
        on_filed(replay(filed(region=region)), DIRECTORY, STANDARD_POLICY, False, monday)[0]
        for region in ("16.08", "16.09")
    )
    assert isinstance(first, Complaint.Routed) and isinstance(second, Complaint.Routed)
    assert first.agency_id != second.agency_id
    assert [(d.stage, d.started_at) for d in first.deadlines] == [
        (FIRST_FOLLOW_UP, monday),
        (COMPLETION, monday),
    ]
    assert first.deadlines == second.deadlines
    assert first.deadlines[0].due_at == working_day_deadline(
        monday, STANDARD_POLICY.first_follow_up_working_days
    )
    later = on_filed(
        replay(filed()), DIRECTORY, STANDARD_POLICY, False, monday + timedelta(days=1)
    )[0]
    assert isinstance(later, Complaint.Routed)
    assert later.deadlines[0].due_at > first.deadlines[0].due_at
