"""Where the tests' Kafka comes from.

1. KAFKA_BOOTSTRAP_SERVERS set: that cluster, nothing started.
2. PINTU_TEST_BROKER=docker and a Docker engine: testcontainers runs apache/kafka.
3. Otherwise: the project's own broker (dev.broker), on free ports.
A missing broker is an error, never a skip.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dev.broker import LocalBroker, ScramListener, free_port
from shared.adapters.kafka.clients import KafkaConnection
from shared.config import Settings

REPO = Path(__file__).resolve().parents[2]
KAFKA_LIBS = REPO / ".pintu" / "kafka-libs"  # shared with `make run`: resolved once per machine
KAFKA_IMAGE = "apache/kafka:4.1.1"


def connection(bootstrap: str) -> KafkaConnection:
    """How tests reach the test cluster: its address, with the sign-in of the services'
    environment (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*), for a cluster given in
    KAFKA_BOOTSTRAP_SERVERS that wants one. The brokers the tests start want none."""
    return KafkaConnection.from_settings(Settings(kafka_bootstrap_servers=bootstrap))


@contextmanager
def local_broker(home: Path, scram: ScramListener | None = None) -> Iterator[LocalBroker]:
    """The project's broker on free ports; with `scram`, also a SASL/SCRAM-SHA-512 listener."""
    broker = LocalBroker(
        home=home, libs=KAFKA_LIBS, port=free_port(), controller_port=free_port(), scram=scram
    )
    broker.start()
    try:
        broker.wait_ready()
        yield broker
    finally:
        broker.stop()


@contextmanager
def docker_broker() -> Iterator[str]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = free_port()
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(port, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", f"PLAINTEXT://:{port},CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        )
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    )
    with container:
        wait_for_logs(container, "Kafka Server started", timeout=120)
        yield f"127.0.0.1:{port}"


@contextmanager
def test_broker(home: Path) -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    elif os.environ.get("PINTU_TEST_BROKER") == "docker":
        with docker_broker() as bootstrap:
            yield bootstrap
    else:
        with local_broker(home) as broker:
            yield broker.bootstrap_servers
