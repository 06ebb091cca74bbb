"""Every Kafka client signs in from Settings, with SASL/SCRAM-SHA-512 as on Kubernetes.

These tests run a broker of their own with a SCRAM listener beside the usual PLAINTEXT one
(the shared test broker wants no sign-in, so it would prove nothing). The services are
configured the way the Deployments configure them: KAFKA_SECURITY_PROTOCOL,
KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD in the environment.
"""

import asyncio
import logging
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.structs import ConsumerRecord

from dev.broker import ScramListener, free_port
from dev.watch import follow
from services import cli
from services.intake.app import create_app as create_intake
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, KafkaSignInFailed
from shared.adapters.kafka.consumer import consume
from shared.adapters.kafka.health import REFUSED, BrokerProbe
from shared.adapters.kafka.publisher import BrokerUnavailable, Publisher, Record
from shared.config import Settings, get_settings
from tests.support.brokers import local_broker
from tests.support.platform import spawn, stop, wait_until_ready

AGENCY = "pemkab-oku-timur"
# A hang guard, not a speed assertion: a refused sign-in must be answered, not waited on.
ANSWER_WITHIN = 30.0


@pytest.fixture(scope="module")
def scram(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScramListener]:
    listener = ScramListener(
        port=free_port(), username="pintu-test", password=secrets.token_urlsafe(18)
    )
    with local_broker(tmp_path_factory.mktemp("kafka-scram"), scram=listener):
        yield listener


def sign_in_env(scram: ScramListener, password: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": scram.bootstrap_servers,
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": scram.username,
        "KAFKA_SASL_PASSWORD": password,
    }


@pytest.fixture
def signed_in(scram: ScramListener, monkeypatch: pytest.MonkeyPatch) -> KafkaConnection:
    for name, value in sign_in_env(scram, scram.password).items():
        monkeypatch.setenv(name, value)
    return KafkaConnection.from_settings(Settings())


@pytest.fixture
def wrong_password(scram: ScramListener, monkeypatch: pytest.MonkeyPatch) -> KafkaConnection:
    for name, value in sign_in_env(scram, "not-" + scram.password).items():
        monkeypatch.setenv(name, value)
    return KafkaConnection.from_settings(Settings())


async def first_record(
    connection: KafkaConnection, topic: str, key: bytes, timeout: float = 60
) -> ConsumerRecord[bytes, bytes]:
    """The first record with `key`, read by the services' own consumer loop."""
    found: asyncio.Future[ConsumerRecord[bytes, bytes]] = asyncio.get_running_loop().create_future()

    async def handle(record: ConsumerRecord[bytes, bytes]) -> None:
        if record.key == key and not found.done():
            found.set_result(record)

    task = asyncio.create_task(consume(connection, f"test-{uuid.uuid4().hex}", topic, handle))
    try:
        return await asyncio.wait_for(asyncio.shield(found), timeout)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_with_the_right_password_provisioning_publishing_reading_and_readiness_work(
    signed_in: KafkaConnection,
) -> None:
    created = await topics.provision(signed_in, [AGENCY])
    assert topics.EVENTS in created
    assert await BrokerProbe(signed_in).problem() is None

    publisher = Publisher(signed_in, "test")
    key = f"signed-in-{uuid.uuid4()}".encode()
    try:
        await publisher.publish(Record(topics.EVENTS, key, b'{"hello":"kafka"}'))
    finally:
        await publisher.close()
    record = await first_record(signed_in, topics.EVENTS, key)
    assert record.value == b'{"hello":"kafka"}'


async def test_with_a_wrong_password_every_client_fails_at_once_and_says_why(
    signed_in: KafkaConnection,
    wrong_password: KafkaConnection,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await topics.provision(signed_in, [AGENCY])  # so nothing below fails for a missing topic
    refused = r"refused to sign in .*'pintu-test' \(SCRAM-SHA-512\).*Authentication failed"

    publisher = Publisher(wrong_password, "test", timeout_seconds=10)
    with pytest.raises(BrokerUnavailable, match=refused):
        await asyncio.wait_for(publisher.publish(Record(topics.EVENTS, b"k", b"v")), ANSWER_WITHIN)
    await publisher.close()

    assert await BrokerProbe(wrong_password).problem() == REFUSED

    with pytest.raises(KafkaSignInFailed, match=refused):
        await asyncio.wait_for(follow(wrong_password, AGENCY), ANSWER_WITHIN)

    # The long-running consumers keep trying (credentials can reach the brokers late), and
    # say why on every try.
    caplog.clear()
    said = "consumer pintu-test cannot start: KafkaSignInFailed: Kafka refused to sign in"
    with caplog.at_level(logging.ERROR, logger="shared.adapters.kafka.consumer"):
        task = asyncio.create_task(
            consume(wrong_password, "pintu-test", topics.EVENTS, lambda _: asyncio.sleep(0))
        )
        for _ in range(int(ANSWER_WITHIN * 10)):
            if said in caplog.text:
                break
            await asyncio.sleep(0.1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert said in caplog.text

    # The operator's command says it in one line, exit code 2.
    get_settings.cache_clear()
    try:
        assert await asyncio.to_thread(cli.main, ["topics"]) == 2
    finally:
        get_settings.cache_clear()
    assert "pintu: KafkaSignInFailed: Kafka refused to sign in" in capsys.readouterr().err


async def test_intake_and_the_router_sign_in_and_a_complaint_reaches_its_agency(
    scram: ScramListener, signed_in: KafkaConnection, tmp_path: Path
) -> None:
    await topics.provision(signed_in, [AGENCY])
    port = free_port()
    env = {
        **os.environ,
        **sign_in_env(scram, scram.password),
        "PINTU_DATA_DIR": str(tmp_path / "router"),
        "PINTU_ROUTER_PORT": str(port),
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    router = spawn("router", env, logs)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", router, logs / "router.log")
        app = create_intake(Settings(data_dir=tmp_path / "intake"))  # env: signed in
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://intake"
        ) as intake:
            filed = await intake.post(
                "/v1/complaints",
                json={
                    "title": "Jalan kabupaten berlubang di Martapura",
                    "description": "Jalan penghubung desa rusak berat sejak Januari.",
                    "category": "jalan-daerah",
                    "location": {"region_code": "16.08"},
                },
            )
        await app.state.filing.publisher.close()
        assert filed.status_code == 201, filed.text
        key = filed.json()["complaint_id"].encode()
        # Routed by the owner (its consumer, producer and transactions) and fanned out.
        routed = await first_record(signed_in, topics.routed(AGENCY), key, timeout=90)
        assert b'"pintu.complaint.routed"' in routed.value
    finally:
        stop(router)
