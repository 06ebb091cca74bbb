"""Who hears of what: the holder of its deadlines and the reporter's word, the agency a
breach escalates to of the escalation."""

import json
import uuid
from datetime import UTC, datetime

from services.notifier.agency import body, letter, new_holder, notifications
from shared.domain.complaint import Complaint
from shared.domain.deadlines import Tier
from tests.support.complaints import routed_on_monday

ID = uuid.uuid4()
NOW = datetime(2026, 3, 27, 17, 0, tzinfo=UTC)


def event(cls: type, **fields: object) -> object:
    return cls(originator_id=ID, originator_version=5, timestamp=NOW, **fields)


def kinds(e: object, holder: str | None) -> list[tuple[str, str]]:
    return [(n.agency_id, n.kind) for n in notifications(e, holder)]  # type: ignore[arg-type]


def test_the_holder_hears_of_its_deadlines_and_of_the_reporter() -> None:
    holder = "pemkab-oku-timur"
    warned = event(Complaint.DeadlineWarned, stage="first_follow_up", due_at=NOW)
    breached = event(Complaint.DeadlineBreached, stage="first_follow_up", due_at=NOW)
    assert kinds(warned, holder) == [(holder, "deadline.warning")]
    assert kinds(breached, holder) == [(holder, "deadline.breached")]
    replied = event(Complaint.ReporterReplied, message="Desa Terukis", resumed_status=None)
    assert kinds(replied, holder) == [(holder, "reporter.replied")]
    assert kinds(event(Complaint.Reopened, reason="Belum beres"), holder) == [
        (holder, "complaint.reopened")
    ]
    (note,) = notifications(warned, holder)  # type: ignore[arg-type]
    assert "tindak lanjut pertama" in note.message  # the stage in the desk's words


def test_an_escalation_reaches_the_agency_it_goes_to_not_the_holder() -> None:
    escalated = event(
        Complaint.Escalated,
        stage="first_follow_up",
        to_agency_id="pemprov-sumatera-selatan",
        level=1,
    )
    assert kinds(escalated, "pemkab-oku-timur") == [
        ("pemprov-sumatera-selatan", "complaint.escalated")
    ]


def test_nobody_hears_of_what_is_nobodys_business() -> None:
    acknowledged = event(Complaint.Acknowledged, agency_id="pemkab-oku-timur", tier=Tier.SIMPLE)
    assert kinds(acknowledged, "pemkab-oku-timur") == []  # the agency did it itself
    breached = event(Complaint.DeadlineBreached, stage="verification", due_at=NOW)
    assert kinds(breached, None) == []  # not yet with any agency


def test_the_holder_changes_with_routing_and_declines() -> None:
    declined = event(Complaint.Declined, agency_id="pemkab-oku-timur", reason="bukan kami")
    assert new_holder(declined) is None  # type: ignore[arg-type]


def test_the_webhook_body_names_the_event_the_kind_and_the_stage() -> None:
    breached = event(Complaint.DeadlineBreached, stage="completion", due_at=NOW)
    (note,) = notifications(breached, "kemen-pu")  # type: ignore[arg-type]
    sent = json.loads(body(note, breached, "event-1", "LPR-7KQ2", "http://pintu"))  # type: ignore[arg-type]
    assert sent == {
        "event_id": "event-1",
        "kind": "deadline.breached",
        "complaint_id": str(ID),
        "tracking_id": "LPR-7KQ2",
        "agency_id": "kemen-pu",
        "message": "Batas penyelesaian terlewati.",
        "link": "http://pintu/v1/agencies/kemen-pu/inbox",
        "stage": "completion",
    }


def test_a_routing_webhook_says_by_when_the_agency_must_act() -> None:
    routed = routed_on_monday("LPR-7KQ3")
    (note,) = notifications(routed, None)
    sent = json.loads(body(note, routed, "event-2", "LPR-7KQ3", "http://pintu"))
    assert (sent["kind"], sent["rule"]) == ("complaint.routed", "jalan-daerah@v2")
    assert sent["deadlines"] == {
        "first_follow_up": "2026-11-30T23:59:59+07:00",
        "completion": "2026-12-11T23:59:59+07:00",
    }


def test_the_liaison_letter_of_a_routing_says_by_when_in_its_language() -> None:
    routed = routed_on_monday("LPR-7KQ4")
    (note,) = notifications(routed, None)
    _, indonesian = letter(note, routed, "LPR-7KQ4", "Pemkab OKU Timur", "id", "http://pintu")
    assert (
        "Batas tindak lanjut pertama: 30 November 2026. Batas penyelesaian: 11 Desember 2026."
        in indonesian
    )
    _, english = letter(note, routed, "LPR-7KQ4", "OKU Timur", "en", "http://pintu")
    assert (
        "First follow-up due by November 30, 2026. Completion due by December 11, 2026." in english
    )
