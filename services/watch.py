"""`pintu watch <agency>`: follow an agency's topic the way the agency's own consumer would."""

import asyncio
from contextlib import suppress

from aiokafka import AIOKafkaConsumer

from shared.contracts.cloudevents import CloudEvent
from shared.kafka import topics


async def follow(bootstrap_servers: str, agency_id: str) -> None:
    consumer = AIOKafkaConsumer(
        topics.routed(agency_id),
        bootstrap_servers=bootstrap_servers,
        group_id=None,  # read everything, commit nothing: watching never disturbs the agency
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    print(f"following {topics.routed(agency_id)} on {bootstrap_servers}; Ctrl-C stops", flush=True)
    try:
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


def run(bootstrap_servers: str, agency_id: str) -> int:
    with suppress(KeyboardInterrupt):
        asyncio.run(follow(bootstrap_servers, agency_id))
    return 0
