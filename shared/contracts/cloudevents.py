"""The one envelope codec: domain events <-> CloudEvents 1.0 structured-mode JSON.

Agencies and auditors depend on this shape; change it only with a new version.
"""

from datetime import datetime
from functools import cache
from typing import Any, Literal
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shared.contracts import chain
from shared.domain.complaint import Complaint
from shared.domain.model import Aggregate, DomainEvent

EVENT_ID_NAMESPACE = UUID("0b8e7f55-9d0e-4c43-8f4a-0d8f5b8f2a11")

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    "pintu.complaint.filed": Complaint.Filed,
    "pintu.complaint.routed": Complaint.Routed,
    "pintu.complaint.deadline_scheduled": Complaint.DeadlineScheduled,
    "pintu.complaint.declined": Complaint.Declined,
    "pintu.complaint.deadline_warned": Complaint.DeadlineWarned,
    "pintu.complaint.deadline_breached": Complaint.DeadlineBreached,
    "pintu.complaint.deadline_stopped": Complaint.DeadlineStopped,
    "pintu.complaint.escalated": Complaint.Escalated,
    "pintu.complaint.verified": Complaint.Verified,
    "pintu.complaint.acknowledged": Complaint.Acknowledged,
    "pintu.complaint.followed_up": Complaint.FollowedUp,
    "pintu.complaint.information_requested": Complaint.InformationRequested,
    "pintu.complaint.postponed": Complaint.Postponed,
    "pintu.complaint.reporter_replied": Complaint.ReporterReplied,
    "pintu.complaint.resolved": Complaint.Resolved,
    "pintu.complaint.auto_closed": Complaint.AutoClosed,
    "pintu.complaint.reopened": Complaint.Reopened,
    "pintu.complaint.rated": Complaint.Rated,
    "pintu.complaint.archived": Complaint.Archived,
}
TYPE_NAMES = {cls: name for name, cls in EVENT_TYPES.items()}
# What the envelope itself carries (subject, sequence, time, the aggregate), not `data`.
ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_TIME = TypeAdapter(datetime)


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 structured-mode event; `sequence` is the complaint's event number."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    sequence: int = Field(ge=1, description="per-complaint event number, 1 for the filing")
    dataversion: int = Field(default=1, ge=1, description="version of the data's schema")
    data: dict[str, Any]
    # Tamper evidence (shared/contracts/chain.py); absent on events written before it.
    prevhash: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="hash of the complaint's previous event; absent on its first",
    )
    hash: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="sha256 hex of the RFC 8785 canonical JSON of this envelope without `hash`",
    )


class PoisonMessage(Exception):
    """A message that is not a valid Pintu event; the reason goes to the dead-letter topic."""


def event_id(complaint_id: UUID | str, sequence: int) -> str:
    """uuid5(EVENT_ID_NAMESPACE, "<complaint id>/<sequence>"), as text.

    Deterministic: the same logical event always carries the same id, so sinks can dedupe."""
    return str(uuid5(EVENT_ID_NAMESPACE, f"{complaint_id}/{sequence}"))


def schema_version(event_class: type[DomainEvent]) -> int:
    # eventsourcing's convention: `class_version`, with `upcast_vN_vN+1` to read older data.
    return int(getattr(event_class, "class_version", 1))


def schema_url(base_url: str, type_name: str, version: int) -> str:
    return f"{base_url.rstrip('/')}/v1/schemas/{type_name}/v{version}.json"


def encode(
    event: DomainEvent, source: str, base_url: str, previous: chain.Link | None = None
) -> tuple[bytes, bytes]:
    """Key (the complaint id) and value of the Kafka record carrying `event`, sealed and
    chained to `previous`: the link (number and hash) of the complaint's event before it
    (None for its filing). A writer of the log always passes it; without it a later event is unchained,
    which `pintu audit verify` reports."""
    previous_hash = None
    if previous is not None:
        previous_hash = chain.chained_to(previous, event.originator_version)
    members = envelope(event, source, base_url)
    sealed = chain.sealed_value(members, previous_hash)
    return members["subject"].encode(), sealed


def envelope(event: DomainEvent, source: str, base_url: str) -> dict[str, Any]:
    """The CloudEvent model of `event`, as JSON-ready members: equal member for member to the
    model built and validated (tests/unit/test_cloudevents.py holds them so), put together
    from pydantic's own
    serialisation of the event's data and of the time, without building and validating the
    envelope model: the router encodes every event it appends."""
    type_name, version, schema = _described(type(event), base_url)
    sequence = event.originator_version
    subject = str(event.originator_id)
    return {
        "specversion": "1.0",
        "id": event_id(subject, sequence),
        "source": source,
        "type": type_name,
        "subject": subject,
        "time": _TIME.dump_python(event.timestamp, mode="json"),
        "datacontenttype": "application/json",
        "dataschema": schema,
        "sequence": sequence,
        "dataversion": version,
        "data": event.__pydantic_serializer__.to_python(
            event, mode="json", exclude=ENVELOPE_FIELDS
        ),
    }


@cache
def _described(event_class: type[DomainEvent], base_url: str) -> tuple[str, int, str]:
    """An event class's type name, schema version and schema URL."""
    type_name = TYPE_NAMES[event_class]
    version = schema_version(event_class)
    return type_name, version, schema_url(base_url, type_name, version)


def parse(value: bytes) -> CloudEvent:
    try:
        return CloudEvent.model_validate_json(value)
    except ValidationError as error:
        raise PoisonMessage(f"not a CloudEvents 1.0 envelope: {_first_error(error)}") from error


def decode(value: bytes) -> DomainEvent:
    """The domain event inside a record value, or PoisonMessage saying why not."""
    return event_of(parse(value))


def event_of(envelope: CloudEvent) -> DomainEvent:
    """The domain event an envelope carries, or PoisonMessage saying why not."""
    event_class = EVENT_TYPES.get(envelope.type)
    if event_class is None:
        raise PoisonMessage(f"unknown event type {envelope.type!r}")
    data = dict(envelope.data)
    current = schema_version(event_class)
    if envelope.dataversion > current:
        raise PoisonMessage(
            f"{envelope.type} v{envelope.dataversion} is newer than this service (v{current})"
        )
    for version in range(envelope.dataversion, current):
        getattr(event_class, f"upcast_v{version}_v{version + 1}")(data)
    fields: dict[str, Any] = {
        "originator_id": envelope.subject,
        "originator_version": envelope.sequence,
        "timestamp": envelope.time,
        **data,
    }
    if issubclass(event_class, Aggregate.Created):
        fields["originator_topic"] = f"{Complaint.__module__}:{Complaint.__qualname__}"
    try:
        return event_class.model_validate(fields)
    except ValidationError as error:
        raise PoisonMessage(f"invalid {envelope.type} data: {_first_error(error)}") from error


def event_json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of each event type's `data`, as published to agency developers."""
    schemas = {}
    for name, cls in EVENT_TYPES.items():
        schema = cls.model_json_schema()
        for field in ENVELOPE_FIELDS:
            schema.get("properties", {}).pop(field, None)
            if field in schema.get("required", []):
                schema["required"].remove(field)
        schema["title"] = f"{name} v{schema_version(cls)}"
        schemas[name] = schema
    return schemas


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "message"
    return f"{where}: {first['msg']}"
