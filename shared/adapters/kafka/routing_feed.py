"""Follow `routing.events`: the directory and rules in force, and every version before."""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer, TopicPartition

from shared import clock
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.adapters.kafka.consumers import Reader
from shared.contracts.cloudevents import PoisonMessage
from shared.contracts.routing import RoutingPublished, decode_published, encode_published
from shared.domain.routing import Directory, bundled_documents

log = logging.getLogger(__name__)
PARTITION = TopicPartition(topics.ROUTING, 0)  # one partition: one order of versions


class RoutingFeed:
    """The published versions, in order; `current` is the newest (rules change at once)."""

    def __init__(self) -> None:
        self.published: list[RoutingPublished] = []
        self._directories: dict[tuple[int, int], Directory] = {}
        self.ready = asyncio.Event()  # set once the topic was read to its end

    def add(self, published: RoutingPublished) -> None:
        directory = published.directory()  # validated again: a bad version is skipped
        self.published.append(published)
        self._directories[published.versions] = directory

    @property
    def current(self) -> Directory:
        if not self.published:
            raise LookupError("no directory published yet")
        return self._directories[self.published[-1].versions]

    def version(self, directory_version: int, rules_version: int) -> Directory | None:
        """The directory that was in force under these versions, for a replay."""
        return self._directories.get((directory_version, rules_version))

    async def follow(self, connection: KafkaConnection) -> None:
        """Read every version, then keep up with new ones; runs until cancelled."""
        async with Reader(connection) as reader:
            async for batch in reader.to_end([PARTITION]):
                for record in batch[PARTITION]:
                    self._take(record.value)
            self.ready.set()
            async for batch in reader.onwards():
                for record in batch.get(PARTITION, []):
                    self._take(record.value)

    def _take(self, value: bytes | None) -> None:
        try:
            published = decode_published(value or b"")
            self.add(published)
        except (PoisonMessage, ValueError, KeyError, TypeError) as error:
            log.error("routing version skipped: %s", error)
            return
        log.info("routing in force: directory v%d, rules v%d", *published.versions)


async def read_published(connection: KafkaConnection) -> RoutingFeed:
    """Every version published so far (one read to the end)."""
    feed = RoutingFeed()
    task = asyncio.create_task(feed.follow(connection))
    try:
        await asyncio.wait_for(feed.ready.wait(), timeout=60)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return feed


async def publish(connection: KafkaConnection, published: RoutingPublished, base_url: str) -> None:
    published.directory()  # refuse what would not load
    producer = AIOKafkaProducer(**connection.client_kwargs(), acks="all", enable_idempotence=True)
    await start(producer, connection)
    try:
        await producer.send_and_wait(
            topics.ROUTING, encode_published(published, base_url), partition=0
        )
    finally:
        await producer.stop()


async def seed(connection: KafkaConnection, base_url: str) -> RoutingPublished | None:
    """Publish this release's bundled directory when it is newer than what is in force.

    The first start publishes it; a release with a newer directory (new agencies)
    publishes that directory with the newer of the two rule versions. Rules changed
    by an operator are kept. Returns what was published, if anything.
    """
    feed = await read_published(connection)
    agencies, rules = bundled_documents()
    if feed.published:
        latest = feed.published[-1]
        if int(agencies["version"]) <= latest.versions[0]:
            return None
        if latest.versions[1] > int(rules["version"]):
            rules = latest.rules
    published = RoutingPublished(
        published_at=clock.now(), published_by="release", agencies=agencies, rules=rules
    )
    await publish(connection, published, base_url)
    return published
