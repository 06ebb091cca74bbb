"""SLA (faust-streaming): every open deadline, durable in a table, asked about on time.

The router records deadlines with the steps that start and stop them
(docs/decisions/0003); this service mirrors the open ones in a changelog-backed
table and, every PINTU_SLA_CHECK_SECONDS, asks the router to record a warning or a
breach for each whose time has come (services/sla/timers.py), found by time, not by
looking at every open deadline. The router decides each exactly once, so a restarted
service simply asks again, late deadlines included (docs/decisions/0010).
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import faust

from services.sla.timers import DueIndex, Question, came_due, mirrored, next_moment
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
ASK_AGAIN = timedelta(seconds=30)  # an unanswered question is asked again


def create_app(settings: Settings) -> faust.App:
    app = stream_app("sla", settings, settings.sla_port)
    events = raw_topic(app, topics.EVENTS)
    # complaint id -> its open deadlines (services/sla/timers.py), durable through the
    # table's changelog topic. A complaint with none open leaves the table (a tombstone).
    deadlines = app.Table("deadlines", default=str, key_type=str)
    due = DueIndex()  # when to look at which complaint; rebuilt after every rebalance
    commands = Publisher(KafkaConnection.from_settings(settings), "sla")

    def reindex_now() -> None:
        due.rebuild({key: next_moment(value) for key, value in deadlines.items()})

    @deadlines.on_recover
    async def reindex() -> None:
        # The table now holds this worker's partitions and only those.
        reindex_now()
        log.info("watching %d complaints with open deadlines", len(due))

    @app.agent(events)
    async def track(stream: Any) -> None:
        async for message in stream.events():
            try:
                event = decode(message.value)
            except PoisonMessage:
                continue  # the router dead-letters poison; the SLA only skips it
            complaint_id = str(event.originator_id)
            changed = mirrored(deadlines.get(complaint_id, ""), event)
            if changed is None:
                continue
            if changed:
                deadlines[complaint_id] = changed
                due.remind(complaint_id, next_moment(changed))
            elif complaint_id in deadlines:
                del deadlines[complaint_id]
            if due.outgrown(len(deadlines)):
                reindex_now()
            for deadline in deadlines_started(event):
                with about_complaint(complaint_id):
                    metrics.DEADLINES_TRACKED.labels(stage=deadline.stage).inc()
                    log.info(
                        "deadline tracked",
                        extra={"stage": deadline.stage, "due_at": deadline.due_at.isoformat()},
                    )

    held_back = False  # the last check could not ask: its warning is said once, not per check

    @app.timer(settings.sla_check_seconds)
    async def check() -> None:
        nonlocal held_back
        now = clock.now()
        looked = came_due(due, deadlines, now)
        asked = [q for qs in looked.values() for q in qs]
        if not asked:
            return
        try:
            await commands.publish(*(_command(q, now) for q in asked))
        except BrokerUnavailable as error:
            if not held_back:
                log.warning("could not ask about %d deadlines, retrying: %s", len(asked), error)
            held_back = True
            for complaint_id in looked:
                due.remind(complaint_id, now)  # the next check tries again
            return
        # Asked; the router's answer changes the table. Unanswered (the router busy or
        # down), ask again later.
        for complaint_id in looked:
            due.remind(complaint_id, now + ASK_AGAIN)
        held_back = False
        log.info("asked about %d deadlines that came due", len(asked))

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
