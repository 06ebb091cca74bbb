"""How the processes sign in to Kafka, from Settings: PLAINTEXT by default, SASL/SCRAM on Kubernetes."""

import ssl
from pathlib import Path

import faust
import pytest
from pydantic import ValidationError

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.streams import broker_credentials, stream_app
from shared.config import Settings

SCRAM = {
    "KAFKA_BOOTSTRAP_SERVERS": "pintu-kafka-kafka-bootstrap:9092",
    "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "pintu-router",
    "KAFKA_SASL_PASSWORD": "s3cret-from-the-kafkauser",
}


@pytest.fixture
def scram_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SCRAM.items():
        monkeypatch.setenv(name, value)


def test_by_default_clients_connect_in_plaintext_without_credentials() -> None:
    kwargs = KafkaConnection.from_settings(Settings()).client_kwargs()
    assert kwargs == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}
    assert broker_credentials(KafkaConnection.from_settings(Settings())) is None


@pytest.mark.usefixtures("scram_env")
def test_the_deployments_variables_make_every_client_sign_in_with_scram() -> None:
    connection = KafkaConnection.from_settings(Settings())
    assert connection.client_kwargs() == {
        "bootstrap_servers": "pintu-kafka-kafka-bootstrap:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "pintu-router",
        "sasl_plain_password": "s3cret-from-the-kafkauser",
    }
    assert "s3cret" not in repr(connection)
    assert "s3cret" not in connection.describe()


@pytest.mark.usefixtures("scram_env")
def test_faust_apps_get_the_same_sign_in(tmp_path: Path) -> None:
    app = stream_app("router", Settings(data_dir=tmp_path), 8081)
    credentials = app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_PLAINTEXT"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == (
        "pintu-router",
        "s3cret-from-the-kafkauser",
    )


def test_tls_verifies_the_brokers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    connection = KafkaConnection.from_settings(Settings())
    context = connection.client_kwargs()["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    credentials = broker_credentials(connection)
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol.value == "SSL"

    for name, value in SCRAM.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    connection = KafkaConnection.from_settings(Settings())
    assert connection.client_kwargs()["security_protocol"] == "SASL_SSL"
    assert isinstance(connection.client_kwargs()["ssl_context"], ssl.SSLContext)
    sasl = broker_credentials(connection)
    assert isinstance(sasl, faust.SASLCredentials) and sasl.protocol.value == "SASL_SSL"


def test_a_half_configured_sign_in_fails_at_start_naming_what_is_missing_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "hunter2")
    with pytest.raises(
        ValidationError, match="needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME"
    ) as e:
        Settings()
    assert "hunter2" not in str(e.value)

    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    with pytest.raises(ValidationError, match=r"KAFKA_SASL_PASSWORD set but .* never sends them"):
        Settings()
