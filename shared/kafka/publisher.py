"""The one Kafka producer wrapper: acks=all, idempotent, and honest about failure.

A publish either returns after every in-sync replica has the records, or raises
BrokerUnavailable; callers turn that into 503 + Retry-After, never into success.
"""

import asyncio
import logging
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """Kafka did not acknowledge in time; nothing may be reported as accepted."""


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default=())


class Publisher:
    def __init__(self, bootstrap_servers: str, timeout_seconds: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_seconds
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def publish(self, *records: Record) -> None:
        try:
            await asyncio.wait_for(self._send_all(records), self._timeout)
        except (TimeoutError, KafkaError, OSError) as error:
            # Drop the producer so the next call reconnects: intake recovers without a restart.
            await self._discard()
            raise BrokerUnavailable(str(error) or type(error).__name__) from error

    async def _send_all(self, records: tuple[Record, ...]) -> None:
        producer = await self._ready_producer()
        sent = [
            await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*sent)

    async def close(self) -> None:
        await self._discard()

    async def _ready_producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    acks="all",
                    enable_idempotence=True,
                    request_timeout_ms=int(self._timeout * 1000),
                    linger_ms=2,
                )
                try:
                    await producer.start()
                except BaseException:
                    await _stop_quietly(producer)
                    raise
                self._producer = producer
            return self._producer

    async def _discard(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await _stop_quietly(producer)


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 2.0)
    except Exception as error:  # the broker is already gone; nothing more to release
        log.debug("producer stop failed: %s", error)
