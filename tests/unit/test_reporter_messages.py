"""The reporter's letters: the right moments, in their language, with the tracking id and
the status page; an agency's missed deadline names the Ombudsman route where it applies."""

import uuid
from datetime import UTC, datetime

import pytest

from services.notifier.reporter import Report, message
from shared.domain.complaint import Complaint
from shared.domain.routing import default_directory
from tests.support.complaints import routed_on_monday

ID = uuid.uuid4()
NOW = datetime(2026, 3, 27, 17, 0, tzinfo=UTC)
AGENCIES = default_directory().agencies
BASE = "https://pintu.example"
STATUS = f"{BASE}/v1/complaints/K7M2QX9PAR"


def event(cls: type, **fields: object) -> object:
    return cls(originator_id=ID, originator_version=3, timestamp=NOW, **fields)


def letter(e: object, language: str = "id", holder: str | None = "pemkab-oku-timur") -> object:
    report = Report("K7M2QX9PAR", "Jalan berlubang di Martapura", language)
    return message(e, report, holder, AGENCIES, BASE)  # type: ignore[arg-type]


def routed() -> object:
    return event(
        Complaint.Routed,
        agency_id="pemkab-oku-timur",
        rule_id="jalan-daerah@v2",
        reason="rule",
        complaint=None,
        copies=(),
        candidates=(),
        hint_used=False,
        hint_reason=None,
        directory_version=2,
        rules_version=2,
        deadlines=(),
    )


def test_routing_is_told_in_bahasa_by_default_naming_the_agency_and_the_status_page() -> None:
    sent = letter(routed())
    assert sent is not None
    name = AGENCIES["pemkab-oku-timur"].name
    assert sent.subject == f"Laporan K7M2QX9PAR diteruskan ke {name}"  # type: ignore[attr-defined]
    assert STATUS in sent.body  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("language", "words"),
    [("id", "paling lambat 30 November 2026."), ("en", "by November 30, 2026.")],
)
def test_the_reporter_learns_by_when_the_agency_must_follow_up(language: str, words: str) -> None:
    sent = letter(routed_on_monday("K7M2QX9PAR"), language)
    assert sent is not None
    assert words in sent.body  # type: ignore[attr-defined]


def test_an_english_speaking_reporter_reads_english() -> None:
    sent = letter(routed(), language="en")
    assert sent is not None
    assert sent.subject.startswith("Report K7M2QX9PAR forwarded to")  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_follow_up_and_a_question_carry_the_agencys_words(language: str) -> None:
    followed = letter(
        event(Complaint.FollowedUp, agency_id="pemkab-oku-timur", message="Ditambal besok."),
        language,
    )
    asked = letter(
        event(
            Complaint.InformationRequested, agency_id="pemkab-oku-timur", question="Di desa mana?"
        ),
        language,
    )
    assert followed is not None and "Ditambal besok." in followed.body  # type: ignore[attr-defined]
    assert asked is not None and "Di desa mana?" in asked.body  # type: ignore[attr-defined]


def test_a_missed_field_inspection_names_the_ombudsman_a_missed_first_follow_up_does_not() -> None:
    late = letter(
        event(Complaint.DeadlineBreached, stage="completion", due_at=NOW, ombudsman_route=True)
    )
    assert late is not None and "Ombudsman" in late.body  # type: ignore[attr-defined]
    assert "penyelesaian" in late.subject  # type: ignore[attr-defined]
    first = letter(event(Complaint.DeadlineBreached, stage="first_follow_up", due_at=NOW))
    assert first is not None and "Ombudsman" not in first.body  # type: ignore[attr-defined]


def test_internal_steps_are_not_the_reporters_mail() -> None:
    assert letter(event(Complaint.DeadlineBreached, stage="reply_window", due_at=NOW)) is None
    assert letter(event(Complaint.DeadlineStopped, stage="completion", why="met")) is None
    assert letter(event(Complaint.Declined, agency_id="pemkab-oku-timur", reason="x")) is None
