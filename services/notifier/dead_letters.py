"""The notifier's dead letters (complaints.dlq.notifier), and `pintu notifier-redeliver`.

A dead letter is a delivery that failed its last try, or that its endpoint refused: the
value is what was to be sent (the webhook's body, the letter, the text; never a reporter's
address), the key the complaint id, and headers name the reason and the delivery (event
id, recipient, channel). Redelivering reads the topic to its end and makes each dead
delivery pending again in the outbox, with all its tries; the running notifier sends it.
A delivery that is no longer dead (redelivered already, or sent) is left alone, so a
second run, or two dead letters of one delivery, send nothing twice.
"""

import time
from dataclasses import dataclass

from services.notifier.outbox import Delivery, Outbox
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.consumers import read_to_end, records_of
from shared.adapters.kafka.publisher import Record

TOPIC = topics.dead_letters("notifier")
EVENT_ID = "pintu-event-id"
RECIPIENT = "pintu-recipient"
CHANNEL = "pintu-channel"


def dead_letter(delivery: Delivery, why: str) -> Record:
    headers = (
        (topics.DEAD_LETTER_REASON, why.encode()),
        (EVENT_ID, delivery.event_id.encode()),
        (RECIPIENT, delivery.recipient.encode()),
        (CHANNEL, delivery.channel.encode()),
    )
    return Record(TOPIC, delivery.complaint_id.encode(), delivery.payload, headers)


@dataclass(frozen=True)
class DeadDelivery:
    event_id: str
    recipient: str
    channel: str
    reason: str


async def read_dead_letters(connection: KafkaConnection) -> tuple[list[DeadDelivery], int]:
    """Every dead delivery on the topic up to its end now, and how many records were not
    the notifier's deliveries (no delivery headers)."""
    try:
        partitions = await topics.partitions_of(connection, TOPIC)
    except LookupError:
        raise LookupError(f"there is no topic {TOPIC}: run `pintu topics` first") from None
    found: list[DeadDelivery] = []
    other = 0
    async for batch in read_to_end(connection, partitions):
        for record in records_of(batch):
            headers = {k: v.decode(errors="replace") for k, v in record.headers}
            if {EVENT_ID, RECIPIENT, CHANNEL} <= headers.keys():
                found.append(
                    DeadDelivery(
                        headers[EVENT_ID],
                        headers[RECIPIENT],
                        headers[CHANNEL],
                        headers.get(topics.DEAD_LETTER_REASON, ""),
                    )
                )
            else:
                other += 1
    return found, other


def redeliver(outbox: Outbox, dead: list[DeadDelivery]) -> list[DeadDelivery]:
    """Make each dead delivery pending again, once; returns those made pending."""
    requeued = []
    for delivery in dict.fromkeys(dead):
        if outbox.requeue(delivery.event_id, delivery.recipient, delivery.channel, time.time()):
            requeued.append(delivery)
    return requeued
