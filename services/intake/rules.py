"""A new version of the routing rules: checked against the version in force, then published
on `routing.events`, where every router takes it up. The API's PUT and the national admin's
page in the console both go this one way."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared import clock
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.routing_feed import publish, read_published
from shared.contracts.routing import RoutingPublished


class RulesDocument(BaseModel):
    """A new version of the routing rules, in shared/data/routing_rules.json's shape."""

    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=1, description="must be higher than the version in force")
    note: str | None = Field(None, max_length=2000, description="what the rules are, for people")
    rules: list[dict[str, object]] = Field(
        min_length=1,
        examples=[
            [
                {"id": "jalan-daerah", "category": "jalan-daerah", "government": "regency_or_city"},
                {"id": "jalan-nasional", "category": "jalan-nasional", "agency": "kemen-pu"},
            ]
        ],
    )


class Refusal(StrEnum):
    NOTHING_IN_FORCE = "nothing_in_force"  # the router never published its first version
    NOT_NEWER = "not_newer"
    DOES_NOT_LOAD = "does_not_load"


class RulesRefused(Exception):
    def __init__(self, why: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.why = why
        self.detail = detail


async def in_force(kafka: KafkaConnection) -> RoutingPublished:
    """The directory and rules the routers decide by now."""
    feed = await read_published(kafka)
    if not feed.published:
        raise RulesRefused(
            Refusal.NOTHING_IN_FORCE, "No routing is in force yet: start the router once first."
        )
    return feed.published[-1]


def proposed(now_in_force: RoutingPublished, document: RulesDocument, by: str) -> RoutingPublished:
    """The version `document` would publish over the one in force, with its directory; refused
    when it is not newer or does not load."""
    if document.version <= now_in_force.versions[1]:
        raise RulesRefused(
            Refusal.NOT_NEWER,
            f"Rules v{document.version} are not newer than v{now_in_force.versions[1]} in force.",
        )
    version = RoutingPublished(
        published_at=clock.now(),
        published_by=by,
        agencies=now_in_force.agencies,
        rules=document.model_dump(exclude_none=True),
    )
    try:
        version.directory()
    except (ValueError, TypeError, KeyError) as error:
        raise RulesRefused(Refusal.DOES_NOT_LOAD, f"These rules do not load: {error}") from error
    return version


async def put_in_force(
    kafka: KafkaConnection, document: RulesDocument, by: str, base_url: str
) -> RoutingPublished:
    """Publish `document` as the rules in force, once checked against the version in force."""
    version = proposed(await in_force(kafka), document, by)
    await publish(kafka, version, base_url)
    return version
