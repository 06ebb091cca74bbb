"""Tamper evidence on the real log: the chain the real writers (intake, the router) make is
verified clean, a copy of the log with one event altered or one deleted is caught, naming
that complaint and that event, and one complaint's history exports without its reporter."""

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.adapters.kafka import topics
from shared.domain.routing import default_directory
from shared.domain.tracking import new_tracking_id
from tests.conftest import WEBHOOK_SECRET
from tests.e2e.test_transfers import AGENCY_KEY, EXTORTION_IN_OKU_TIMUR, decline, held_by
from tests.support.brokers import connection, local_broker
from tests.support.platform import Platform, running_platform
from tests.support.receivers import MailReceiver, WebhookReceiver
from tests.support.topics import Record, read_all

REPORTER = {"name": "Siti Aminah", "email": "siti.aminah@example.org", "phone": "0812-3456-7890"}
ROAD = {
    "title": "Jalan kabupaten berlubang di Martapura",
    "description": "Jalan penghubung desa rusak berat sejak Januari; dua pengendara jatuh.",
    "category": "jalan-daerah",
    "location": {"region_code": "16.08"},
    "reporter": REPORTER,
}


@dataclass(frozen=True)
class Filed:
    tracking_id: str
    complaint_id: str


@dataclass(frozen=True)
class Audited:
    """A platform of its own (its log holds only what this module's real writers wrote)."""

    platform: Platform
    bootstrap: str
    acknowledged: Filed  # filed, routed, then acknowledged: two rounds of the router
    declined: Filed  # filed, routed, declined, routed on: three rounds
    log: list[Record]  # complaints.events, everything on it


@pytest.fixture(scope="module")
def audited(
    tmp_path_factory: pytest.TempPathFactory,
    agency_endpoint: WebhookReceiver,
    reporters_mailbox: MailReceiver,
) -> Iterator[Audited]:
    home = tmp_path_factory.mktemp("audit")
    with local_broker(home / "kafka") as broker:
        bootstrap = broker.bootstrap_servers
        asyncio.run(topics.provision(connection(bootstrap), default_directory().agencies))
        settings = {"PINTU_SMTP_PORT": str(reporters_mailbox.port)}
        with running_platform(
            bootstrap, home, agency_endpoint.url, WEBHOOK_SECRET, settings
        ) as platform:
            intake = httpx.Client(base_url=platform.intake_url, timeout=10)
            acknowledged, declined = file(intake, ROAD), file(intake, EXTORTION_IN_OKU_TIMUR)
            file(intake, {**ROAD, "title": "Lampu jalan padam sebulan"})  # left as routed
            held_by(intake, acknowledged.tracking_id, "pemkab-oku-timur")
            answer = intake.post(
                f"/v1/agencies/pemkab-oku-timur/complaints/{acknowledged.tracking_id}/acknowledge",
                json={"tier": "sederhana"},
                headers=AGENCY_KEY,
            )
            assert answer.status_code == 200, answer.text
            held_by(intake, declined.tracking_id, "pemkab-oku-timur")
            assert decline(intake, "pemkab-oku-timur", declined.tracking_id).status_code == 200
            held_by(intake, declined.tracking_id, "pemprov-sumatera-selatan")
            log = asyncio.run(read_all(bootstrap, topics.EVENTS))
            yield Audited(platform, bootstrap, acknowledged, declined, log)


def file(intake: httpx.Client, complaint: dict[str, Any]) -> Filed:
    answer = intake.post("/v1/complaints", json=complaint)
    assert answer.status_code == 201, answer.text
    return Filed(answer.json()["tracking_id"], answer.json()["complaint_id"])


def events_of(audited: Audited, complaint: Filed) -> list[Record]:
    return [r for r in audited.log if r.key == complaint.complaint_id.encode()]


def envelope(record: Record) -> dict[str, Any]:
    assert record.value is not None
    found: dict[str, Any] = json.loads(record.value)
    return found


def pintu_audit(audited: Audited, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "audit", *args],
        env=audited.platform.env,
        capture_output=True,
        text=True,
        timeout=180,
    )


async def copy_log(
    bootstrap: str, records: list[Record], name: str, change: Callable[[Record], bytes | None]
) -> None:
    """complaints.events copied record by record into a new topic, partition for partition;
    `change` gives each record's new value, or None to leave it out."""
    admin = AIOKafkaAdminClient(**connection(bootstrap).client_kwargs())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, topics.EVENTS_PARTITIONS, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        **connection(bootstrap).client_kwargs(), acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        sent = []
        for record in records:
            value = change(record)
            if value is not None:
                sent.append(
                    await producer.send(name, value, key=record.key, partition=record.partition)
                )
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def findings(output: str) -> list[str]:
    """The first line of each finding `pintu audit verify` printed (KIND complaint ...)."""
    kinds = ("ALTERED", "MISSING", "REORDERED", "DUPLICATE")
    return [line for line in output.splitlines() if line.startswith(kinds)]


def test_the_real_writers_seal_every_event_and_chain_it_to_the_one_before(
    audited: Audited,
) -> None:
    for complaint in (audited.acknowledged, audited.declined):
        envelopes = [envelope(r) for r in events_of(audited, complaint)]
        assert [e["sequence"] for e in envelopes] == list(range(1, len(envelopes) + 1))
        assert "prevhash" not in envelopes[0]
        assert all(after["prevhash"] == before["hash"] for before, after in pairwise(envelopes))
        # Intake sealed the filing, the router every later round.
        assert {e["source"] for e in envelopes} == {"/pintu/intake", "/pintu/router"}
    declined = [envelope(r)["type"] for r in events_of(audited, audited.declined)]
    assert declined.count("pintu.complaint.routed") == 2


def test_the_untouched_log_verifies_clean(audited: Audited) -> None:
    verified = pintu_audit(audited, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert findings(verified.stdout) == []
    assert "Verdict: the chain is intact" in verified.stdout
    assert f"{len(audited.log)} records of" in verified.stdout


def test_one_event_with_its_data_altered_is_named_complaint_and_event(
    audited: Audited, tmp_path: Path
) -> None:
    target = events_of(audited, audited.acknowledged)[2]  # #3, a deadline of the first round
    assert envelope(target)["sequence"] == 3

    def altered(record: Record) -> bytes | None:
        if record is not target:
            value: bytes | None = record.value
            return value
        changed = envelope(record)
        changed["data"]["due_at"] = "2099-12-31T23:59:59+07:00"  # a deadline moved away
        return json.dumps(changed).encode()

    asyncio.run(copy_log(audited.bootstrap, audited.log, "audit.altered", altered))
    verified = pintu_audit(audited, "verify", "--topic", "audit.altered")
    assert verified.returncode == 1, verified.stdout + verified.stderr
    (finding,) = findings(verified.stdout)
    assert finding.startswith("ALTERED")
    assert f"{audited.acknowledged.tracking_id} ({audited.acknowledged.complaint_id})" in finding
    assert ", event #3 (" in finding
    assert "NOT intact" in verified.stdout

    # Its export says so too.
    out = tmp_path / "export"
    exported = pintu_audit(
        audited,
        "export",
        audited.acknowledged.tracking_id,
        "--out",
        str(out),
        "--topic",
        "audit.altered",
    )
    assert exported.returncode == 1, exported.stdout + exported.stderr
    document = json.loads((out / f"{audited.acknowledged.tracking_id}.json").read_text())
    assert document["verification"]["intact"] is False
    assert [(f["kind"], f["sequence"]) for f in document["verification"]["findings"]] == [
        ("altered", 3)
    ]


def test_a_deleted_middle_event_is_found_missing(audited: Audited) -> None:
    history = events_of(audited, audited.declined)
    target = history[len(history) // 2]
    number = envelope(target)["sequence"]
    assert 1 < number < len(history)

    asyncio.run(
        copy_log(
            audited.bootstrap,
            audited.log,
            "audit.deleted",
            lambda r: None if r is target else r.value,
        )
    )
    verified = pintu_audit(audited, "verify", "--topic", "audit.deleted")
    assert verified.returncode == 1, verified.stdout + verified.stderr
    (finding,) = findings(verified.stdout)
    assert finding.startswith("MISSING")
    assert f"{audited.declined.tracking_id} ({audited.declined.complaint_id})" in finding
    assert f", event #{number} (" in finding


def test_one_complaints_history_exports_as_json_and_a_page_without_its_reporter(
    audited: Audited, tmp_path: Path
) -> None:
    tracking_id = audited.acknowledged.tracking_id
    exported = pintu_audit(audited, "export", tracking_id, "--out", str(tmp_path))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    on_log = [envelope(r) for r in events_of(audited, audited.acknowledged)]

    raw = (tmp_path / f"{tracking_id}.json").read_text()
    document = json.loads(raw)
    assert document["tracking_id"] == tracking_id
    assert document["complaint_id"] == audited.acknowledged.complaint_id
    assert [e["envelope"] for e in document["events"]] == on_log  # every event, in order
    assert document["verification"]["intact"] is True

    page = (tmp_path / f"{tracking_id}.html").read_text()
    assert tracking_id in page
    for event in on_log:
        assert event["type"] in page
        assert event["hash"] in page
    assert "Diteruskan ke" in page  # the routing, in words

    for text in (raw, page):
        for secret in ("Siti", "Aminah", "siti.aminah", "example.org", "81234567890", "0812-3456"):
            assert secret not in text
    assert on_log[0]["data"]["reporter"]["ciphertext"] not in page  # not even sealed


def test_an_unknown_tracking_id_is_said_and_nothing_is_written(
    audited: Audited, tmp_path: Path
) -> None:
    unknown = new_tracking_id()
    exported = pintu_audit(audited, "export", unknown, "--out", str(tmp_path / "out"))
    assert exported.returncode == 1
    assert f"no complaint with tracking id {unknown!r}" in exported.stderr
    mistyped = pintu_audit(audited, "export", "../../etc", "--out", str(tmp_path / "out"))
    assert mistyped.returncode == 2
    assert "'../../etc' is not a tracking id" in mistyped.stderr
    assert not (tmp_path / "out").exists()


def test_a_topic_that_does_not_exist_is_a_usage_error(audited: Audited) -> None:
    verified = pintu_audit(audited, "verify", "--topic", "no.such.topic")
    assert verified.returncode == 2
    assert "there is no topic 'no.such.topic'" in verified.stderr
