"""Router (faust-streaming): no wrong door. Every filed complaint reaches one agency."""

import logging
from functools import cache
from typing import Any

import faust

from services.router.routing import route_filed
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode
from shared.domain.complaint import Complaint
from shared.domain.routing import default_directory
from shared.kafka import topics
from shared.kafka.streams import raw_topic, stream_app
from shared.logs import about_complaint

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> faust.App:
    app = stream_app("router", settings, settings.router_port)
    directory = default_directory()

    @cache
    def topic(name: str) -> Any:
        return raw_topic(app, name)

    events = topic(topics.EVENTS)
    dead_letters = topic(topics.dead_letters("router"))

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
                outcome = route_filed(event, directory, settings.public_base_url)
                for record in outcome.records:
                    await topic(record.topic).send(key=record.key, value=record.value)
                log.info("complaint routed", extra={"agency_id": outcome.agency_id})

    return app
