"""SLA (faust-streaming): every open deadline, durable in a table, asked about on time.

The router records deadlines with the steps that start and stop them
(docs/decisions/0001); this service mirrors the open ones in a changelog-backed
table and, every PINTU_SLA_CHECK_SECONDS, asks the router to record a warning or a
breach for each whose time has come (services/sla/timers.py). The router decides
each exactly once, so a restarted service simply asks again, late deadlines
included.
"""

import logging
import time
import uuid
from datetime import datetime
from typing import Any

import faust

from services.sla.timers import Question, mirrored, questions
from shared import clock, metrics
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.publisher import BrokerUnavailable, Publisher, Record
from shared.adapters.kafka.streams import raw_topic, stream_app
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, decode
from shared.contracts.commands import Command, DeadlinePassed, encode_command
from shared.domain.complaint import deadlines_started
from shared.logs import about_complaint

log = logging.getLogger(__name__)
ASK_AGAIN_SECONDS = 30.0  # an unanswered question (the router busy or down) is asked again


def create_app(settings: Settings) -> faust.App:
    app = stream_app("sla", settings, settings.sla_port)
    events = raw_topic(app, topics.EVENTS)
    # complaint id -> its open deadlines, durable through the table's changelog topic. No
    # value_type: faust reads a typed value back through `from_data` (a faust Model's), which
    # a dict has not, and a table of value_type=dict lost every deadline on a restart.
    deadlines = app.Table("deadlines", default=dict, key_type=str)
    commands = Publisher(KafkaConnection.from_settings(settings), "sla")
    asked: dict[Question, float] = {}  # question -> when, on the monotonic clock

    @app.agent(events)
    async def track(stream: Any) -> None:
        async for message in stream.events():
            try:
                event = decode(message.value)
            except PoisonMessage:
                continue  # the router dead-letters poison; the SLA only skips it
            complaint_id = str(event.originator_id)
            changed = mirrored(deadlines[complaint_id], event)
            if changed is None:
                continue
            deadlines[complaint_id] = changed
            for deadline in deadlines_started(event):
                with about_complaint(complaint_id):
                    metrics.DEADLINES_TRACKED.labels(stage=deadline.stage).inc()
                    log.info(
                        "deadline tracked",
                        extra={"stage": deadline.stage, "due_at": deadline.due_at.isoformat()},
                    )

    @app.timer(settings.sla_check_seconds)
    async def check() -> None:
        now, moment = clock.now(), time.monotonic()
        due = [q for key, open_ in deadlines.items() for q in questions(key, open_, now)]
        fresh = [q for q in due if moment - asked.get(q, -ASK_AGAIN_SECONDS) >= ASK_AGAIN_SECONDS]
        if not fresh:
            return
        try:
            await commands.publish(*(_command(q, now) for q in fresh))
        except BrokerUnavailable as error:
            log.warning("could not ask about %d deadlines: %s", len(fresh), error)
            return
        for q in fresh:
            asked[q] = moment
        for q in set(asked) - set(due):
            del asked[q]  # answered: no longer open
        log.info("asked about %d deadlines that came due", len(fresh))

    return app


def _command(question: Question, now: datetime) -> Record:
    command = Command(
        # The same question, asked again, carries the same id: the router's log shows one.
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"{question}"),
        complaint_id=uuid.UUID(question.complaint_id),
        issued_at=now,
        action=DeadlinePassed(
            stage=question.stage, due_at=question.due_at, warning=question.warning
        ),
    )
    return Record(topics.COMMANDS, *encode_command(command))
