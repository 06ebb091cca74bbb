"""The router's decisions as a complaint's owner: routing, declines, reassignment."""

import uuid
from datetime import UTC, datetime

import pytest

from services.router.lifecycle import MAX_DECLINES, on_command, on_filed, replay, reproduce
from shared.contracts.cloudevents import decode, encode
from shared.contracts.commands import Command, Decline, Reassign
from shared.domain.complaint import Channel, Complaint, InvalidTransition
from shared.domain.deadlines import FIRST_FOLLOW_UP
from shared.domain.routing import (
    NATIONAL_TRIAGE,
    bundled_documents,
    default_directory,
    directory_from,
)

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


def test_a_filing_is_routed_and_its_first_deadline_starts_in_the_same_step() -> None:
    history = filed()
    routed, scheduled = on_filed(replay(history), DIRECTORY)
    assert isinstance(routed, Complaint.Routed) and routed.agency_id == "pemkab-oku-timur"
    assert isinstance(scheduled, Complaint.DeadlineScheduled)
    assert scheduled.stage == FIRST_FOLLOW_UP
    assert [routed.originator_version, scheduled.originator_version] == [2, 3]


def test_a_decline_reroutes_at_once_never_back_and_numbers_every_event_in_turn() -> None:
    history = filed()
    history = recorded(history, on_filed(replay(history), DIRECTORY))
    events = on_command(
        replay(history),
        command(Decline(agency_id="pemkab-oku-timur", reason="jalan provinsi")),
        DIRECTORY,
    )
    declined, rerouted, scheduled = events
    assert isinstance(declined, Complaint.Declined)
    assert isinstance(rerouted, Complaint.Routed)
    assert rerouted.agency_id != "pemkab-oku-timur"
    assert isinstance(scheduled, Complaint.DeadlineScheduled)
    assert [e.originator_version for e in events] == [4, 5, 6]


def test_each_decline_goes_to_the_next_competent_agency_then_triage_after_max() -> None:
    history = filed(category="pungutan-liar", region="16.08")
    history = recorded(history, on_filed(replay(history), DIRECTORY))
    holders = [replay(history).agency_id]
    for _ in range(MAX_DECLINES):
        holder = holders[-1]
        assert holder is not None
        decline = command(Decline(agency_id=holder, reason="bukan wewenang kami"))
        history = recorded(history, on_command(replay(history), decline, DIRECTORY))
        holders.append(replay(history).agency_id)
    # Kabupaten, then province, then police (the rules' precedence), then a person.
    assert holders == ["pemkab-oku-timur", "pemprov-sumatera-selatan", "polri", NATIONAL_TRIAGE]
    versions = [decode(v).originator_version for v in history]
    assert versions == list(range(1, len(history) + 1))  # one writer: no gap, no repeat


def test_when_every_competent_agency_declined_triage_decides_before_max() -> None:
    history = filed(category="jaminan-kesehatan", region="32.73")
    history = recorded(history, on_filed(replay(history), DIRECTORY))
    assert replay(history).agency_id == "bpjs-kesehatan"
    decline = command(Decline(agency_id="bpjs-kesehatan", reason="bukan wewenang kami"))
    _, routed, _ = on_command(replay(history), decline, DIRECTORY)
    assert isinstance(routed, Complaint.Routed) and routed.agency_id == NATIONAL_TRIAGE
    assert "declined it (bpjs-kesehatan)" in routed.reason


def test_national_triage_reassigns_but_does_not_decline() -> None:
    history = filed(category="kategori-tak-dikenal")
    history = recorded(history, on_filed(replay(history), DIRECTORY))
    assert replay(history).agency_id == NATIONAL_TRIAGE
    with pytest.raises(InvalidTransition, match="does not decline"):
        on_command(
            replay(history), command(Decline(agency_id=NATIONAL_TRIAGE, reason="x")), DIRECTORY
        )
    reassigned, scheduled = on_command(
        replay(history),
        command(Reassign(agency_id="kemen-pu", admin="admin-nasional", reason="jalan nasional")),
        DIRECTORY,
    )
    assert isinstance(reassigned, Complaint.Routed) and reassigned.agency_id == "kemen-pu"
    assert isinstance(scheduled, Complaint.DeadlineScheduled)


def test_a_command_naming_an_unknown_agency_or_the_wrong_holder_records_nothing() -> None:
    history = filed()
    history = recorded(history, on_filed(replay(history), DIRECTORY))
    with pytest.raises(InvalidTransition, match="unknown agency"):
        on_command(replay(history), command(Decline(agency_id="nope", reason="x")), DIRECTORY)
    with pytest.raises(InvalidTransition, match="only pemkab-oku-timur"):
        on_command(replay(history), command(Decline(agency_id="kemen-pu", reason="x")), DIRECTORY)


def test_a_command_for_a_complaint_never_filed_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="no such complaint"):
        replay([])


def test_the_decision_travels_whole_tembusan_candidates_and_the_hint_verdict() -> None:
    history = filed(category="bantuan-sosial", region="32.73")
    routed, _ = on_filed(replay(history), DIRECTORY)
    assert isinstance(routed, Complaint.Routed)
    assert (routed.agency_id, routed.copies) == ("pemkot-bandung", ("kemensos",))
    assert routed.candidates[0] == "pemkot-bandung"
    assert routed.hint_used is False and routed.hint_reason is None


def test_a_replay_re_decides_each_routing_with_the_versions_it_names() -> None:
    history = filed(category="pungutan-liar", region="16.08")
    history = recorded(history, on_filed(replay(history), DIRECTORY))
    decline = command(Decline(agency_id="pemkab-oku-timur", reason="bukan wewenang kami"))
    history = recorded(history, on_command(replay(history), decline, DIRECTORY))
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
