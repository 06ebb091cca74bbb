"""Intake: the front door. Files complaints onto the log and answers queries from the read model."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse

from services.intake.schemas import (
    ComplaintReceipt,
    ComplaintStatusView,
    ComplaintSubmission,
    InboxItem,
    Problem,
    TimelineItem,
)
from shared.config import Settings
from shared.contracts.cloudevents import encode, event_json_schemas
from shared.domain.complaint import STATUS_LABELS, Complaint
from shared.domain.tracking import new_tracking_id
from shared.http import health_routes
from shared.kafka import topics
from shared.kafka.health import BrokerProbe
from shared.kafka.publisher import BrokerUnavailable, Publisher, Record
from shared.logs import about_complaint
from shared.projections.inbox import InboxStore

SOURCE = "/pintu/intake"
log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    publisher = Publisher(settings.bootstrap_servers, "intake", settings.publish_timeout_seconds)
    store = InboxStore(settings.read_model_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await publisher.close()

    app = FastAPI(
        title="Pintu intake",
        version="0.1.0",
        description="File a complaint through any door; Pintu routes it to the agency that must act.",
        lifespan=lifespan,
    )
    app.include_router(health_routes(BrokerProbe(settings.bootstrap_servers)))

    @app.exception_handler(BrokerUnavailable)
    async def broker_unavailable(_: Request, error: BrokerUnavailable) -> JSONResponse:
        problem = Problem(
            title="Service temporarily unavailable",
            status=503,
            detail="The complaint was NOT recorded because the event log is unreachable. "
            f"Please try again in {settings.retry_after_seconds} seconds.",
        )
        return JSONResponse(
            problem.model_dump(),
            status_code=503,
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )

    def language(accept_language: Annotated[str | None, Header()] = None) -> str:
        return "en" if accept_language and accept_language.lower().startswith("en") else "id"

    @app.post(
        "/v1/complaints",
        status_code=status.HTTP_201_CREATED,
        response_model=ComplaintReceipt,
        responses={503: {"model": Problem, "description": "Kafka unreachable; nothing recorded"}},
        summary="File a complaint (laporan)",
    )
    async def file_complaint(submission: ComplaintSubmission) -> ComplaintReceipt:
        complaint = Complaint(tracking_id=new_tracking_id(), **submission.model_dump())
        records = []
        for event in complaint.new_events():
            key, value = encode(event, SOURCE, settings.public_base_url)
            records.append(Record(topics.EVENTS, key, value))
        with about_complaint(complaint.id):
            await publisher.publish(*records)  # returns only once acks=all
            log.info("complaint filed", extra={"tracking_id": complaint.tracking_id})
        return ComplaintReceipt(
            tracking_id=complaint.tracking_id,
            complaint_id=str(complaint.id),
            status=complaint.status.value,
            status_url=f"{settings.public_base_url}/v1/complaints/{complaint.tracking_id}",
        )

    @app.get(
        "/v1/complaints/{tracking_id}",
        response_model=ComplaintStatusView,
        responses={404: {"model": Problem}},
        summary="Status and timeline of a complaint",
    )
    async def complaint_status(
        tracking_id: str, lang: Annotated[str, Depends(language)]
    ) -> ComplaintStatusView:
        view = store.complaint(tracking_id)
        if view is None:
            raise HTTPException(404, f"No complaint with tracking id {tracking_id} (yet).")
        return ComplaintStatusView(
            tracking_id=view.tracking_id,
            status=view.status.value,
            status_label=STATUS_LABELS[lang][view.status],
            agency_id=view.agency_id,
            deadline_at=view.deadline_at,
            # rahasia: the public view shows where a report stands, never what it says.
            timeline=[
                TimelineItem(**{**asdict(t), "detail": {} if view.confidential else t.detail})
                for t in view.timeline
            ],
        )

    @app.get(
        "/v1/agencies/{agency_id}/inbox",
        response_model=list[InboxItem],
        summary="An agency's inbox: complaints routed to it",
    )
    async def agency_inbox(agency_id: str) -> list[InboxItem]:
        return [InboxItem(**asdict(entry)) for entry in store.inbox(agency_id)]

    @app.get("/v1/schemas/{event_type}/v1.json", summary="JSON Schema of an event type's data")
    async def event_schema(event_type: str) -> dict[str, object]:
        schemas = event_json_schemas()
        if event_type not in schemas:
            raise HTTPException(404, f"Unknown event type {event_type}.")
        return schemas[event_type]

    return app
