"""What agencies and the national admin read: their complaints (filtered, sorted, paged, or as
CSV), and their scores; and what anyone may read: public statistics without personal data.

An agency's key reads only the complaints it holds and the copies (tembusan) sent to it;
another agency's complaint is 404, as if it did not exist.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from services.intake.access import AgencyAdmin, NationalAdmin
from services.intake.complaints import ReadModelDep
from services.intake.schemas import (
    ComplaintPage,
    InboxItem,
    Problem,
    PublicFigureView,
    ScoresView,
)
from shared.domain.complaint import Status
from shared.projections.inbox import SORTS, ComplaintFilter, InboxStore, Scope, Sort
from shared.projections.statistics import FOLLOW_UP_TARGET, GroupBy, public_statistics, scores

router = APIRouter(tags=["queries of agencies and the national admin"])
CSV_PAGE = 1000
Format = Literal["json", "csv"]
DENIED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem, "description": "the key is not this agency's"},
}


def complaint_filter(
    status: Annotated[list[Status] | None, Query(description="repeat for several")] = None,
    open_only: Annotated[bool, Query(alias="open", description="only open complaints")] = False,
    overdue: bool | None = None,
    category: str | None = None,
    region: Annotated[
        str | None, Query(description="a region code; a province's also matches its kabupaten")
    ] = None,
    filed_from: datetime | None = None,
    filed_to: datetime | None = None,
) -> ComplaintFilter:
    return ComplaintFilter(
        statuses=tuple(status or ()),
        open_only=open_only,
        overdue=overdue,
        category=category,
        region_code=region,
        filed_from=filed_from,
        filed_to=filed_to,
    )


@dataclass(frozen=True)
class Listing:
    """How a list of complaints is asked for: filtered, sorted, which page, JSON or CSV."""

    filters: ComplaintFilter
    sort: Sort
    page: int
    page_size: int
    format: Format


def listing(
    filters: Annotated[ComplaintFilter, Depends(complaint_filter)],
    sort: Annotated[Sort, Query(description=f"one of {', '.join(SORTS)}")] = "filed_at",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Format = "json",
) -> Listing:
    return Listing(filters, sort, page, page_size, format)


ListingDep = Annotated[Listing, Depends(listing)]


def _listing(store: InboxStore, scope: Scope, asked: Listing) -> ComplaintPage | StreamingResponse:
    if asked.format == "csv":
        return _csv(store, scope, asked.filters, asked.sort)
    found = store.complaints(scope, asked.filters, asked.sort, asked.page, asked.page_size)
    return ComplaintPage(
        items=[InboxItem(**asdict(entry)) for entry in found.entries],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
    )


def _scores(store: InboxStore, agency_id: str | None) -> ScoresView:
    figures = asdict(scores(store.database, agency_id))
    return ScoresView(**figures, followed_up_target=FOLLOW_UP_TARGET)


def _csv(
    store: InboxStore, scope: Scope, filters: ComplaintFilter, sort: Sort
) -> StreamingResponse:
    """Every matching complaint (not one page), streamed a thousand rows at a time."""
    columns = list(InboxItem.model_fields)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        page = 1
        while True:
            found = store.complaints(scope, filters, sort, page, CSV_PAGE)
            for entry in found.entries:
                writer.writerow(InboxItem(**asdict(entry)).model_dump(mode="json"))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if page * CSV_PAGE >= found.total:
                return
            page += 1

    name = f"pintu-{scope.agency_id or 'nasional'}.csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/v1/agencies/{agency_id}/inbox",
    response_model=list[InboxItem],
    responses=DENIED,
    summary="An agency's inbox: its open complaints and copies, with deadlines",
)
def agency_inbox(agency_id: AgencyAdmin, store: ReadModelDep) -> list[InboxItem]:
    return [InboxItem(**asdict(entry)) for entry in store.inbox(agency_id)]


@router.get(
    "/v1/agencies/{agency_id}/complaints",
    response_model=ComplaintPage,
    responses={**DENIED, 200: {"content": {"text/csv": {}}}},
    summary="An agency's complaints and copies: filter, sort, page; format=csv exports them all",
)
def agency_complaints(
    agency_id: AgencyAdmin, store: ReadModelDep, asked: ListingDep
) -> ComplaintPage | StreamingResponse:
    return _listing(store, Scope(agency_id), asked)


@router.get(
    "/v1/agencies/{agency_id}/complaints/{tracking_id}",
    response_model=InboxItem,
    responses={**DENIED, 404: {"model": Problem}},
    summary="One of the agency's complaints (or copies)",
)
def agency_complaint(agency_id: AgencyAdmin, tracking_id: str, store: ReadModelDep) -> InboxItem:
    found = store.complaints(Scope(agency_id), ComplaintFilter(tracking_id=tracking_id))
    if not found.entries:
        # Another agency's complaint is not even confirmed to exist.
        raise HTTPException(404, f"{agency_id} has no complaint {tracking_id}.")
    return InboxItem(**asdict(found.entries[0]))


@router.get(
    "/v1/agencies/{agency_id}/statistics",
    response_model=ScoresView,
    responses=DENIED,
    summary="The agency's scores: share followed up (target 90%), backlog, response times",
)
def agency_statistics(agency_id: AgencyAdmin, store: ReadModelDep) -> ScoresView:
    return _scores(store, agency_id)


@router.get(
    "/v1/admin/complaints",
    response_model=ComplaintPage,
    responses={401: {"model": Problem}, 403: {"model": Problem}},
    summary="Every complaint (national admin): filter, sort, page; format=csv exports them all",
)
def all_complaints(
    _: NationalAdmin, store: ReadModelDep, asked: ListingDep, agency_id: str | None = None
) -> ComplaintPage | StreamingResponse:
    return _listing(store, Scope(agency_id), asked)


@router.get(
    "/v1/admin/statistics",
    response_model=ScoresView,
    responses={401: {"model": Problem}, 403: {"model": Problem}},
    summary="National figures, or one agency's with agency_id (national admin)",
)
def national_statistics(
    _: NationalAdmin, store: ReadModelDep, agency_id: str | None = None
) -> ScoresView:
    return _scores(store, agency_id)


@router.get(
    "/v1/statistics",
    response_model=list[PublicFigureView],
    summary="Public statistics per agency, province or region: counts only, no rahasia report",
)
def statistics(
    store: ReadModelDep,
    group_by: GroupBy = "agency",
    filed_from: datetime | None = None,
    filed_to: datetime | None = None,
) -> list[PublicFigureView]:
    figures = public_statistics(store.database, group_by, filed_from, filed_to)
    return [PublicFigureView(**asdict(figure)) for figure in figures]
