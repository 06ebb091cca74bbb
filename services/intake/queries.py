"""What agencies and the national admin read: their complaints (filtered, sorted, paged, or as
CSV), and their scores; and what anyone may read: public statistics without personal data.

An agency's key reads only the complaints it holds and the copies (tembusan) sent to it;
another agency's complaint is 404, as if it did not exist.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from email.utils import encode_rfc2231
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from services.intake.access import (
    AGENCY_ID_MAX,
    AGENCY_ID_PATTERN,
    AgencyAdmin,
    NationalAdmin,
    TrackingIdPath,
    unknown_complaint,
)
from services.intake.complaints import ReadModelDep
from services.intake.schemas import (
    ComplaintPage,
    InboxItem,
    Moment,
    Problem,
    PublicFigureView,
    ScoresView,
)
from shared.domain.complaint import Status
from shared.projections.inbox import SORTS, ComplaintFilter, InboxStore, Scope, Sort
from shared.projections.statistics import FOLLOW_UP_TARGET, GroupBy, public_statistics, scores

router = APIRouter(tags=["queries of agencies and the national admin"])
CSV_PAGE = 1000
# Pages beyond any store's reach (a billion complaints at the largest page size) are refused
# at the door, so no page number overflows the database's integers.
MAX_PAGE = 2_000_000
MAX_PAGE_SIZE = 500
Format = Literal["json", "csv"]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
NO_AGENCY: dict[str, Any] = {"model": Problem, "description": "no such agency in the directory"}
DENIED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no API key sent"},
    403: {"model": Problem, "description": "the key is not this agency's"},
    404: NO_AGENCY,
}
ADMIN_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no API key sent"},
    403: {"model": Problem, "description": "the key is not the national admin's"},
}
LISTED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "one page as JSON, or with format=csv every matching complaint as CSV "
        "(a download named in Content-Disposition)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
}


def complaint_filter(
    status: Annotated[list[Status] | None, Query(description="repeat for several")] = None,
    open_only: Annotated[bool, Query(alias="open", description="only open complaints")] = False,
    overdue: bool | None = None,
    category: Annotated[
        str | None,
        Query(
            max_length=80,
            description="a code from GET /v1/categories; any other code matches nothing",
        ),
    ] = None,
    region: Annotated[
        str | None,
        Query(
            max_length=13,
            description="a region code; a province's also matches its kabupaten",
        ),
    ] = None,
    filed_from: Moment | None = None,
    filed_to: Moment | None = None,
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
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    format: Format = "json",
) -> Listing:
    return Listing(filters, sort, page, page_size, format)


ListingDep = Annotated[Listing, Depends(listing)]
AgencyIdQuery = Annotated[
    str | None,
    Query(
        pattern=AGENCY_ID_PATTERN,
        max_length=AGENCY_ID_MAX,
        description="only this agency's complaints and copies",
    ),
]


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
        rows(), media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": attachment(name)}
    )


def attachment(filename: str) -> str:
    """Content-Disposition for a download named `filename`, whatever its characters (RFC 6266):
    an ASCII fallback for old clients, and the exact name, UTF-8 percent-encoded, in filename*."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f'attachment; filename="{fallback}"; filename*={encode_rfc2231(filename, "utf-8")}'


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
    responses={**DENIED, **LISTED},
    summary="An agency's complaints and copies: filter, sort, page; format=csv exports them all",
)
def agency_complaints(
    agency_id: AgencyAdmin, store: ReadModelDep, asked: ListingDep
) -> ComplaintPage | StreamingResponse:
    return _listing(store, Scope(agency_id), asked)


@router.get(
    "/v1/agencies/{agency_id}/complaints/{tracking_id}",
    response_model=InboxItem,
    responses={
        **DENIED,
        404: {
            "model": Problem,
            "description": "no such agency, or no such complaint the agency may see "
            "(another agency's is answered as an unknown one)",
        },
    },
    summary="One of the agency's complaints (or copies)",
)
def agency_complaint(
    agency_id: AgencyAdmin, tracking_id: TrackingIdPath, store: ReadModelDep
) -> InboxItem:
    found = store.complaints(Scope(agency_id), ComplaintFilter(tracking_id=tracking_id))
    if not found.entries:
        raise unknown_complaint(tracking_id)
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
    responses={**ADMIN_ONLY, **LISTED},
    summary="Every complaint (national admin): filter, sort, page; format=csv exports them all",
)
def all_complaints(
    _: NationalAdmin, store: ReadModelDep, asked: ListingDep, agency_id: AgencyIdQuery = None
) -> ComplaintPage | StreamingResponse:
    return _listing(store, Scope(agency_id), asked)


@router.get(
    "/v1/admin/statistics",
    response_model=ScoresView,
    responses=ADMIN_ONLY,
    summary="National figures, or one agency's with agency_id (national admin)",
)
def national_statistics(
    _: NationalAdmin, store: ReadModelDep, agency_id: AgencyIdQuery = None
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
    filed_from: Moment | None = None,
    filed_to: Moment | None = None,
) -> list[PublicFigureView]:
    figures = public_statistics(store.database, group_by, filed_from, filed_to)
    return [PublicFigureView(**asdict(figure)) for figure in figures]
