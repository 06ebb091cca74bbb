"""`make watch AGENCY=<agency>`: follow an agency's topic the way the agency's own consumer would."""

import asyncio
from contextlib import suppress

from aiokafka import AIOKafkaConsumer

from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.contracts.cloudevents import CloudEvent


async def follow(connection: KafkaConnection, agency_id: str) -> None:
    consumer = AIOKafkaConsumer(
        topics.routed(agency_id),
        **connection.client_kwargs(),
        group_id=None,  # read everything, commit nothing: watching never disturbs the agency
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    try:
        await start(consumer, connection)
        print(
            f"following {topics.routed(agency_id)} on {connection.bootstrap_servers}; Ctrl-C stops",
            flush=True,
        )
        async for record in consumer:
            event = CloudEvent.model_validate_json(record.value)
            complaint = event.data["complaint"]
            print(
                f"{event.time:%Y-%m-%d %H:%M:%S} {complaint['tracking_id']} "
                f"[{event.data['rule_id']}] {complaint['title']}",
                flush=True,
            )
    finally:
        await consumer.stop()


def run(connection: KafkaConnection, agency_id: str) -> int:
    with suppress(KeyboardInterrupt):
        asyncio.run(follow(connection, agency_id))
    return 0
