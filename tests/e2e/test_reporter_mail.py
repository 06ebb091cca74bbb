"""The reporter hears by e-mail, through a real SMTP server, in their language, once."""

import time
import uuid
from email.message import EmailMessage

import httpx

from tests.support.platform import Platform
from tests.support.receivers import MailReceiver

STREETLIGHT = {
    "title": "Lampu jalan padam di Martapura",
    "description": "Lampu penerangan jalan di depan pasar padam sejak sebulan lalu.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
}


def subject(mail: EmailMessage) -> str:
    """As a mail client shows it: a long subject is folded on the wire."""
    return " ".join(str(mail["Subject"]).split())


def file(platform: Platform, reporter: dict[str, str]) -> str:
    answer = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={**STREETLIGHT, "reporter": reporter},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["tracking_id"])


def test_the_reporter_is_told_of_receipt_and_routing_in_their_language_once_each(
    platform: Platform, reporters_mailbox: MailReceiver
) -> None:
    address = f"siti.{uuid.uuid4().hex[:8]}@example.id"
    tracking_id = file(platform, {"name": "Siti Aminah", "email": address, "language": "en"})

    def to_me(subject_start: str) -> int:
        return sum(
            m["To"] == address and subject(m).startswith(subject_start)
            for m in reporters_mailbox.messages
        )

    received = reporters_mailbox.wait_for(
        lambda m: m["To"] == address and tracking_id in subject(m)
    )
    assert subject(received) == f"We received your report {tracking_id}"
    assert f"/v1/complaints/{tracking_id}" in received.get_content()
    routed = reporters_mailbox.wait_for(
        lambda m: m["To"] == address and "forwarded to" in subject(m)
    )
    agency = "Pemerintah Kabupaten Ogan Komering Ulu Timur"  # the directory's name for it
    assert subject(routed) == f"Report {tracking_id} forwarded to {agency}"
    time.sleep(2)  # a redelivery would have arrived by now
    assert to_me("We received your report") == 1
    assert to_me(f"Report {tracking_id} forwarded to") == 1


def test_bahasa_by_default_and_no_mail_without_an_address(
    platform: Platform, reporters_mailbox: MailReceiver
) -> None:
    address = f"budi.{uuid.uuid4().hex[:8]}@example.id"
    tracking_id = file(platform, {"email": address})
    received = reporters_mailbox.wait_for(lambda m: m["To"] == address)
    assert subject(received) == f"Laporan {tracking_id} telah kami terima"

    silent = file(platform, {"name": "Tanpa Surel", "phone": "0812-3456-7890"})
    reporters_mailbox.wait_for(lambda m: m["To"] == address and "diteruskan" in subject(m))
    time.sleep(2)
    assert not any(silent in subject(m) for m in reporters_mailbox.messages)
