"""The router's state of one complaint, as it keeps it and as the state topic holds it.

A snapshot is the complaint aggregate's state (eventsourcing's own: the attributes its
events set), with the number and the hash of its last event on the log: what the router
needs to decide the next command and to chain the next event to the last. The router keeps
one per open complaint, as these bytes, and writes each changed one to its state topic in
the transaction of the decisions it reflects (services/router/owner.py,
docs/decisions/0012).

`FORMAT` is a fingerprint of the snapshot's schema. It changes by itself when a field of
the aggregate is added, removed or retyped here, and a snapshot of another format is never
read: the router rebuilds that partition's state from the log instead (decision 0012).
tests/unit/test_router_state.py fails when the aggregate gains an attribute this schema
does not hold.
"""

import hashlib
from datetime import date, datetime
from uuid import UUID

import orjson
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from shared.domain.complaint import (
    Attachment,
    Channel,
    Complaint,
    ReportType,
    Status,
)
from shared.domain.deadlines import Due, Tier
from shared.domain.identity import SealedIdentity


class ComplaintState(TypedDict):
    """Every attribute a complaint's events set (shared/domain/complaint.py)."""

    tracking_id: str
    report_type: ReportType
    title: str
    description: str
    category: str
    region_code: str
    channel: Channel
    incident_date: date | None
    agency_hint: str | None
    anonymous: bool
    confidential: bool
    address: str | None
    latitude: float | None
    longitude: float | None
    attachments: tuple[Attachment, ...]
    reporter: SealedIdentity | None
    reporter_token_hash: str | None
    status: Status
    agency_id: str | None
    declined_by: tuple[str, ...]
    verified: bool
    tier: Tier
    answered: bool
    deadlines: dict[str, Due]
    warned: tuple[str, ...]
    breached: tuple[str, ...]
    escalation_level: int
    paused: dict[str, Due]
    paused_at: datetime | None
    status_before_pause: Status | None
    rating: int | None


class Snapshot(TypedDict):
    format: str  # first: a reader checks it without parsing the rest
    complaint_id: UUID
    sequence: int  # the number of its last event: the aggregate's version
    hash: str  # its last event's hash, which the next event carries as prevhash
    created_on: datetime
    modified_on: datetime
    state: ComplaintState


_SNAPSHOT = TypeAdapter(Snapshot)
FORMAT = hashlib.sha256(orjson.dumps(_SNAPSHOT.json_schema(), option=orjson.OPT_SORT_KEYS))
FORMAT_ID = FORMAT.hexdigest()[:16]
_PREFIX = b'{"format":"' + FORMAT_ID.encode() + b'"'
FIELDS = tuple(ComplaintState.__annotations__)

# The record that says which format a partition's state is in: written when the partition's
# state is rebuilt from the log, read first on every take-over. A complaint id is a UUID, so
# no complaint's key is this one.
PARTITION_KEY = b"pintu.router-state"


def taken(complaint: Complaint, last_hash: str) -> bytes:
    """The snapshot of `complaint`, whose last event on the log has hash `last_hash`."""
    attributes = vars(complaint)
    snapshot: Snapshot = {
        "format": FORMAT_ID,
        "complaint_id": complaint.id,
        "sequence": complaint.version,
        "hash": last_hash,
        "created_on": complaint.created_on,
        "modified_on": complaint.modified_on,
        "state": {name: attributes[name] for name in FIELDS},  # type: ignore[typeddict-item]
    }
    return _SNAPSHOT.dump_json(snapshot)


def restored(value: bytes) -> tuple[Complaint, str]:
    """The complaint a snapshot holds, and the hash of its last event."""
    snapshot = _SNAPSHOT.validate_json(value)
    complaint = object.__new__(Complaint)
    # What eventsourcing's own Snapshot.mutate sets: the aggregate as its events left it.
    object.__setattr__(
        complaint,
        "__dict__",
        {
            "_id": snapshot["complaint_id"],
            "_version": snapshot["sequence"],
            "_created_on": snapshot["created_on"],
            "_modified_on": snapshot["modified_on"],
            "_pending_events": [],
            **snapshot["state"],
        },
    )
    return complaint, snapshot["hash"]


def in_format(value: bytes) -> bool:
    """Whether a record of the state topic was written in this release's format."""
    return value.startswith(_PREFIX)


def partition_header() -> bytes:
    return orjson.dumps({"format": FORMAT_ID})
