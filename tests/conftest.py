import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shared.adapters.kafka.topics import provision
from shared.adapters.sql.database import open_database
from shared.domain.routing import default_directory
from tests.support.brokers import connection, test_broker
from tests.support.databases import fresh_database, test_postgres
from tests.support.platform import Platform, running_platform
from tests.support.receivers import MailReceiver, WebhookReceiver, mail_receiver, webhook_receiver

WEBHOOK_SECRET = "test-webhook-secret"
# Four tries a fraction of a second apart, so a dead endpoint is dead-lettered within seconds.
QUICK_DELIVERY = {
    "PINTU_DELIVERY__TRIES": "4",
    "PINTU_DELIVERY__FIRST_BACKOFF_SECONDS": "0.2",
    "PINTU_DELIVERY__MAX_BACKOFF_SECONDS": "1",
}


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a real broker with Pintu's topics provisioned."""
    with test_broker(tmp_path_factory.mktemp("kafka")) as bootstrap:
        asyncio.run(provision(connection(bootstrap), default_directory().agencies))
        yield bootstrap


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """URL of a real PostgreSQL database, empty at the start of the session."""
    with test_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def either_database(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """A fresh platform database: a test that takes it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return open_database(f"sqlite:///{tmp_path / 'pintu.sqlite3'}")
    return open_database(fresh_database(request.getfixturevalue("postgres")))


@pytest.fixture(scope="session")
def agency_endpoint() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def reporters_mailbox() -> Iterator[MailReceiver]:
    with mail_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def platform(
    kafka: str,
    agency_endpoint: WebhookReceiver,
    reporters_mailbox: MailReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    home: Path = tmp_path_factory.mktemp("platform")
    settings = {
        "PINTU_SMTP_PORT": str(reporters_mailbox.port),
        # Every test here is one client, 127.0.0.1, at test speed: the limit per client is
        # held by tests of its own (tests/unit/test_rate_limit.py, integration/test_intake.py).
        "PINTU_RATE_LIMIT_PER_MINUTE": "100000",
        **QUICK_DELIVERY,
    }
    with running_platform(kafka, home, agency_endpoint.url, WEBHOOK_SECRET, settings) as running:
        yield running
