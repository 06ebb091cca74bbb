"""Privacy by construction, checked on the bytes: no topic ever holds a reporter's identity."""

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from shared.adapters.kafka import topics
from tests.support.platform import Platform
from tests.support.topics import Record, read_every, read_until

IDENTITY = {
    "name": "Rahmat Hidayatullah",
    "email": "rahmat.hidayat@example.id",
    "phone": "0857 1234 5678",
}
# Every way the identity could leak: as given, normalised, or in parts.
FORMS = [
    b"Rahmat",
    b"Hidayatullah",
    b"rahmat.hidayat@example.id",
    b"85712345678",
    b"0857 1234 5678",
    b"0857-1234-5678",
]


async def test_no_topic_holds_a_reporters_name_email_or_phone(
    platform: Platform, kafka: str
) -> None:
    complaint_ids = []
    for anonymous in (False, True):
        answer = httpx.post(
            f"{platform.intake_url}/v1/complaints",
            json={
                "title": "Bantuan sosial tidak sampai",
                "description": "Bantuan sembako bulan Oktober tidak diterima warga RT 03 padahal terdaftar.",
                "category": "bantuan-sosial",
                "location": {"region_code": "32.73"},
                "anonymous": anonymous,
                "reporter": IDENTITY,
            },
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        complaint_ids.append(answer.json()["complaint_id"].encode())

    def both_routed(records: list[Record]) -> bool:
        done = {r.key for r in records if b"pintu.complaint.routed" in r.value}
        return set(complaint_ids) <= done

    await read_until(kafka, topics.EVENTS, both_routed)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    assert topics.routed("national-triage") in names

    records = await read_every(kafka, names)
    for record in records:
        # A tombstone (a compacted topic's deletion) has no value to leak.
        raw = (record.key or b"") + (record.value or b"") + b"".join(v for _, v in record.headers)
        leaked = [form for form in FORMS if form in raw]
        assert not leaked, f"{leaked} in {record.topic} at offset {record.offset}"
    assert records
