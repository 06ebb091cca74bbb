"""Commands: what other services ask of a complaint's owner (docs/decisions/0001).

Internal, on `complaints.commands`, keyed by complaint id like the log, so a
complaint's commands reach the same router partition as its events. Only the
router turns them into events; a command it must refuse is dead-lettered with
the reason.
"""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contracts.cloudevents import PoisonMessage


class Decline(BaseModel):
    """Bukan wewenang, from the agency holding the complaint."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["decline"] = "decline"
    agency_id: str
    reason: str


class Reassign(BaseModel):
    """The national admin sends the complaint to an agency by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["reassign"] = "reassign"
    agency_id: str
    admin: str
    reason: str


Action = Annotated[Decline | Reassign, Field(discriminator="kind")]


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
