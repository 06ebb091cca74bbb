"""The router's verdicts on the commands this intake sent, so an action answers in kind.

Every intake replica reads all of `complaints.outcomes` from where it stood when it
started (no consumer group: each one hears every verdict and keeps those it waits
for). A verdict that does not come in time leaves the action accepted (202): the
complaint's timeline shows what the router made of it.
"""

import asyncio
import logging
from uuid import UUID

from aiokafka import TopicPartition

from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.adapters.kafka.consumers import consumer as new_consumer
from shared.contracts.commands import Outcome, decode_outcome

log = logging.getLogger(__name__)


class Outcomes:
    def __init__(self, connection: KafkaConnection) -> None:
        self._connection = connection
        self._waiting: dict[UUID, asyncio.Future[Outcome]] = {}
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def expect(self, command_id: UUID) -> asyncio.Future[Outcome]:
        """Register before the command is sent, so its verdict cannot slip past."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = future
        return future

    async def wait(
        self, command_id: UUID, future: asyncio.Future[Outcome], timeout: float
    ) -> Outcome | None:
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(command_id, None)

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker went away: listen again when it is back
                log.warning("not hearing the router's verdicts (%s); retrying", error)
                await asyncio.sleep(2)

    async def _listen(self) -> None:
        consumer = new_consumer(self._connection)
        await start(consumer, self._connection)
        try:
            # Provisioned like the log (shared/adapters/kafka/topics.py), so its partitions are known.
            assigned = [TopicPartition(topics.OUTCOMES, p) for p in range(topics.EVENTS_PARTITIONS)]
            consumer.assign(assigned)
            await consumer.seek_to_end(*assigned)
            for tp in assigned:
                await consumer.position(tp)  # fixed now: nothing sent after this is missed
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    for record in records:
                        self._heard(record.value)
        finally:
            await consumer.stop()

    def _heard(self, value: bytes | None) -> None:
        try:
            outcome = decode_outcome(value or b"")
        except ValueError:
            log.warning("an unreadable verdict on %s", topics.OUTCOMES)
            return
        future = self._waiting.get(outcome.command_id)
        if future is not None and not future.done():
            future.set_result(outcome)
