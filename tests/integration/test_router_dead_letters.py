"""Poison on the log goes to the router's dead-letter topic with a reason; routing goes on."""

import uuid

import httpx
from aiokafka import AIOKafkaProducer

from shared.adapters.kafka import topics
from tests.support.platform import Platform
from tests.support.topics import Record, read_until


async def test_malformed_unknown_and_future_version_messages_are_dead_lettered_and_the_router_keeps_going(
    platform: Platform, kafka: str
) -> None:
    garbage_key = f"poison-{uuid.uuid4()}".encode()
    unknown_key = f"unknown-{uuid.uuid4()}".encode()
    future_key = f"future-{uuid.uuid4()}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topics.EVENTS, b"{not json", key=garbage_key)
        unknown = (
            b'{"specversion":"1.0","id":"x","source":"/elsewhere","type":"pintu.complaint.teleported",'
            b'"subject":"' + unknown_key + b'","time":"2026-11-20T10:00:00Z",'
            b'"datacontenttype":"application/json","dataschema":"x","sequence":1,"data":{}}'
        )
        await producer.send_and_wait(topics.EVENTS, unknown, key=unknown_key)
        future = (
            b'{"specversion":"1.0","id":"y","source":"/elsewhere","type":"pintu.complaint.filed",'
            b'"subject":"' + future_key + b'","time":"2026-11-20T10:00:00Z",'
            b'"datacontenttype":"application/json","dataschema":"y","sequence":1,'
            b'"dataversion":99,"data":{}}'
        )
        await producer.send_and_wait(topics.EVENTS, future, key=future_key)
    finally:
        await producer.stop()

    def all_three(records: list[Record]) -> bool:
        return {garbage_key, unknown_key, future_key} <= {r.key for r in records}

    dead = await read_until(kafka, topics.dead_letters("router"), all_three)
    reasons = {r.key: dict(r.headers)[topics.DEAD_LETTER_REASON].decode() for r in dead}
    assert "not a CloudEvents 1.0 envelope" in reasons[garbage_key]
    assert "unknown event type 'pintu.complaint.teleported'" in reasons[unknown_key]
    assert "pintu.complaint.filed v99 is newer than this service" in reasons[future_key]

    # The router is still routing.
    filed = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={
            "title": "Antrean BPJS sangat panjang",
            "category": "jaminan-kesehatan",
            "description": "Antrean klaim BPJS Kesehatan di kantor cabang mengular sejak subuh.",
            "location": {"region_code": "32.73"},
        },
        timeout=10,
    )
    assert filed.status_code == 201
    key = filed.json()["complaint_id"].encode()
    routed = await read_until(
        kafka, topics.routed("bpjs-kesehatan"), lambda rs: any(r.key == key for r in rs)
    )
    assert any(r.key == key for r in routed)
