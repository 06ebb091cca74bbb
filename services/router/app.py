"""Router (faust-streaming): no wrong door. Every filed complaint reaches one agency."""

import logging
from typing import Any

import faust

from services.router.fanout import run_forever
from services.router.routing import route_filed
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode, encode
from shared.domain.complaint import Complaint
from shared.domain.routing import default_directory
from shared.kafka import topics
from shared.kafka.streams import raw_topic, stream_app
from shared.logs import about_complaint

log = logging.getLogger(__name__)
SOURCE = "/pintu/router"


def create_app(settings: Settings) -> faust.App:
    app = stream_app("router", settings, settings.router_port)
    directory = default_directory()

    events = raw_topic(app, topics.EVENTS)
    # Dead letters are diagnostics outside the transaction: a crash may repeat one, never lose one.
    dead_letters = raw_topic(app, topics.dead_letters("router"))

    @app.agent(events)
    async def route(stream: Any) -> None:
        async for message in stream.events():
            try:
                event = decode(message.value)
            except PoisonMessage as poison:
                log.warning("dead-lettered: %s", poison)
                await dead_letters.send(
                    key=message.key,
                    value=message.value,
                    headers={topics.DEAD_LETTER_REASON: str(poison).encode()},
                )
                continue
            if not isinstance(event, Complaint.Filed):
                continue
            with about_complaint(event.originator_id):
                routed = route_filed(event, directory)
                key, value = encode(routed, SOURCE, settings.public_base_url)
                # Same topic, same key, same partition: inside this partition's transaction.
                await events.send(key=key, value=value)
                log.info("complaint routed", extra={"agency_id": routed.agency_id})

    @app.task
    async def fan_out() -> None:
        await run_forever(settings.bootstrap_servers)

    return app
