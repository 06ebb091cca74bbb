"""The faust-streaming app of the SLA service: at least once, durable tables, health pages."""

import logging
from typing import Any

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types.auth import CredentialsT
from yarl import URL

from shared import metrics
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.health import BrokerProbe
from shared.config import Settings
from shared.logs import logging_config


def broker_urls(bootstrap_servers: str) -> list[URL]:
    return [URL(f"kafka://{server.strip()}") for server in bootstrap_servers.split(",")]


def broker_credentials(connection: KafkaConnection) -> CredentialsT | None:
    """The connection's sign-in, the way faust takes it (for every client it makes)."""
    context = connection.ssl_context()
    if connection.uses_sasl:
        # With an SSL context faust speaks SASL_SSL, without one SASL_PLAINTEXT.
        password = connection.sasl_password
        return faust.SASLCredentials(
            username=connection.sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=connection.sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


class _ReadCommittedThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust reads `read_committed` only under its own exactly_once. The log is written in
    the router's transactions: a record of an aborted one must never count here."""

    def _create_worker_consumer(
        self, transport: faust_aiokafka.Transport
    ) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._isolation_level = "read_committed"  # what its constructor sets, read at start
        return consumer


class _ReadCommittedConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ReadCommittedThread(self, loop=self.loop, beacon=self.beacon)


class _ReadCommittedTransport(faust_aiokafka.Transport):
    Consumer = _ReadCommittedConsumer


def stream_app(name: str, settings: Settings, web_port: int) -> faust.App:
    """A faust app processing at least once, with durable tables, health and metrics pages.

    Not faust's exactly_once: under a rebalance it crashes the workers that keep their
    partitions (docs/decisions/0010). A table here is a fold of the log that re-reading
    any suffix leaves unchanged, and its outputs are questions its owner decides once.
    """
    kafka = KafkaConnection.from_settings(settings)
    datadir = settings.data_dir / "faust" / name
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        topics.app_id(name),
        broker=broker_urls(settings.bootstrap_servers),
        broker_credentials=broker_credentials(kafka),
        processing_guarantee="at_least_once",
        store="memory://",  # tables are rebuilt from their changelog topics on start
        datadir=str(datadir),
        # Tables must be co-partitioned with the topic they are keyed by.
        topic_partitions=topics.EVENTS_PARTITIONS,
        topic_replication_factor=settings.topic_replication,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        # A crashed worker's partitions move to the others within seconds, not a minute.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        web_enabled=True,
        web_bind=settings.bind_host,
        web_port=web_port,
        web_host=settings.bind_host,
    )
    app.transport = _ReadCommittedTransport(app.conf.broker_consumer, app)
    probe = BrokerProbe(kafka)
    log = logging.getLogger(f"pintu.{name}")

    @app.task
    async def announce() -> None:
        log.info("%s ready: consuming %s, health on port %d", name, topics.EVENTS, web_port)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        problem = await probe.problem()
        if problem is None:
            return web.json({"status": "ready"})
        return web.json({"status": problem}, status=503)

    @app.page("/metrics")
    async def prometheus_metrics(web: Any, request: Any) -> Any:
        body, content_type = metrics.exposition(request.headers.get("Accept"))
        return web.bytes(body, headers={"Content-Type": content_type})

    return app


def raw_topic(app: faust.App, *names: str) -> Any:
    """Topics of raw bytes: Pintu's own codec (shared.contracts) reads and writes the values."""
    return app.topic(
        *names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def run_worker(app: faust.App, service: str, settings: Settings) -> None:
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logging_config(service, settings.log_level, settings.bootstrap_servers),
        console_port=0,
    )
    worker.execute_from_commandline()
