"""What agencies and the national admin do to a complaint: bukan wewenang, reassignment.

Intake checks who asks and whether the action makes sense now (from the read
model), then hands a command to the complaint's owner, the router, which
records the events (docs/decisions/0001). So the answer is 202: accepted, and
visible in the complaint's timeline within seconds.
"""

import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.intake.complaints import FilingDep, ReadModelDep
from services.intake.schemas import Problem
from shared import clock
from shared.config import Settings
from shared.contracts.commands import Command, Decline, Reassign, encode_command
from shared.contracts.routing import RoutingPublished
from shared.domain.complaint import Status
from shared.domain.routing import NATIONAL_TRIAGE, default_directory
from shared.domain.tracking import is_tracking_id
from shared.kafka import topics
from shared.kafka.clients import KafkaConnection
from shared.kafka.publisher import Record
from shared.kafka.routing_feed import publish, read_published
from shared.projections.inbox import ComplaintView

router = APIRouter(tags=["agencies and the national admin"])
HOLDING = (Status.DISPOSED_NOT_FOLLOWED_UP, Status.DISPOSED_IN_PROGRESS)


class DeclineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=10,
        max_length=2000,
        description="why this is not the agency's authority, in words the next agency can use",
        examples=[
            "Ruas jalan ini jalan provinsi (SK Gubernur Sumsel 2023), bukan jalan kabupaten."
        ],
    )


class ReassignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: str = Field(max_length=120, examples=["kemen-pu"])
    reason: str = Field(
        min_length=10,
        max_length=2000,
        examples=["Ruas ini jalan nasional; wewenang Kementerian PU."],
    )


class ActionAccepted(BaseModel):
    command_id: uuid.UUID
    tracking_id: str
    status_url: str
    detail: str


def bearer(
    authorization: Annotated[str | None, Header(description="Bearer <api key>")] = None,
) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Send your API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return key


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


KeyDep = Annotated[str, Depends(bearer)]
SettingsDep = Annotated[Settings, Depends(settings)]
FORBIDDEN = {"model": Problem, "description": "the key is not this agency's (or an admin's)"}


def _known(key: str, allowed: list[str]) -> bool:
    return any(hmac.compare_digest(key.encode(), candidate.encode()) for candidate in allowed)


def _complaint(store: ReadModelDep, tracking_id: str) -> ComplaintView:
    view = store.complaint(tracking_id) if is_tracking_id(tracking_id) else None
    if view is None:
        raise HTTPException(404, f"No complaint with tracking id {tracking_id} (yet).")
    return view


async def _submit(
    filing: FilingDep, view: ComplaintView, action: Decline | Reassign
) -> ActionAccepted:
    command = Command(
        id=uuid.uuid4(),
        complaint_id=uuid.UUID(view.complaint_id),
        issued_at=clock.now(),
        action=action,
    )
    await filing.publisher.publish(Record(topics.COMMANDS, *encode_command(command)))
    return ActionAccepted(
        command_id=command.id,
        tracking_id=view.tracking_id,
        status_url=f"{filing.base_url}/v1/complaints/{view.tracking_id}",
        detail="Accepted: the complaint's timeline shows the outcome within seconds.",
    )


@router.post(
    "/v1/agencies/{agency_id}/complaints/{tracking_id}/decline",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Bukan wewenang: the complaint is not this agency's authority",
    description="The complaint goes to the next competent agency, never back to this one; "
    "after three declines the national admin decides.",
    responses={
        401: {"model": Problem},
        403: FORBIDDEN,
        404: {"model": Problem},
        409: {"model": Problem, "description": "the complaint is not in this agency's inbox"},
    },
)
async def decline(
    agency_id: str,
    tracking_id: str,
    body: DeclineRequest,
    key: KeyDep,
    config: SettingsDep,
    store: ReadModelDep,
    filing: FilingDep,
) -> ActionAccepted:
    keys = config.agency_api_keys
    if not _known(key, keys.get(agency_id, []) + keys.get("*", [])):
        raise HTTPException(403, f"This key may not act for {agency_id}.")
    if agency_id == NATIONAL_TRIAGE:
        raise HTTPException(409, "National triage does not decline; reassign the complaint.")
    view = _complaint(store, tracking_id)
    if view.agency_id != agency_id or view.status not in HOLDING:
        raise HTTPException(409, f"Complaint {tracking_id} is not in {agency_id}'s inbox now.")
    return await _submit(filing, view, Decline(agency_id=agency_id, reason=body.reason.strip()))


@router.post(
    "/v1/admin/complaints/{tracking_id}/reassign",
    status_code=status.HTTP_202_ACCEPTED,
    summary="The national admin sends a complaint to an agency by hand",
    responses={
        401: {"model": Problem},
        403: FORBIDDEN,
        404: {"model": Problem},
        409: {"model": Problem, "description": "already with that agency, or closed"},
        422: {"model": Problem, "description": "unknown agency"},
    },
)
async def reassign(
    tracking_id: str,
    body: ReassignRequest,
    key: KeyDep,
    config: SettingsDep,
    store: ReadModelDep,
    filing: FilingDep,
) -> ActionAccepted:
    if not _known(key, config.admin_api_keys):
        raise HTTPException(403, "Only the national admin may reassign complaints.")
    if body.agency_id not in default_directory().agencies:
        raise HTTPException(422, f"There is no agency {body.agency_id!r} in the directory.")
    view = _complaint(store, tracking_id)
    if view.agency_id == body.agency_id:
        raise HTTPException(409, f"Complaint {tracking_id} is already with {body.agency_id}.")
    if view.status in (Status.DISPOSED_DONE, Status.ARCHIVED):
        raise HTTPException(409, f"Complaint {tracking_id} is closed; it cannot be reassigned.")
    action = Reassign(agency_id=body.agency_id, admin="national-admin", reason=body.reason.strip())
    return await _submit(filing, view, action)


class RulesDocument(BaseModel):
    """A new version of the routing rules, in shared/data/routing_rules.json's shape."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="must be higher than the version in force")
    rules: list[dict[str, object]] = Field(
        min_length=1,
        examples=[
            [
                {"id": "jalan-daerah", "category": "jalan-daerah", "government": "regency_or_city"},
                {"id": "jalan-nasional", "category": "jalan-nasional", "agency": "kemen-pu"},
            ]
        ],
    )


class RulesPublished(BaseModel):
    directory_version: int
    rules_version: int
    detail: str


@router.put(
    "/v1/admin/routing-rules",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Publish a new version of the routing rules (national admin)",
    description="The rules apply to complaints routed from now on; complaints already "
    "routed keep the decision of the rules in force then, and a replay reproduces it.",
    responses={
        401: {"model": Problem},
        403: FORBIDDEN,
        409: {"model": Problem, "description": "not newer than the version in force"},
        422: {"model": Problem, "description": "rules that do not load"},
    },
)
async def publish_rules(
    body: RulesDocument, key: KeyDep, config: SettingsDep, filing: FilingDep
) -> RulesPublished:
    if not _known(key, config.admin_api_keys):
        raise HTTPException(403, "Only the national admin may change the routing rules.")
    kafka = KafkaConnection.from_settings(config)
    feed = await read_published(kafka)
    if not feed.published:
        raise HTTPException(503, "No routing is in force yet: start the router once first.")
    in_force = feed.published[-1]
    if body.version <= in_force.versions[1]:
        raise HTTPException(
            409, f"Rules v{body.version} are not newer than v{in_force.versions[1]} in force."
        )
    published = RoutingPublished(
        published_at=clock.now(),
        published_by="national-admin",
        agencies=in_force.agencies,
        rules=body.model_dump(),
    )
    try:
        published.directory()
    except (ValueError, TypeError, KeyError) as error:
        raise HTTPException(422, f"These rules do not load: {error}") from error
    await publish(kafka, published, filing.base_url)
    return RulesPublished(
        directory_version=in_force.versions[0],
        rules_version=body.version,
        detail="Published: the router applies these rules to complaints routed from now on.",
    )
