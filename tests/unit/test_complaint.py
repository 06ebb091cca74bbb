from datetime import datetime

import pytest

from shared.domain.calendar import CALENDAR_VERSION, WIB, working_day_deadline
from shared.domain.complaint import (
    Channel,
    Complaint,
    InvalidTransition,
    NotHolder,
    ReportType,
    Status,
    complaint_id_for,
)
from shared.domain.deadlines import COMPLETION, FIRST_FOLLOW_UP


def filed() -> Complaint:
    return Complaint(
        tracking_id="K7MQ2XR9TP",
        report_type=ReportType.COMPLAINT,
        title="Jalan rusak",
        description="Jalan kabupaten berlubang",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.WEB,
    )


def test_a_filed_complaint_is_unverified_and_its_id_follows_its_tracking_id() -> None:
    complaint = filed()
    assert complaint.status is Status.UNVERIFIED
    assert complaint.id == complaint_id_for("K7MQ2XR9TP")
    assert complaint.id != complaint_id_for("K7MQ2XR9TQ")


def test_routing_disposes_the_complaint_to_the_agency() -> None:
    complaint = filed()
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    assert complaint.status is Status.DISPOSED_NOT_FOLLOWED_UP
    assert complaint.agency_id == "pemkab-oku-timur"


def test_a_routed_complaint_cannot_be_routed_again_and_nothing_is_recorded() -> None:
    complaint = filed()
    complaint.route("kemen-pu", "jalan-nasional@v1", "rule")
    before = [type(e) for e in complaint.new_events()]
    with pytest.raises(InvalidTransition, match="cannot be routed"):
        complaint.route("kemenkes", "x", "y")
    assert complaint.new_events() == []
    assert before == [Complaint.Filed, Complaint.Routed]  # its clocks in the routing
    assert complaint.agency_id == "kemen-pu"
    assert set(complaint.deadlines) == {FIRST_FOLLOW_UP, COMPLETION}


def test_routing_schedules_the_first_follow_up_and_the_completion_once_each() -> None:
    complaint = filed()
    routed_at = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule", at=routed_at)
    _, routed = complaint.new_events()
    assert isinstance(routed, Complaint.Routed)
    scheduled = routed.deadlines  # the routing's own clocks: no DeadlineScheduled after it
    # A complaint (not an information request): 5 working days, then 14 to complete.
    assert [(e.stage, e.due_at) for e in scheduled] == [
        (FIRST_FOLLOW_UP, working_day_deadline(routed_at, 5)),
        (COMPLETION, working_day_deadline(routed_at, 14)),
    ]
    assert all(
        (e.started_at, e.in_working_days, e.calendar) == (routed_at, True, CALENDAR_VERSION)
        for e in scheduled
    )
    assert {stage: d.due_at for stage, d in complaint.deadlines.items()} == {
        e.stage: e.due_at for e in scheduled
    }


def test_replaying_the_events_rebuilds_the_same_complaint() -> None:
    complaint = filed()
    complaint.route("kemen-pu", "jalan-nasional@v1", "rule")
    events = complaint.new_events()
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, Complaint)
    assert (rebuilt.id, rebuilt.version, rebuilt.status, rebuilt.agency_id) == (
        complaint.id,
        complaint.version,
        complaint.status,
        complaint.agency_id,
    )


def test_the_routed_event_carries_the_complaint_as_the_agency_sees_it_never_the_reporter() -> None:
    complaint = filed()
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    (routed,) = [e for e in complaint.new_events() if isinstance(e, Complaint.Routed)]
    assert routed.complaint is not None
    assert routed.complaint.title == "Jalan rusak"
    assert "reporter" not in routed.complaint.model_dump()
    assert "reporter_token_hash" not in routed.complaint.model_dump()


def test_bukan_wewenang_returns_the_complaint_to_routing_and_never_to_that_agency() -> None:
    complaint = filed()
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    complaint.new_events()
    complaint.decline("pemkab-oku-timur", "  Jalan ini jalan provinsi.  ")
    assert complaint.status is Status.UNVERIFIED
    assert complaint.agency_id is None
    assert complaint.declined_by == ("pemkab-oku-timur",)
    assert complaint.deadlines == {}
    (*stopped, declined) = complaint.new_events()
    assert [(type(e), e.stage, e.why) for e in stopped] == [
        (Complaint.DeadlineStopped, FIRST_FOLLOW_UP, "cancelled"),
        (Complaint.DeadlineStopped, COMPLETION, "cancelled"),
    ]
    assert isinstance(declined, Complaint.Declined)
    assert declined.reason == "Jalan ini jalan provinsi."

    with pytest.raises(InvalidTransition, match="already declined"):
        complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    complaint.route("pemprov-sumatera-selatan", "jalan-provinsi@v1", "rule")
    assert complaint.agency_id == "pemprov-sumatera-selatan"


def test_only_the_agency_holding_it_may_decline_with_a_reason_and_nothing_else_is_recorded() -> (
    None
):
    complaint = filed()
    with pytest.raises(NotHolder):  # nobody holds it before it is routed
        complaint.decline("pemkab-oku-timur", "bukan wewenang")
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    complaint.new_events()
    with pytest.raises(NotHolder, match="only the agency that holds"):
        complaint.decline("kemen-pu", "bukan wewenang")
    with pytest.raises(InvalidTransition, match="needs the reason"):
        complaint.decline("pemkab-oku-timur", "   ")
    assert complaint.new_events() == []
    assert complaint.agency_id == "pemkab-oku-timur"


def test_the_national_admin_reassigns_by_hand_even_to_an_agency_that_declined() -> None:
    complaint = filed()
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    complaint.decline("pemkab-oku-timur", "Jalan provinsi")
    complaint.route("pemprov-sumatera-selatan", "jalan-provinsi@v1", "rule")
    complaint.new_events()
    reassigned_at = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
    complaint.reassign(
        "pemkab-oku-timur", "admin-nasional", "status jalan sudah dicek", at=reassigned_at
    )
    *stopped, reassigned = complaint.new_events()
    # The previous holder's clocks stop; the new holder's start from the reassignment.
    assert [(type(e), e.stage, e.why) for e in stopped] == [
        (Complaint.DeadlineStopped, FIRST_FOLLOW_UP, "cancelled"),
        (Complaint.DeadlineStopped, COMPLETION, "cancelled"),
    ]
    assert isinstance(reassigned, Complaint.Routed)
    first_follow_up, completion = reassigned.deadlines
    assert (first_follow_up.stage, first_follow_up.due_at) == (
        FIRST_FOLLOW_UP,
        working_day_deadline(reassigned_at, 5),
    )
    assert (completion.stage, completion.due_at) == (
        COMPLETION,
        working_day_deadline(reassigned_at, 14),
    )
    assert isinstance(reassigned, Complaint.Routed)
    assert reassigned.rule_id == "manual"
    assert reassigned.reason == "reassigned by admin-nasional: status jalan sudah dicek"
    assert complaint.agency_id == "pemkab-oku-timur"
    with pytest.raises(InvalidTransition, match="already with"):
        complaint.reassign("pemkab-oku-timur", "admin-nasional", "lagi")


def test_replaying_a_history_with_transfers_rebuilds_who_declined() -> None:
    complaint = filed()
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    complaint.decline("pemkab-oku-timur", "Jalan provinsi")
    complaint.route("pemprov-sumatera-selatan", "jalan-provinsi@v1", "rule")
    events = complaint.new_events()
    assert [type(e) for e in events] == [
        Complaint.Filed,
        Complaint.Routed,
        Complaint.DeadlineStopped,
        Complaint.DeadlineStopped,
        Complaint.Declined,
        Complaint.Routed,
    ]
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, Complaint)
    assert rebuilt.declined_by == ("pemkab-oku-timur",)
    assert (rebuilt.version, rebuilt.agency_id) == (6, "pemprov-sumatera-selatan")
    assert rebuilt.deadlines == complaint.deadlines
