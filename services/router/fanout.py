"""Fan-out: every ComplaintRouted on the log, onto its agency's topic, exactly once.

The router's decision (ComplaintRouted on complaints.events) is one transaction
(services/router/owner.py) and this copy to `complaints.routed.<agency_id>` is
another: consume, produce and commit
the consumer offset in one Kafka transaction, with one transactional producer
per input partition. Whoever takes a partition over fences the previous owner
(its open transaction is aborted) before reading the committed offset, so a
crash or rebalance neither drops nor repeats a message.
"""

import json
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared import metrics
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection, all_of

log = logging.getLogger(__name__)
GROUP = "pintu-router-fanout"
ROUTED = b'"type":"pintu.complaint.routed"'


def recipients(record: ConsumerRecord[bytes, bytes]) -> list[str]:
    """The agencies a ComplaintRouted record goes to: the one that must act, then its
    tembusan (copies). Nothing for every other record."""
    if ROUTED not in record.value:
        return []
    try:
        data = json.loads(record.value)["data"]
        named = [data["agency_id"], *data.get("copies", [])]
    except (ValueError, KeyError, TypeError):
        return []  # the router dead-letters what it cannot read
    return [a for a in dict.fromkeys(named) if isinstance(a, str)]


class FanOut(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, connection: KafkaConnection) -> None:
        self._connection = connection
        self._consumer = AIOKafkaConsumer(
            **connection.client_kwargs(),
            group_id=GROUP,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        self._producers: dict[TopicPartition, AIOKafkaProducer] = {}

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            producer = self._producers.pop(tp, None)
            if producer is not None:
                await producer.stop()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        pass  # producers are made on a partition's first batch, where a failure is not swallowed

    async def _owned(self, tp: TopicPartition, first_offset: int) -> AIOKafkaProducer | None:
        """This partition's producer, or None when the batch began before the committed offset."""
        producer = self._producers.get(tp)
        if producer is not None:
            return producer
        producer = AIOKafkaProducer(
            **self._connection.client_kwargs(),
            transactional_id=f"{GROUP}-{tp.topic}-{tp.partition}",
            acks="all",
            enable_idempotence=True,
        )
        await producer.start()  # fences the partition's previous owner, aborting its transaction
        self._producers[tp] = producer
        # Read the committed offset only now, after fencing: it can no longer move under us.
        committed = await self._consumer.committed(tp)
        if committed is not None and committed != first_offset:
            self._consumer.seek(tp, committed)
            return None
        return producer

    async def _partition(
        self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        producer = await self._owned(tp, records[0].offset)
        if producer is not None:
            await self._forward(producer, tp, records)

    async def run(self) -> None:
        self._consumer.subscribe([topics.EVENTS], listener=self)
        await self._consumer.start()
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=2000)
                # One producer per partition: their transactions overlap.
                await all_of(self._partition(tp, records) for tp, records in batches.items())
        finally:
            for producer in self._producers.values():
                await producer.stop()
            self._producers.clear()
            await self._consumer.stop()

    async def _forward(
        self,
        producer: AIOKafkaProducer,
        tp: TopicPartition,
        records: list[ConsumerRecord[bytes, bytes]],
    ) -> None:
        delivered: list[str] = []
        async with producer.transaction():
            for record in records:
                for agency in recipients(record):
                    delivered.append(agency)
                    # The partition follows from the complaint's log partition: one complaint, one order.
                    await producer.send(
                        topics.routed(agency),
                        record.value,
                        key=record.key,
                        partition=topics.agency_partition(tp.partition),
                    )
            await producer.send_offsets_to_transaction({tp: records[-1].offset + 1}, GROUP)
        for agency in delivered:  # counted once committed
            metrics.FANOUT_DELIVERED.labels(agency_id=agency).inc()
