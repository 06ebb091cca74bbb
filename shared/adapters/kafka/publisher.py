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
MAX_BATCH = 500  # records in one transaction: the waiting publishes beyond wait for the next
Waiting = tuple[tuple["Record", ...], "asyncio.Future[None]"]  # a publish's records, its answer


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
        self._waiting: list[Waiting] = []
        self._committing: asyncio.Task[None] | None = None

    async def publish(self, *records: Record) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((records, done))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_waiting())
        await done

    async def _commit_waiting(self) -> None:
        """Commit the waiting publishes, a transaction at a time, until none is left."""
        while self._waiting:
            batch: list[Waiting] = []
            count = 0
            while self._waiting and (not batch or count + len(self._waiting[0][0]) <= MAX_BATCH):
                records, done = self._waiting.pop(0)
                batch.append((records, done))
                count += len(records)
            try:
                together = tuple(r for records, _ in batch for r in records)
                await asyncio.wait_for(self._commit(together), self._timeout)
            except (TimeoutError, KafkaError, OSError) as error:
                metrics.PUBLISH_FAILURES.labels(client=self._client).inc(len(batch))
                if isinstance(error, KafkaSignInFailed):
                    log.error("%s", error)
                # Drop the producer so the next call reconnects: callers recover without a
                # restart.
                await self._abandon()
                failed = BrokerUnavailable(str(error) or type(error).__name__)
                _settle(batch, failed)
            except BaseException:
                _settle(batch, BrokerUnavailable("the publisher stopped"))
                raise
            else:
                _settle(batch, None)

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
        if self._committing is not None:
            await asyncio.gather(self._committing, return_exceptions=True)
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


def _settle(batch: list[Waiting], error: Exception | None) -> None:
    for _, done in batch:
        if done.done():  # its caller gave up waiting (cancelled): nothing to tell
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


def _forget(task: "asyncio.Task[object]") -> None:
    # The abandoned sender's last error (a fenced or unreachable broker) is expected.
    if not task.cancelled():
        task.exception()


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 2.0)
    except Exception as error:  # the broker is gone; its open transaction will be aborted
        log.debug("producer stop failed: %s", error)
