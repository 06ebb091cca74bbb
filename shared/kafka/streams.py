"""The common shape of Pintu's faust-streaming processors (router, sla)."""

import logging
from typing import Any

import faust
from yarl import URL

from shared.config import Settings
from shared.kafka import topics
from shared.kafka.health import BrokerProbe
from shared.logs import logging_config


def broker_urls(bootstrap_servers: str) -> list[URL]:
    return [URL(f"kafka://{server.strip()}") for server in bootstrap_servers.split(",")]


def stream_app(name: str, settings: Settings, web_port: int) -> faust.App:
    """A faust app with exactly-once processing, durable tables and health pages."""
    datadir = settings.data_dir / "faust" / name
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        topics.app_id(name),
        broker=broker_urls(settings.bootstrap_servers),
        processing_guarantee="exactly_once",
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
    probe = BrokerProbe(settings.bootstrap_servers)
    log = logging.getLogger(f"pintu.{name}")

    @app.task
    async def announce() -> None:
        log.info("%s ready: consuming %s, health on port %d", name, topics.EVENTS, web_port)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        if await probe.reachable():
            return web.json({"status": "ready"})
        return web.json({"status": "kafka unreachable"}, status=503)

    return app


def raw_topic(app: faust.App, name: str) -> Any:
    """A topic of raw bytes: Pintu's own codec (shared.contracts) reads and writes the values."""
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def run_worker(app: faust.App, service: str, settings: Settings) -> None:
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logging_config(service, settings.log_level),
        console_port=0,
    )
    worker.execute_from_commandline()
