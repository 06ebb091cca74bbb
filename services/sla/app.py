"""SLA (faust-streaming): the open deadlines of every complaint, durable in a table.

The router records a deadline with the step that starts its clock
(docs/decisions/0001); this service keeps every open one at hand, so that
warnings and escalations (issue 5) fire on time, in working days.
"""

import logging
from typing import Any

import faust

from shared import metrics
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode
from shared.domain.complaint import Complaint
from shared.kafka import topics
from shared.kafka.streams import raw_topic, stream_app
from shared.logs import about_complaint

log = logging.getLogger(__name__)


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
            complaint_id = str(event.originator_id)
            if isinstance(event, Complaint.Routed):
                deadlines[complaint_id] = {}  # a new agency: its clocks start afresh
            elif isinstance(event, Complaint.DeadlineScheduled):
                with about_complaint(complaint_id):
                    deadlines[complaint_id] = {
                        **deadlines[complaint_id],
                        event.stage: event.due_at.isoformat(),
                    }
                    metrics.DEADLINES_TRACKED.labels(stage=event.stage).inc()
                    log.info(
                        "deadline tracked",
                        extra={"stage": event.stage, "due_at": event.due_at.isoformat()},
                    )

    return app
