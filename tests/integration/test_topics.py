"""Topic provisioning is idempotent and gives the public topics their contract settings."""

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.adapters.kafka import topics
from shared.domain.routing import default_directory
from tests.support.brokers import connection


async def test_provisioning_twice_creates_nothing_the_second_time(kafka: str) -> None:
    # The session fixture provisioned once already.
    assert await topics.provision(connection(kafka), default_directory().agencies) == []


async def test_the_event_log_has_twelve_partitions_and_infinite_retention(kafka: str) -> None:
    admin = AIOKafkaAdminClient(**connection(kafka).client_kwargs())
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topics.EVENTS])
        assert len(described["partitions"]) == topics.EVENTS_PARTITIONS
        (configs,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topics.EVENTS)]
        )
        entries = {name: value for name, value, *_ in configs.resources[0][4]}
        assert entries["retention.ms"] == "-1"
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    for agency in default_directory().agencies:
        assert topics.routed(agency) in existing
    for service in topics.SERVICES_WITH_DEAD_LETTERS:
        assert topics.dead_letters(service) in existing
