"""Router (faust-streaming): no wrong door, and each complaint's one writer after filing.

It routes every filed complaint, and carries out the commands others send about
it (bukan wewenang, reassignment): services/router/lifecycle.py decides, this
module reads and appends (docs/decisions/0001). A table keeps each complaint's
recorded events; it is written in the same transaction as what the router
appends, so a redelivered message after a crash finds its work already done.
"""

import logging
from typing import Any

import faust

from services.router.fanout import run_forever
from services.router.lifecycle import on_command, on_filed, replay
from shared import metrics
from shared.config import Settings
from shared.contracts.cloudevents import PoisonMessage, encode, event_of, parse
from shared.contracts.commands import decode_command
from shared.domain.complaint import Complaint, InvalidTransition
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection
from shared.kafka.streams import raw_topic, stream_app
from shared.logs import about_complaint

log = logging.getLogger(__name__)
SOURCE = "/pintu/router"


def create_app(settings: Settings) -> faust.App:
    app = stream_app("router", settings, settings.router_port)
    directory = default_directory()

    events = raw_topic(app, topics.EVENTS)
    # One agent reads both, so a complaint's events and commands are handled one at a time.
    inbox = raw_topic(app, topics.EVENTS, topics.COMMANDS)
    # Dead letters are diagnostics outside the transaction: a crash may repeat one, never lose one.
    dead_letters = raw_topic(app, topics.dead_letters("router"))
    # complaint id -> its events so far (CloudEvent JSON, in sequence order).
    histories = app.Table("complaints", default=list, key_type=str, value_type=list)

    async def dead_letter(message: Any, reason: str) -> None:
        log.warning("dead-lettered: %s", reason)
        await dead_letters.send(
            key=message.key,
            value=message.value,
            headers={topics.DEAD_LETTER_REASON: reason.encode()},
        )
        metrics.DEAD_LETTERS.labels(service="router").inc()

    async def append(complaint_id: str, history: list[str], new: list[DomainEvent]) -> None:
        for event in new:
            key, value = encode(event, SOURCE, settings.public_base_url)
            # Same topic and key as the input: this partition's transaction, with the table.
            await events.send(key=key, value=value)
            history.append(value.decode())
            if isinstance(event, Complaint.Routed):
                log.info("complaint routed", extra={"agency_id": event.agency_id})
                metrics.COMPLAINTS_ROUTED.labels(agency_id=event.agency_id).inc()
            elif isinstance(event, Complaint.DeadlineScheduled):
                metrics.DEADLINES_SCHEDULED.labels(stage=event.stage).inc()
        histories[complaint_id] = history

    async def on_event(message: Any) -> None:
        try:
            event = event_of(parse(message.value))
        except PoisonMessage as poison:
            await dead_letter(message, str(poison))
            return
        complaint_id = str(event.originator_id)
        history = list(histories[complaint_id])
        if event.originator_version <= len(history):
            return  # already recorded: our own append coming back, or a redelivery
        history.append(message.value.decode())
        if not isinstance(event, Complaint.Filed):
            histories[complaint_id] = history
            return
        with about_complaint(complaint_id):
            await append(complaint_id, history, on_filed(replay(history), directory))

    async def on_command_message(message: Any) -> None:
        try:
            command = decode_command(message.value)
        except PoisonMessage as poison:
            await dead_letter(message, str(poison))
            return
        complaint_id = str(command.complaint_id)
        history = list(histories[complaint_id])
        with about_complaint(complaint_id):
            try:
                new = on_command(replay(history), command, directory)
            except InvalidTransition as refused:
                await dead_letter(message, f"command {command.id} refused: {refused}")
                return
            await append(complaint_id, history, new)

    @app.agent(inbox)
    async def own(stream: Any) -> None:
        async for message in stream.events():
            if message.message.topic == topics.COMMANDS:
                await on_command_message(message)
            else:
                await on_event(message)

    @app.task
    async def fan_out() -> None:
        await run_forever(KafkaConnection.from_settings(settings))

    return app
