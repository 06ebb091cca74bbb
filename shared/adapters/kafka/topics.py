"""Topic names of the public contract, and idempotent provisioning."""

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from shared.adapters.kafka.clients import KafkaConnection, start

log = logging.getLogger(__name__)

EVENTS = "complaints.events"
EVENTS_PARTITIONS = 12
# An agency's topic is small; few partitions keep hundreds of agencies cheap to run.
AGENCY_PARTITIONS = 3
# Internal: what other services ask of a complaint's owner, the router (docs/decisions/0001).
# Partitioned like the log, so a complaint's commands meet its state on one router partition.
COMMANDS = "complaints.commands"
# Internal: the owner's verdict on each command (shared/contracts/commands.py: Outcome).
OUTCOMES = "complaints.outcomes"
OUTCOMES_RETENTION_MS = 7 * 24 * 3600 * 1000
# Internal: the router's snapshot of each open complaint (services/router/state.py), compacted;
# partitioned like the log, partition p holding the complaints of log partition p.
ROUTER_STATE = "pintu-router-state"
# Every version of the agency directory and routing rules (shared/contracts/routing.py).
ROUTING = "routing.events"
DEAD_LETTER_REASON = "pintu-dlq-reason"  # header naming why a message was dead-lettered
SERVICES_WITH_DEAD_LETTERS = ("router", "sla", "notifier", "projections")
# Durable tables of the stream processors (service, table). Provisioned with the rest so a
# worker never races its own topic creation, and so operators see every topic in one list.
STREAM_TABLES = (("sla", "deadlines"),)


def app_id(service: str) -> str:
    """The faust app id (and consumer group) of a stream processor."""
    return f"pintu-{service}"


def table_changelog(service: str, table: str) -> str:
    # faust's own naming for a table's changelog topic.
    return f"{app_id(service)}-{table}-changelog"


def routed(agency_id: str) -> str:
    """The topic an agency subscribes to."""
    return f"complaints.routed.{agency_id}"


def agency_partition(events_partition: int) -> int:
    """Where a complaint lands on its agency's topic: fixed per complaint, so in order."""
    return events_partition % AGENCY_PARTITIONS


def dead_letters(service: str) -> str:
    return f"complaints.dlq.{service}"


async def partitions_of(connection: KafkaConnection, topic: str) -> list[TopicPartition]:
    """The topic's partitions, in order; LookupError when the cluster has no such topic."""
    admin = AIOKafkaAdminClient(**connection.client_kwargs())
    await start(admin, connection)
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code") or not described.get("partitions"):
        raise LookupError(f"there is no topic {topic!r} on {connection.describe()}")
    return [
        TopicPartition(topic, p) for p in sorted(d["partition"] for d in described["partitions"])
    ]


def planned_topics(agency_ids: Iterable[str], replication: int = 1) -> list[NewTopic]:
    forever = {"retention.ms": "-1", "min.insync.replicas": str(min(2, replication))}
    week = {**forever, "retention.ms": str(OUTCOMES_RETENTION_MS)}  # answers, read at once
    topics = [
        NewTopic(EVENTS, EVENTS_PARTITIONS, replication, topic_configs=forever),
        NewTopic(COMMANDS, EVENTS_PARTITIONS, replication, topic_configs=forever),
        NewTopic(OUTCOMES, EVENTS_PARTITIONS, replication, topic_configs=week),
        NewTopic(ROUTING, 1, replication, topic_configs=forever),
    ]
    topics += [
        NewTopic(routed(a), AGENCY_PARTITIONS, replication, topic_configs=forever)
        for a in agency_ids
    ]
    topics += [
        NewTopic(dead_letters(s), 1, replication, topic_configs=forever)
        for s in SERVICES_WITH_DEAD_LETTERS
    ]
    compacted = {"cleanup.policy": "compact"}
    topics.append(NewTopic(ROUTER_STATE, EVENTS_PARTITIONS, replication, topic_configs=compacted))
    topics += [
        NewTopic(
            table_changelog(s, t),
            EVENTS_PARTITIONS,
            replication,
            topic_configs=compacted,
        )
        for s, t in STREAM_TABLES
    ]
    return topics


async def _grow_partitions(admin: AIOKafkaAdminClient, planned: list[NewTopic]) -> None:
    """Bring topics made by an older version up to the planned partition count."""
    if not planned:
        return
    described = {
        d["topic"]: len(d["partitions"])
        for d in await admin.describe_topics([t.name for t in planned])
    }
    short = {
        t.name: NewPartitions(t.num_partitions)
        for t in planned
        if described[t.name] < t.num_partitions
    }
    if short:
        await admin.create_partitions(short)
        log.info("partitions added", extra={"topics": sorted(short)})


async def _create(admin: AIOKafkaAdminClient, topic: NewTopic) -> bool:
    """True when this call created the topic; False when it already existed."""
    # aiokafka returns per-topic errors in the response instead of raising them.
    response = await admin.create_topics([topic], timeout_ms=30_000)
    for name, code, *message in response.topic_errors:
        error = for_code(code)
        if error is TopicAlreadyExistsError:  # another process won the race: fine
            return False
        if code != 0:
            detail = message[0] if message and message[0] else error.description
            raise error(f"could not create topic {name}: {detail}")
    return True


async def _wait_visible(admin: AIOKafkaAdminClient, names: set[str], timeout: float = 60) -> None:
    """Creation is acknowledged by the controller before every broker lists the topic."""
    deadline = asyncio.get_running_loop().time() + timeout
    while missing := names - set(await admin.list_topics()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics created but not visible after {timeout:.0f}s: {missing}")
        await asyncio.sleep(0.2)


async def provision(
    connection: KafkaConnection, agency_ids: Iterable[str], replication: int = 1
) -> list[str]:
    """Create the missing topics; existing ones are left as they are. Returns the created names."""
    admin = AIOKafkaAdminClient(**connection.client_kwargs(), request_timeout_ms=15000)
    try:
        await start(admin, connection)
        existing = set(await admin.list_topics())
        planned = planned_topics(agency_ids, replication)
        missing = [t for t in planned if t.name not in existing]
        await _grow_partitions(admin, [t for t in planned if t.name in existing])
        created = []
        for topic in missing:
            if await _create(admin, topic):
                created.append(topic.name)
        if created:
            log.info("topics created", extra={"topics": created})
            await _wait_visible(admin, set(created))
        return created
    finally:
        await admin.close()
