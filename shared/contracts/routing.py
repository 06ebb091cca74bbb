"""The agency directory and routing rules as events: `pintu.routing.published`.

Each event is a whole version (both documents, as in shared/data/), kept forever
on `routing.events`, so an auditor or a replay knows exactly which directory and
rules were in force at any moment, and an operator changes rules by publishing,
never by editing code. Values are CloudEvents 1.0 like every other Pintu event.
"""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.contracts.cloudevents import CloudEvent, PoisonMessage, parse
from shared.domain.routing import Directory, directory_from

TYPE = "pintu.routing.published"
NAMESPACE = UUID("9a4d2f61-52c7-4f0e-9a36-7f3b1f0c2e55")


class RoutingPublished(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    published_at: datetime
    published_by: str
    agencies: dict[str, Any]  # the directory document (shared/data/agencies.json's shape)
    rules: dict[str, Any]  # the rules document (shared/data/routing_rules.json's shape)

    @property
    def versions(self) -> tuple[int, int]:
        return int(self.agencies["version"]), int(self.rules["version"])

    def directory(self) -> Directory:
        return directory_from(self.agencies, self.rules)


def encode_published(published: RoutingPublished, base_url: str) -> bytes:
    directory_version, rules_version = published.versions
    subject = f"directory-v{directory_version}/rules-v{rules_version}"
    envelope = CloudEvent(
        id=str(uuid5(NAMESPACE, subject)),
        source="/pintu/admin",
        type=TYPE,
        subject=subject,
        time=published.published_at,
        dataschema=f"{base_url.rstrip('/')}/v1/schemas/{TYPE}/v1.json",
        sequence=1,
        data=published.model_dump(mode="json", exclude={"published_at"}),
    )
    return envelope.model_dump_json().encode()


def decode_published(value: bytes) -> RoutingPublished:
    envelope = parse(value)
    if envelope.type != TYPE:
        raise PoisonMessage(f"unknown event type {envelope.type!r}")
    try:
        return RoutingPublished.model_validate({**envelope.data, "published_at": envelope.time})
    except ValidationError as error:
        raise PoisonMessage(f"invalid {TYPE}: {error.errors()[0]['msg']}") from error
