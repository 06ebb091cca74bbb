"""Commands: what other services ask of a complaint's owner (docs/decisions/0001).

Internal, on `complaints.commands`, keyed by complaint id like the log, so a
complaint's commands reach the same router partition as its events. Only the
router turns them into events. Every command it reads gets an Outcome on
`complaints.outcomes` (accepted, or refused with the reason), in the same
transaction as the events, so intake can answer the person who asked. A message
that is not a command is dead-lettered.
"""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contracts.cloudevents import PoisonMessage
from shared.domain.deadlines import Tier


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# The national admin (KemenPANRB).
class Verify(_Action):
    kind: Literal["verify"] = "verify"
    admin: str


class Reassign(_Action):
    """The national admin sends the complaint to an agency by hand."""

    kind: Literal["reassign"] = "reassign"
    agency_id: str
    admin: str
    reason: str


class Postpone(_Action):
    """Tunda: wait for the reporter, the clocks paused."""

    kind: Literal["postpone"] = "postpone"
    admin: str
    reason: str


class Archive(_Action):
    kind: Literal["archive"] = "archive"
    admin: str
    reason: str


# The agency holding the complaint (its admin or pejabat penghubung).
class Decline(_Action):
    """Bukan wewenang, from the agency holding the complaint."""

    kind: Literal["decline"] = "decline"
    agency_id: str
    reason: str


class Acknowledge(_Action):
    kind: Literal["acknowledge"] = "acknowledge"
    agency_id: str
    tier: Tier


class RequestInformation(_Action):
    kind: Literal["request_information"] = "request_information"
    agency_id: str
    question: str


class FollowUp(_Action):
    kind: Literal["follow_up"] = "follow_up"
    agency_id: str
    message: str


class Resolve(_Action):
    kind: Literal["resolve"] = "resolve"
    agency_id: str
    message: str


# The reporter (pelapor), proven by their token at intake.
class Reply(_Action):
    kind: Literal["reply"] = "reply"
    message: str


class Reopen(_Action):
    kind: Literal["reopen"] = "reopen"
    reason: str


class Rate(_Action):
    kind: Literal["rate"] = "rate"
    score: int = Field(ge=1, le=5)
    comment: str | None = None


# The SLA service: a deadline's warning time or due time has come.
class DeadlinePassed(_Action):
    kind: Literal["deadline_passed"] = "deadline_passed"
    stage: str
    due_at: datetime
    warning: bool


Action = Annotated[
    Verify
    | Reassign
    | Postpone
    | Archive
    | Decline
    | Acknowledge
    | RequestInformation
    | FollowUp
    | Resolve
    | Reply
    | Reopen
    | Rate
    | DeadlinePassed,
    Field(discriminator="kind"),
]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    complaint_id: UUID
    issued_at: datetime
    action: Action


def encode_command(command: Command) -> tuple[bytes, bytes]:
    return str(command.complaint_id).encode(), command.model_dump_json().encode()


def decode_command(value: bytes) -> Command:
    try:
        return Command.model_validate_json(value)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "command"
        raise PoisonMessage(f"not a Pintu command: {where}: {problem['msg']}") from error


class Outcome(BaseModel):
    """What the owner did with a command: accepted (events appended) or refused, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: UUID
    complaint_id: UUID
    accepted: bool
    reason: str | None = None  # why it was refused, in words for the person who asked
    # not_held: an agency's action on a complaint it does not hold, which intake answers as it
    # answers an unknown tracking id (a refusal reveals nothing); not_allowed: anything else.
    refusal: Literal["not_allowed", "not_held"] | None = None
    status: str | None = None  # the complaint's status afterwards


def encode_outcome(outcome: Outcome) -> tuple[bytes, bytes]:
    return str(outcome.complaint_id).encode(), outcome.model_dump_json().encode()


def decode_outcome(value: bytes) -> Outcome:
    return Outcome.model_validate_json(value)
