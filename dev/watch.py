"""`make watch AGENCY=<agency>`: follow an agency's topic the way the agency's own consumer would."""

import asyncio
from contextlib import suppress

from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, start
from shared.adapters.kafka.consumers import consumer as new_consumer
from shared.contracts.cloudevents import CloudEvent


async def follow(connection: KafkaConnection, agency_id: str) -> None:
    # No group: read everything, commit nothing; watching never disturbs the agency.
    consumer = new_consumer(connection, topics.routed(agency_id), auto_offset_reset="earliest")
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
