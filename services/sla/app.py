"""SLA (faust-streaming): every routed complaint gets an explicit, durable deadline."""

import logging
from typing import Any

import faust

from services.sla.deadlines import first_follow_up
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode, encode
from shared.domain.complaint import Complaint
from shared.kafka import topics
from shared.kafka.streams import raw_topic, stream_app
from shared.logs import about_complaint

log = logging.getLogger(__name__)
SOURCE = "/pintu/sla"


def create_app(settings: Settings) -> faust.App:
    app = stream_app("sla", settings, settings.sla_port)
    events = raw_topic(app, topics.EVENTS)
    # Open deadlines per complaint id, durable through the table's changelog topic.
    deadlines = app.Table("deadlines", default=dict, key_type=str, value_type=dict)

    @app.agent(events)
    async def track(stream: Any) -> None:
        async for message in stream.events():
            try:
                event = decode(message.value)
            except PoisonMessage:
                continue  # the router dead-letters poison; the SLA only skips it
            if not isinstance(event, Complaint.Routed):
                continue
            complaint_id = str(event.originator_id)
            with about_complaint(complaint_id):
                scheduled = first_follow_up(event)
                if scheduled.stage in deadlines[complaint_id]:
                    continue
                deadlines[complaint_id] = {
                    **deadlines[complaint_id],
                    scheduled.stage: scheduled.due_at.isoformat(),
                }
                key, value = encode(scheduled, SOURCE, settings.public_base_url)
                await events.send(key=key, value=value)
                log.info(
                    "deadline scheduled",
                    extra={"stage": scheduled.stage, "due_at": scheduled.due_at.isoformat()},
                )

    return app
