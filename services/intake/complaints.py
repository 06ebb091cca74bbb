"""Routes of the complaint resource, the agency inbox and the published reference data."""

import hmac
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status

from services.intake.filing import Filing, token_hash
from services.intake.schemas import (
    CategoryView,
    ComplaintReceipt,
    ComplaintStatusView,
    ComplaintSubmission,
    Problem,
    TimelineItem,
)
from services.intake.timeline import describe
from services.intake.views import ComplaintViewsDep
from shared.adapters.kafka.directory import DirectoryInForce
from shared.contracts.cloudevents import EVENT_TYPES, event_json_schemas, schema_version
from shared.domain.catalogue import categories
from shared.domain.routing import Directory
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import ComplaintView, InboxStore
from shared.wording import status_label

router = APIRouter()
# The dependencies below do no blocking I/O: async, so FastAPI runs them on the event loop
# instead of sending each to a worker thread and back (a filing's hot path).


async def filing(request: Request) -> Filing:
    return request.app.state.filing  # type: ignore[no-any-return]


async def directory(request: Request) -> Directory:
    """The agency directory in force, as the router routes by it."""
    in_force: DirectoryInForce = request.app.state.directory
    return in_force.current


async def read_model(request: Request) -> InboxStore:
    return request.app.state.read_model  # type: ignore[no-any-return]


async def language(accept_language: Annotated[str | None, Header()] = None) -> str:
    """Bahasa Indonesia unless the client prefers English."""
    return "en" if accept_language and accept_language.lower().startswith("en") else "id"


async def json_body(request: Request) -> None:
    """415 for a body that is not JSON (read from the request, not a documented parameter:
    the request body's media type is documented as the body's)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Send the complaint as application/json."
        )


def proves_reporter(view: ComplaintView, token: str | None) -> bool:
    """The reporter token handed out at filing, checked against its hash on the log."""
    return bool(
        token
        and view.reporter_token_hash
        and hmac.compare_digest(token_hash(token), view.reporter_token_hash)
    )


FilingDep = Annotated[Filing, Depends(filing)]
ReadModelDep = Annotated[InboxStore, Depends(read_model)]
LanguageDep = Annotated[str, Depends(language)]
DirectoryDep = Annotated[Directory, Depends(directory)]


@router.post(
    "/v1/complaints",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintReceipt,
    dependencies=[Depends(json_body)],
    responses={
        409: {
            "model": Problem,
            "description": "Idempotency-Key reused for another complaint, or its filing still in flight (Retry-After)",
        },
        413: {"model": Problem},
        415: {"model": Problem},
        422: {"model": Problem},
        429: {"model": Problem},
        503: {"model": Problem, "description": "Kafka unreachable; nothing recorded"},
    },
    summary="File a complaint (laporan)",
)
async def file_complaint(
    submission: ComplaintSubmission,
    filing: FilingDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200, description="retry safely: the same key and body file one complaint"
        ),
    ] = None,
) -> ComplaintReceipt:
    return await filing.file(submission, idempotency_key)


@router.get(
    "/v1/complaints/{tracking_id}",
    response_model=ComplaintStatusView,
    responses={404: {"model": Problem}},
    summary="Status and timeline of a complaint",
)
def complaint_status(
    tracking_id: str,
    lang: LanguageDep,
    views: ComplaintViewsDep,
    agencies: DirectoryDep,
    x_reporter_token: Annotated[
        str | None, Header(description="the reporter token; required for a rahasia complaint")
    ] = None,
) -> ComplaintStatusView:
    if not is_tracking_id(tracking_id):
        raise HTTPException(404, f"{tracking_id} is not a tracking id; check it for a typo.")
    view = views.complaint(tracking_id)
    not_found = HTTPException(404, f"No complaint with tracking id {tracking_id} (yet).")
    if view is None:
        raise not_found
    if view.confidential and not proves_reporter(view, x_reporter_token):
        raise not_found  # rahasia: not even its existence is public
    return ComplaintStatusView(
        tracking_id=view.tracking_id,
        status=view.status.value,
        status_label=status_label(view.status, lang),
        agency_id=view.agency_id,
        deadline_at=view.deadline_at,
        timeline=[
            TimelineItem(**asdict(t), label=describe(t, lang, agencies.agencies))
            for t in view.timeline
        ],
    )


@router.get("/v1/categories", response_model=list[CategoryView], summary="The published categories")
async def category_list(lang: LanguageDep) -> list[CategoryView]:
    return [CategoryView(code=c.code, name=c.names[lang]) for c in categories().values()]


@router.get(
    "/v1/schemas/{event_type}/v{version}.json",
    summary="JSON Schema of an event type's data (the CloudEvent's dataschema)",
    responses={404: {"model": Problem}},
)
async def event_schema(event_type: str, version: int) -> dict[str, object]:
    if event_type not in EVENT_TYPES:
        raise HTTPException(404, f"Unknown event type {event_type}.")
    current = schema_version(EVENT_TYPES[event_type])
    if version != current:
        raise HTTPException(
            404, f"{event_type} is published at v{current}; older data is upcast on read."
        )
    return event_json_schemas()[event_type]
