"""The one Kafka producer wrapper: transactional, acks=all, and honest about failure.

A publish either returns after the broker committed the records (acks=all), or
raises BrokerUnavailable; callers turn that into 503 + Retry-After, never into
success. Each publish is one Kafka transaction, committed only after every
record is acknowledged, so records of a publish that timed out are never visible
to read_committed readers (every Pintu service, and what the contract asks of
subscribers), even if the abandoned producer delivers them late: its replacement,
under the same transactional id, fences it and the coordinator aborts its
transaction. Only a commit lost in flight can land after a 503; the client's
retry with its Idempotency-Key covers that.
"""

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared import metrics
from shared.adapters.kafka.clients import KafkaConnection, KafkaSignInFailed, start

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
    def __init__(
        self, connection: KafkaConnection, client: str, timeout_seconds: float = 5.0
    ) -> None:
        self._connection = connection
        self._client = client
        # Unique per publisher, stable across its reconnects: a new producer fences the old one.
        instance = uuid.uuid4().hex[:8]
        self._transactional_id = f"pintu-{client}-{socket.gethostname()}-{os.getpid()}-{instance}"
        self._timeout = timeout_seconds
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()  # one transaction at a time per producer

    async def publish(self, *records: Record) -> None:
        try:
            async with self._lock:
                await asyncio.wait_for(self._commit(records), self._timeout)
        except (TimeoutError, KafkaError, OSError) as error:
            metrics.PUBLISH_FAILURES.labels(client=self._client).inc()
            if isinstance(error, KafkaSignInFailed):
                log.error("%s", error)
            # Drop the producer so the next call reconnects: callers recover without a restart.
            await self._abandon()
            raise BrokerUnavailable(str(error) or type(error).__name__) from error

    async def _commit(self, records: tuple[Record, ...]) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(
                **self._connection.client_kwargs(),
                transactional_id=self._transactional_id,
                transaction_timeout_ms=30_000,
                acks="all",
                enable_idempotence=True,
                request_timeout_ms=int(self._timeout * 1000),
            )
            try:
                await start(producer, self._connection)
            except BaseException:
                await _stop_quietly(producer)
                raise
            self._producer = producer
        producer = self._producer
        await producer.begin_transaction()
        sent = [
            await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*sent)
        # Commit only once every record is acknowledged: a publish cancelled before this line
        # leaves an open transaction that the next producer's fencing aborts, never commits.
        await producer.commit_transaction()

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _stop_quietly(producer)

    async def _abandon(self) -> None:
        """Stop a failed producer at once, without flushing what it still holds."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        # A graceful stop would keep retrying the unacknowledged batches until the broker
        # returns. aiokafka (pinned) has no public way to drop them; cancel its sender.
        sender_task = getattr(getattr(producer, "_sender", None), "sender_task", None)
        if sender_task is not None:
            sender_task.cancel()
            sender_task.add_done_callback(_forget)
        await _stop_quietly(producer)


def _forget(task: "asyncio.Task[object]") -> None:
    # The abandoned sender's last error (a fenced or unreachable broker) is expected.
    if not task.cancelled():
        task.exception()


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 2.0)
    except Exception as error:  # the broker is gone; its open transaction will be aborted
        log.debug("producer stop failed: %s", error)
