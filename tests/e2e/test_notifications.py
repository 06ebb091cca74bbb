"""The notifier as a real process, on a broker of its own, against real receivers: an
aiosmtpd relay, agency endpoints and an SMS gateway over HTTP, and PostgreSQL.

Events go onto complaints.events as the router writes them, so each kind, language and
channel is exercised on purpose; the notifier cannot tell them from the router's.
"""

import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from dev.broker import free_port
from shared.adapters.kafka import topics
from shared.adapters.kafka.consumers import consumer as new_consumer
from shared.adapters.kafka.topics import provision
from shared.adapters.sql.database import open_database
from shared.adapters.sql.reporter_keys import KeyStore, seal
from shared.contracts.cloudevents import encode
from shared.domain.complaint import NATIONAL_TRIAGE, Complaint
from shared.domain.identity import ReporterIdentity
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory
from tests.support.brokers import connection, local_broker
from tests.support.databases import fresh_database
from tests.support.platform import Platform, spawn, stop, wait_until_ready
from tests.support.receivers import (
    MailReceiver,
    Received,
    WebhookReceiver,
    mail_receiver,
    webhook_receiver,
)
from tests.support.topics import partition_ids, read_all

OKU_TIMUR = "pemkab-oku-timur"  # its own endpoint and secret, a liaison office in Bahasa
LAHAT = "pemkab-lahat"  # its own endpoint, a liaison office that reads English
MUARA_ENIM = "pemkab-muara-enim"  # its own endpoint, which hangs, then comes back
SUMSEL = "pemprov-sumatera-selatan"  # no endpoint of its own: the default one
OKU_SECRET = "oku-timur-own-secret"
DEFAULT_SECRET = "platform-default-secret"
SMS_TOKEN = "gateway-token"
ADMIN_DESK = "triase@kemenpan.example"
OKU_DESK = "pengaduan@okutimurkab.example"
LAHAT_DESK = "complaints@lahatkab.example"


@dataclass
class Notified:
    bootstrap: str
    database: str
    platform: Platform
    mail: MailReceiver
    oku: WebhookReceiver
    lahat: WebhookReceiver
    default: WebhookReceiver
    sms: WebhookReceiver
    muara_enim_port: int
    base_url: str = "http://pintu.test"
    keys: KeyStore = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyStore(open_database(self.database))

    def publish(self, *events: DomainEvent) -> None:
        asyncio.run(_publish(self.bootstrap, events, self.base_url))

    def settle(self, seconds: float = 3.0) -> None:
        """Long enough for a repeat, had there been one, to arrive."""
        time.sleep(seconds)


async def _publish(bootstrap: str, events: tuple[DomainEvent, ...], base_url: str) -> None:
    producer = AIOKafkaProducer(**connection(bootstrap).client_kwargs(), acks="all")
    await producer.start()
    try:
        for event in events:
            key, value = encode(event, "pintu/test", base_url)
            await producer.send_and_wait(topics.EVENTS, value, key=key)
    finally:
        await producer.stop()


@contextmanager
def hanging_endpoint(port: int) -> Iterator[None]:
    """Takes connections and never answers: a slow, then dead, endpoint."""
    listener = socket.create_server(("127.0.0.1", port), backlog=64)
    try:
        yield
    finally:
        listener.close()


@pytest.fixture(scope="module")
def notified(tmp_path_factory: pytest.TempPathFactory, postgres: str) -> Iterator[Notified]:
    home = tmp_path_factory.mktemp("notifier")
    with (
        local_broker(home / "kafka") as broker,
        mail_receiver() as mail,
        webhook_receiver() as oku,
        webhook_receiver() as lahat,
        webhook_receiver() as default,
        webhook_receiver() as sms,
    ):
        bootstrap = broker.bootstrap_servers
        asyncio.run(provision(connection(bootstrap), default_directory().agencies))
        muara_enim_port = free_port()
        liaisons = home / "liaisons.json"
        liaisons.write_text(
            json.dumps(
                {
                    "liaisons": {
                        OKU_TIMUR: {"email": OKU_DESK, "webhook_url": oku.url},
                        LAHAT: {"email": LAHAT_DESK, "webhook_url": lahat.url, "language": "en"},
                        MUARA_ENIM: {"webhook_url": f"http://127.0.0.1:{muara_enim_port}/hook"},
                    }
                }
            )
        )
        database = fresh_database(postgres)
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": database,
            "PINTU_DATA_DIR": str(home / "data"),
            "PINTU_NOTIFIER_PORT": str(port),
            "PINTU_PUBLIC_BASE_URL": "http://pintu.test",
            "PINTU_WEBHOOK_URL": default.url,
            "PINTU_WEBHOOK_SECRET": DEFAULT_SECRET,
            "PINTU_WEBHOOK_SECRETS": json.dumps({OKU_TIMUR: OKU_SECRET}),
            "PINTU_LIAISONS_FILE": str(liaisons),
            "PINTU_SMTP_PORT": str(mail.port),
            "PINTU_SMS_GATEWAY_URL": sms.url,
            "PINTU_SMS_GATEWAY_TOKEN": SMS_TOKEN,
            "PINTU_NATIONAL_ADMIN_EMAIL": ADMIN_DESK,
            "PINTU_DELIVERY__TRIES": "5",
            "PINTU_DELIVERY__FIRST_BACKOFF_SECONDS": "0.2",
            "PINTU_DELIVERY__MAX_BACKOFF_SECONDS": "1",
            "PINTU_DELIVERY__TIMEOUT_SECONDS": "2",
            "PINTU_DELIVERY__BREAKER_FAILURES": "3",
            "PINTU_DELIVERY__BREAKER_OPEN_SECONDS": "1",
        }
        logs = home / "logs"
        logs.mkdir()
        process = spawn("notifier", env, logs)
        platform = Platform(env, {"notifier": port}, logs, {"notifier": process})
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/readyz", process, logs / "notifier.log")
            yield Notified(
                bootstrap, database, platform, mail, oku, lahat, default, sms, muara_enim_port
            )
        finally:
            stop(platform.processes["notifier"])


class Story:
    """One complaint's events, numbered as the log numbers them."""

    def __init__(self, notified: Notified, reporter: ReporterIdentity | None, **filed: Any):
        self.id = uuid.uuid4()
        self.tracking_id = f"T{uuid.uuid4().hex[:9].upper()}"
        self.version = 0
        sealed = seal(reporter, notified.keys) if reporter else None
        self.filed = self.next(
            Complaint.Filed,
            originator_topic="shared.domain.complaint:Complaint",
            tracking_id=self.tracking_id,
            report_type="pengaduan",
            title="Lampu jalan padam di Martapura",
            description="Sejak sebulan lalu.",
            category="jalan-daerah",
            region_code="16.08",
            channel="web",
            address=None,
            latitude=None,
            longitude=None,
            attachments=(),
            reporter=sealed,
            reporter_token_hash=None,
            **filed,
        )

    def next(self, cls: type, **fields: Any) -> DomainEvent:
        self.version += 1
        event: DomainEvent = cls(
            originator_id=self.id,
            originator_version=self.version,
            timestamp=datetime.now(UTC),
            **fields,
        )
        return event

    def routed(self, agency_id: str) -> DomainEvent:
        return self.next(
            Complaint.Routed,
            agency_id=agency_id,
            rule_id="jalan-daerah@v1",
            reason="rule",
            complaint=None,
            copies=(),
            candidates=(),
            hint_used=False,
            hint_reason=None,
            directory_version=1,
            rules_version=1,
            deadlines=(),
        )


def documented_verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """docs/contract.md's procedure, as an agency would write it."""
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("v1=" + expected.hexdigest(), signature)


def hooks(receiver: WebhookReceiver, complaint: Story) -> list[dict[str, Any]]:
    return [
        json.loads(r.body)
        for r in list(receiver.requests)
        if json.loads(r.body)["complaint_id"] == str(complaint.id)
    ]


def wait_until(check: Callable[[], bool], timeout: float = 45, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.2)


def subject(mail: EmailMessage) -> str:
    return " ".join(str(mail["Subject"]).split())


def mails(notified: Notified, to: str, tracking_id: str) -> list[EmailMessage]:
    return [m for m in list(notified.mail.messages) if m["To"] == to and tracking_id in subject(m)]


def test_each_notification_kind_reaches_its_people_in_their_language(
    notified: Notified,
) -> None:
    siti = f"siti.{uuid.uuid4().hex[:6]}@example.id"
    story = Story(notified, ReporterIdentity(name="Siti Aminah", email=siti, language="en"))
    stage = {"stage": "first_follow_up", "due_at": datetime.now(UTC)}
    notified.publish(
        story.filed,
        story.routed(OKU_TIMUR),
        story.next(Complaint.DeadlineWarned, **stage),
        story.next(Complaint.DeadlineBreached, **stage),
        story.next(Complaint.Escalated, stage="first_follow_up", to_agency_id=SUMSEL, level=1),
        story.next(Complaint.FollowedUp, agency_id=OKU_TIMUR, message="Ditambal besok pagi."),
        story.next(Complaint.InformationRequested, agency_id=OKU_TIMUR, question="Desa mana?"),
        story.next(Complaint.ReporterReplied, message="Desa Terukis.", resumed_status=None),
        story.next(Complaint.Resolved, agency_id=OKU_TIMUR, message="Sudah ditambal."),
        story.next(Complaint.Reopened, reason="Berlubang lagi."),
        story.next(Complaint.AutoClosed),
    )
    tid = story.tracking_id
    oku_name = default_directory().agencies[OKU_TIMUR].name
    reporter_subjects = [
        f"We received your report {tid}",
        f"Report {tid} forwarded to {oku_name}",
        f"Report {tid}: first follow-up overdue",
        f"Follow-up on report {tid}",
        f"{oku_name} needs information on report {tid}",
        f"Report {tid} completed",
        f"Report {tid} closed",
    ]
    agency_kinds = [
        "complaint.routed",
        "deadline.warning",
        "deadline.breached",
        "reporter.replied",
        "complaint.reopened",
    ]
    wait_until(lambda: len(mails(notified, siti, tid)) >= 7, what="the reporter's letters")
    wait_until(lambda: len(hooks(notified.oku, story)) >= 5, what="the holder's webhooks")
    wait_until(lambda: len(mails(notified, OKU_DESK, tid)) >= 5, what="the liaison's e-mails")
    wait_until(lambda: len(hooks(notified.default, story)) >= 1, what="the escalation")
    notified.settle()

    # The reporter, in English, each letter once, with the tracking id and the status page.
    letters = mails(notified, siti, tid)
    assert sorted(subject(m) for m in letters) == sorted(reporter_subjects)
    for letter in letters:
        assert f"http://pintu.test/v1/complaints/{tid}" in letter.get_content()
    followed = next(m for m in letters if subject(m).startswith("Follow-up"))
    assert "Ditambal besok pagi." in followed.get_content()
    # Message-IDs stay the same on a repeat: a mail client can tell one.
    assert len({m["Message-ID"] for m in letters}) == 7

    # The holder, by webhook signed with its own secret, each kind once.
    received = [r for r in notified.oku.requests if str(story.id).encode() in r.body]
    assert sorted(json.loads(r.body)["kind"] for r in received) == sorted(agency_kinds)
    for request in received:
        assert documented_verify(
            OKU_SECRET,
            request.headers["Pintu-Timestamp"],
            request.body,
            request.headers["Pintu-Signature"],
        )
        assert not documented_verify(
            DEFAULT_SECRET,
            request.headers["Pintu-Timestamp"],
            request.body,
            request.headers["Pintu-Signature"],
        )
        sent = json.loads(request.body)
        assert request.headers["Pintu-Event-Id"] == sent["event_id"]
        assert sent["tracking_id"] == tid
        assert sent["link"] == f"http://pintu.test/v1/agencies/{OKU_TIMUR}/inbox"
    # Its liaison office, by e-mail in Bahasa Indonesia, each kind once.
    desk = sorted(subject(m) for m in mails(notified, OKU_DESK, tid))
    assert desk == sorted(
        [
            f"[Pintu] Laporan baru {tid}",
            f"[Pintu] Batas tindak lanjut pertama laporan {tid} segera tiba",
            f"[Pintu] Batas tindak lanjut pertama laporan {tid} terlewati",
            f"[Pintu] Pelapor menanggapi laporan {tid}",
            f"[Pintu] Laporan {tid} dibuka kembali",
        ]
    )
    # The parent agency heard of the escalation at the default endpoint, default secret.
    (escalation,) = [r for r in notified.default.requests if str(story.id).encode() in r.body]
    assert json.loads(escalation.body)["kind"] == "complaint.escalated"
    assert json.loads(escalation.body)["agency_id"] == SUMSEL
    assert documented_verify(
        DEFAULT_SECRET,
        escalation.headers["Pintu-Timestamp"],
        escalation.body,
        escalation.headers["Pintu-Signature"],
    )
    # Nothing of the reporter reached any agency.
    for request in [*received, escalation]:
        for secret in ("Siti", siti, "Lampu jalan"):
            assert secret.encode() not in request.body
    for m in mails(notified, OKU_DESK, tid):
        assert "Siti" not in m.get_content() and siti not in m.get_content()


def test_an_anonymous_reporter_with_a_phone_gets_texts_and_the_agency_learns_nothing(
    notified: Notified,
) -> None:
    phone = "+62812" + str(uuid.uuid4().int)[:7]
    budi = ReporterIdentity(name="Budi Santoso", phone=phone)  # Bahasa Indonesia by default
    story = Story(notified, budi, anonymous=True, confidential=True)
    notified.publish(story.filed, story.routed(LAHAT))
    tid = story.tracking_id

    def texts() -> list[Received]:
        return [r for r in list(notified.sms.requests) if json.loads(r.body)["to"] == phone]

    wait_until(lambda: len(texts()) >= 2, what="two texts")
    wait_until(lambda: len(hooks(notified.lahat, story)) >= 1, what="the agency's webhook")
    wait_until(lambda: len(mails(notified, LAHAT_DESK, tid)) >= 1, what="the liaison's e-mail")
    notified.settle()
    sent = [json.loads(r.body) for r in texts()]
    assert sorted(s["text"] for s in sent) == sorted(
        [
            f"Pintu: laporan {tid} diterima. Pantau: http://pintu.test/v1/complaints/{tid}",
            f"Pintu: laporan {tid} diteruskan ke Pemerintah Kabupaten Lahat. "
            f"Pantau: http://pintu.test/v1/complaints/{tid}",
        ]
    )
    assert all(r.headers["Authorization"] == f"Bearer {SMS_TOKEN}" for r in texts())
    assert len({s["reference"] for s in sent}) == 2
    # The agency: a webhook and an English letter to its desk, neither naming the reporter.
    (hook,) = [r for r in notified.lahat.requests if str(story.id).encode() in r.body]
    (desk,) = mails(notified, LAHAT_DESK, tid)
    assert subject(desk) == f"[Pintu] New report {tid}"
    for text in (hook.body.decode(), desk.get_content()):
        for secret in ("Budi", phone, phone[3:], "Lampu jalan"):
            assert secret not in text


def test_the_national_admin_hears_of_the_triage_queue_by_webhook_and_e_mail(
    notified: Notified,
) -> None:
    story = Story(notified, None)
    notified.publish(story.filed, story.routed(NATIONAL_TRIAGE))
    tid = story.tracking_id
    wait_until(lambda: len(mails(notified, ADMIN_DESK, tid)) >= 1, what="the admin's e-mail")
    wait_until(lambda: len(hooks(notified.default, story)) >= 1, what="the admin's webhook")
    notified.settle()
    (letter,) = mails(notified, ADMIN_DESK, tid)
    assert subject(letter) == f"[Pintu] Laporan baru {tid}"
    assert "antrean triase nasional" in letter.get_content()
    (hook,) = hooks(notified.default, story)
    assert (hook["agency_id"], hook["kind"]) == (NATIONAL_TRIAGE, "complaint.routed")


def test_an_endpoint_that_fails_three_times_then_recovers_gets_the_message_exactly_once(
    notified: Notified,
) -> None:
    notified.lahat.failures_to_serve.extend([503, 500, 502])
    story = Story(notified, None)
    notified.publish(story.filed, story.routed(LAHAT))
    wait_until(lambda: len(hooks(notified.lahat, story)) >= 1, what="the webhook after 3 failures")
    notified.settle()
    assert notified.lahat.failures_to_serve == []  # the three failures were served
    assert [h["kind"] for h in hooks(notified.lahat, story)] == ["complaint.routed"]


async def dead_letters(bootstrap: str) -> list[dict[str, str]]:
    records = await read_all(bootstrap, topics.dead_letters("notifier"))
    return [{k: v.decode() for k, v in r.headers} for r in records]


def redeliver(notified: Notified) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "notifier-redeliver"],
        env=notified.platform.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_dead_endpoint_is_dead_lettered_while_the_others_keep_flowing_then_redelivered_once(
    notified: Notified,
) -> None:
    stuck = Story(notified, None)
    flowing = [Story(notified, None) for _ in range(5)]
    with hanging_endpoint(notified.muara_enim_port):
        notified.publish(stuck.filed, stuck.routed(MUARA_ENIM))
        for story in flowing:
            notified.publish(story.filed, story.routed(OKU_TIMUR))
        # Every other agency's webhook arrives while the hanging endpoint still holds its own.
        wait_until(
            lambda: all(hooks(notified.oku, s) for s in flowing), what="the others' webhooks"
        )
        stuck_key = str(stuck.id)
        assert not [h for h in asyncio.run(dead_letters(notified.bootstrap)) if stuck_key in str(h)]
        # Then it runs out of tries: dead-lettered, with the reason and the delivery.

        def dead() -> list[dict[str, str]]:
            return [
                h
                for h in asyncio.run(dead_letters(notified.bootstrap))
                if h.get("pintu-recipient") == MUARA_ENIM
            ]

        wait_until(lambda: len(dead()) >= 1, timeout=90, what="the dead letter")
    (letter,) = dead()
    assert letter["pintu-channel"] == "webhook"
    assert "after 5 tries" in letter["pintu-dlq-reason"]
    # Three failures in a row opened the endpoint's circuit (and only that endpoint's).
    log = notified.platform.log_of("notifier")
    assert f"circuit open for webhook http://127.0.0.1:{notified.muara_enim_port}/hook" in log
    assert f"circuit open for webhook {notified.oku.url}" not in log
    for story in flowing:
        assert [h["kind"] for h in hooks(notified.oku, story)] == ["complaint.routed"]

    # The endpoint comes back where it was; redelivery sends the dead letter once.
    with webhook_receiver(port=notified.muara_enim_port) as revived:
        assert "1 dead deliveries re-queued" in redeliver(notified)
        wait_until(lambda: len(hooks(revived, stuck)) >= 1, what="the redelivered webhook")
        assert "0 dead deliveries re-queued" in redeliver(notified)  # once each
        notified.settle()
        (hook,) = hooks(revived, stuck)
        assert hook["event_id"] == letter["pintu-event-id"]


def test_killed_mid_batch_the_notifier_loses_nothing_and_repeats_nothing(
    notified: Notified,
) -> None:
    addresses = [f"warga.{n}.{uuid.uuid4().hex[:6]}@example.id" for n in range(25)]
    stories = [Story(notified, ReporterIdentity(email=a)) for a in addresses]
    batch: list[DomainEvent] = []
    for story in stories:
        batch += [story.filed, story.routed(OKU_TIMUR)]
    ids = {str(s.id) for s in stories}

    def mine_mail() -> list[EmailMessage]:
        return [m for m in list(notified.mail.messages) if m["To"] in addresses]

    def mine_hooks() -> list[Received]:
        return [r for r in list(notified.oku.requests) if json.loads(r.body)["complaint_id"] in ids]

    notified.publish(*batch)
    wait_until(lambda: len(mine_mail()) >= 5, what="the first letters")
    notified.platform.kill("notifier")  # SIGKILL, mid-batch
    sent_before = len(mine_mail())
    assert sent_before < 2 * len(stories), "the kill came after the batch: no test"
    notified.platform.start("notifier")
    wait_until(lambda: len(mine_mail()) >= 50, timeout=90, what="every letter")
    wait_until(lambda: len(mine_hooks()) >= 25, timeout=90, what="every webhook")
    notified.settle()

    # Nothing lost: each reporter's two letters (receipt, routing), each routing's webhook,
    # told apart by their idempotency keys (Message-ID, Pintu-Event-Id).
    letters = Counter(m["Message-ID"] for m in mine_mail())
    webhooks = Counter(r.headers["Pintu-Event-Id"] for r in mine_hooks())
    assert len(letters) == 2 * len(stories)
    assert Counter(m["To"] for m in {m["Message-ID"]: m for m in mine_mail()}.values()) == {
        a: 2 for a in addresses
    }
    assert len(webhooks) == len(stories)
    # Nothing repeated. The one window left (docs/operations.md): the kill lands after an
    # endpoint took a delivery and before the outbox recorded it, so that one delivery goes
    # again, with the same key; at most one per endpoint (the relay, the agency's endpoint).
    repeats = sum(n - 1 for n in letters.values()) + sum(n - 1 for n in webhooks.values())
    assert repeats <= 2, (letters, webhooks)
    print(f"killed after {sent_before} letters; repeats at the receivers: {repeats}")


def test_a_replay_of_the_log_sends_nothing_again(notified: Notified) -> None:
    before_mail = len(notified.mail.messages)
    before_hooks = (
        len(notified.oku.requests),
        len(notified.lahat.requests),
        len(notified.default.requests),
        len(notified.sms.requests),
    )
    notified.platform.kill("notifier")
    asyncio.run(forget_offsets(notified.bootstrap))  # as a replay for audit starts: offset 0
    notified.platform.start("notifier")
    # The notifier read the whole log again: its group is back at the log's end.
    wait_until(lambda: asyncio.run(replayed(notified.bootstrap)), timeout=60, what="the replay")
    notified.settle()
    assert len(notified.mail.messages) == before_mail
    assert (
        len(notified.oku.requests),
        len(notified.lahat.requests),
        len(notified.default.requests),
        len(notified.sms.requests),
    ) == before_hooks


async def forget_offsets(bootstrap: str) -> None:
    """The notifier's group back to offset 0 on every partition of the log."""
    partitions = [
        TopicPartition(topics.EVENTS, p) for p in await partition_ids(bootstrap, topics.EVENTS)
    ]
    for _ in range(60):  # the killed member holds the group until its session times out
        consumer = new_consumer(connection(bootstrap), group_id="pintu-notifier")
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.commit({tp: 0 for tp in partitions})
            return
        except KafkaError:
            await asyncio.sleep(1)
        finally:
            await consumer.stop()
    raise AssertionError("the notifier's group kept its offsets")


async def replayed(bootstrap: str) -> bool:
    """Whether the notifier's group committed every partition of the log up to its end."""
    admin = AIOKafkaAdminClient(**connection(bootstrap).client_kwargs())
    consumer = new_consumer(connection(bootstrap), isolation_level="read_uncommitted")
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets("pintu-notifier")
        partitions = [
            TopicPartition(topics.EVENTS, p) for p in await partition_ids(bootstrap, topics.EVENTS)
        ]
        ends = await consumer.end_offsets(partitions)
        return all(
            end == 0 or (tp in committed and committed[tp].offset == end)
            for tp, end in ends.items()
        )
    finally:
        await consumer.stop()
        await admin.close()
