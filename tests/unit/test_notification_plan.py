"""Who hears of an event, on which channel, in which language: each agency at its own
endpoint from the directory (else the default), its liaison office by e-mail, the national
admin at its configured address, the reporter by e-mail or else SMS; and nothing of the
reporter ever reaches an agency."""

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notifier.agency import notifications
from services.notifier.outbox import Delivery
from services.notifier.plan import Endpoints, for_agency, for_reporter, letter_of
from services.notifier.reporter import text_message
from services.notifier.reports import Known
from shared.domain.complaint import NATIONAL_TRIAGE, Complaint
from shared.domain.identity import ReporterIdentity, SealedIdentity
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory, with_liaisons

ID = uuid.uuid4()
NOW = datetime(2026, 3, 27, 17, 0, tzinfo=UTC)
OKU_TIMUR = "pemkab-oku-timur"
ENDPOINTS = Endpoints(
    webhook_url="https://hooks.pintu.example/default",
    smtp="smtp://relay:587",
    sms_gateway="https://sms.example/send",
    national_admin_email="triase@kemenpan.example",
    base_url="https://pintu.example",
)
DIRECTORY = with_liaisons(
    default_directory(),
    {
        "liaisons": {
            OKU_TIMUR: {
                "unit": "Dinas Komunikasi dan Informatika",
                "email": "pengaduan@okutimurkab.example",
                "webhook_url": "https://lapor.okutimurkab.example/pintu",
            },
            "kemenlu": {"email": "pengaduan@kemlu.example", "language": "en"},
        }
    },
)
SEALED = SealedIdentity(key_id="k", nonce="n", ciphertext="c")
SITI = ReporterIdentity(name="Siti Aminah", email="siti@example.id", phone="+6281234567890")
KNOWN = Known("K7M2QX9PAR", "Lampu jalan padam di Martapura", OKU_TIMUR, SEALED)


def event(cls: type, **fields: object) -> DomainEvent:
    return cls(originator_id=ID, originator_version=3, timestamp=NOW, **fields)  # type: ignore[no-any-return]


def routed(agency_id: str = OKU_TIMUR, copies: tuple[str, ...] = ()) -> DomainEvent:
    return event(
        Complaint.Routed,
        agency_id=agency_id,
        rule_id="r@v1",
        reason="rule",
        complaint=None,
        copies=copies,
        candidates=(),
        hint_used=False,
        hint_reason=None,
        directory_version=1,
        rules_version=1,
        deadlines=(),
    )


def agency_deliveries(e: DomainEvent, holder: str | None = OKU_TIMUR) -> list[Delivery]:
    return [
        d
        for n in notifications(e, holder)
        for d in for_agency(n, e, "event-1", KNOWN.tracking_id, DIRECTORY, ENDPOINTS)
    ]


def test_an_agency_hears_at_its_own_endpoint_and_its_liaison_office_in_bahasa() -> None:
    webhook, mail = agency_deliveries(routed())
    assert (webhook.channel, webhook.recipient) == ("webhook", OKU_TIMUR)
    assert webhook.address == "https://lapor.okutimurkab.example/pintu"
    assert webhook.endpoint == "webhook https://lapor.okutimurkab.example/pintu"
    sent = json.loads(webhook.payload)
    assert sent["tracking_id"] == "K7M2QX9PAR" and sent["kind"] == "complaint.routed"
    assert (mail.channel, mail.address, mail.endpoint) == (
        "email",
        "pengaduan@okutimurkab.example",
        "smtp://relay:587",
    )
    subject, body = letter_of(mail.payload)
    assert subject == "[Pintu] Laporan baru K7M2QX9PAR"
    assert "didisposisikan ke instansi Anda" in body
    assert f"https://pintu.example/v1/agencies/{OKU_TIMUR}/inbox" in body


def test_each_tembusan_agency_hears_of_its_copy_and_who_must_act() -> None:
    webhook, mail, copy_webhook, copy_mail = agency_deliveries(
        routed("kemenlu", copies=(OKU_TIMUR, "kemenlu"))  # the holder is not its own copy
    )
    assert [(d.recipient, d.kind) for d in (webhook, mail)] == [("kemenlu", "complaint.routed")] * 2
    assert [(d.recipient, d.kind) for d in (copy_webhook, copy_mail)] == [
        (OKU_TIMUR, "complaint.copied")
    ] * 2
    sent = json.loads(copy_webhook.payload)
    assert (sent["agency_id"], sent["holder"], sent["rule"]) == (OKU_TIMUR, "kemenlu", "r@v1")
    assert "deadlines" not in sent  # the holder's to meet, not the copy's
    subject, body = letter_of(copy_mail.payload)
    assert subject == "[Pintu] Tembusan laporan K7M2QX9PAR"
    assert "tembusan laporan K7M2QX9PAR untuk diketahui" in body
    assert letter_of(mail.payload)[0] == "[Pintu] New report K7M2QX9PAR"  # kemenlu reads English


def test_an_agency_without_its_own_endpoint_gets_the_default_and_no_mail_without_a_liaison() -> (
    None
):
    (webhook,) = agency_deliveries(routed("pemkab-lahat"))
    assert webhook.address == ENDPOINTS.webhook_url


def test_a_liaison_that_reads_english_gets_english() -> None:
    breached = event(Complaint.DeadlineBreached, stage="completion", due_at=NOW)
    _, mail = agency_deliveries(breached, holder="kemenlu")
    subject, body = letter_of(mail.payload)
    assert subject == "[Pintu] Report K7M2QX9PAR: completion overdue"
    assert "The deadline for completion of report K7M2QX9PAR has passed." in body


@pytest.mark.parametrize(
    ("e", "subject"),
    [
        (
            event(Complaint.DeadlineWarned, stage="first_follow_up", due_at=NOW),
            "[Pintu] Batas tindak lanjut pertama laporan K7M2QX9PAR segera tiba",
        ),
        (
            event(Complaint.DeadlineBreached, stage="first_follow_up", due_at=NOW),
            "[Pintu] Batas tindak lanjut pertama laporan K7M2QX9PAR terlewati",
        ),
        (
            event(Complaint.ReporterReplied, message="Di desa Terukis", resumed_status=None),
            "[Pintu] Pelapor menanggapi laporan K7M2QX9PAR",
        ),
        (
            event(Complaint.Reopened, reason="Belum diperbaiki"),
            "[Pintu] Laporan K7M2QX9PAR dibuka kembali",
        ),
    ],
)
def test_every_kind_the_holder_hears_has_its_own_subject(e: DomainEvent, subject: str) -> None:
    _, mail = agency_deliveries(e)
    assert letter_of(mail.payload)[0] == subject


def test_the_national_admin_hears_of_the_triage_queue_and_of_escalations_at_its_address() -> None:
    webhook, mail = agency_deliveries(routed(NATIONAL_TRIAGE))
    assert webhook.recipient == NATIONAL_TRIAGE and webhook.address == ENDPOINTS.webhook_url
    assert mail.address == "triase@kemenpan.example"
    subject, body = letter_of(mail.payload)
    assert subject == "[Pintu] Laporan baru K7M2QX9PAR"
    assert "antrean triase nasional" in body
    escalated = event(
        Complaint.Escalated, stage="escalation", to_agency_id=NATIONAL_TRIAGE, level=2
    )
    _, mail = agency_deliveries(escalated)
    subject, body = letter_of(mail.payload)
    assert subject == "[Pintu] Eskalasi laporan K7M2QX9PAR"
    assert "tanggapan atasan" in body


def test_nothing_of_the_reporter_nor_the_reports_words_reaches_an_agency() -> None:
    for e in (
        routed(),
        event(Complaint.ReporterReplied, message="Saya Siti, 0812-3456-7890", resumed_status=None),
    ):
        for d in agency_deliveries(e):
            text = d.payload.decode()
            for secret in ("Siti", "siti@example.id", "0812", "+62812", "Lampu jalan", "Martapura"):
                assert secret not in text, (d.channel, secret)
            assert d.sealed_to is None


def test_the_reporter_hears_by_e_mail_with_their_identity_sealed() -> None:
    (mail,) = for_reporter(routed(), "event-1", KNOWN, SITI, DIRECTORY, ENDPOINTS)
    assert (mail.recipient, mail.channel, mail.address) == ("reporter", "email", None)
    assert mail.sealed_to == SEALED.model_dump_json()
    assert "siti@example.id" not in mail.payload.decode()
    subject, _ = letter_of(mail.payload)
    assert subject.startswith("Laporan K7M2QX9PAR diteruskan ke")


def test_a_reporter_with_only_a_phone_gets_a_short_text_in_their_language() -> None:
    phone_only = ReporterIdentity(phone="+6281234567890", language="en")
    (sms,) = for_reporter(routed(), "event-1", KNOWN, phone_only, DIRECTORY, ENDPOINTS)
    assert (sms.channel, sms.endpoint) == ("sms", "sms https://sms.example/send")
    text = sms.payload.decode()
    assert text.startswith("Pintu: report K7M2QX9PAR forwarded to Pemerintah Kabupaten")
    assert "https://pintu.example/v1/complaints/K7M2QX9PAR" in text
    assert "Lampu" not in text  # never the title
    no_gateway = replace(ENDPOINTS, sms_gateway=None)
    assert for_reporter(routed(), "event-1", KNOWN, phone_only, DIRECTORY, no_gateway) == []


def test_every_reporter_kind_has_a_text_within_two_sms_segments() -> None:
    from services.notifier.reporter import Report

    kinds = [
        event(
            Complaint.Filed,
            tracking_id="K7M2QX9PAR",
            report_type="pengaduan",
            title="t",
            description="d",
            category="c",
            region_code="16.08",
            channel="web",
            address=None,
            latitude=None,
            longitude=None,
            attachments=(),
            reporter=None,
            reporter_token_hash=None,
            originator_topic="shared.domain.complaint:Complaint",
        ),
        routed(),
        event(Complaint.FollowedUp, agency_id=OKU_TIMUR, message="m"),
        event(Complaint.InformationRequested, agency_id=OKU_TIMUR, question="q"),
        event(Complaint.Resolved, agency_id=OKU_TIMUR, message="m"),
        event(Complaint.AutoClosed),
        event(Complaint.DeadlineBreached, stage="completion", due_at=NOW, ombudsman_route=True),
    ]
    for language in ("id", "en"):
        report = Report("K7M2QX9PAR", "t", language)
        for e in kinds:
            text = text_message(e, report, OKU_TIMUR, DIRECTORY.agencies, ENDPOINTS.base_url)
            assert text is not None and "K7M2QX9PAR" in text, (language, e)
            assert len(text) <= 306, (language, e, len(text))


def test_a_forgotten_or_anonymous_reporter_hears_nothing() -> None:
    assert for_reporter(routed(), "event-1", KNOWN, None, DIRECTORY, ENDPOINTS) == []
    silent = ReporterIdentity(name="Tanpa Kontak")
    assert for_reporter(routed(), "event-1", KNOWN, silent, DIRECTORY, ENDPOINTS) == []


def test_the_deployments_liaisons_are_checked_against_the_directory() -> None:
    with pytest.raises(ValueError, match="no agency"):
        with_liaisons(default_directory(), {"liaisons": {"pemkab-atlantis": {}}})
    with pytest.raises(ValueError, match="unknown fields"):
        with_liaisons(default_directory(), {"liaisons": {OKU_TIMUR: {"secret": "x"}}})
    with pytest.raises(ValueError, match="http"):
        with_liaisons(default_directory(), {"liaisons": {OKU_TIMUR: {"webhook_url": "ftp://x"}}})


def test_a_liaisons_file_that_does_not_fit_stops_the_notifier_naming_it(tmp_path: Path) -> None:
    from services.notifier.app import liaisons_of
    from shared.config import Settings

    good = tmp_path / "liaisons.json"
    good.write_text(json.dumps({"liaisons": {OKU_TIMUR: {"webhook_url": "https://oku.example"}}}))
    directory = liaisons_of(Settings(liaisons_file=good))(default_directory())
    assert directory.agencies[OKU_TIMUR].liaison.webhook_url == "https://oku.example"
    bad = tmp_path / "typo.json"
    bad.write_text(json.dumps({"liaisons": {"pemkab-oku-timor": {}}}))
    with pytest.raises(ValueError, match=r"typo\.json.*pemkab-oku-timor"):
        liaisons_of(Settings(liaisons_file=bad))
