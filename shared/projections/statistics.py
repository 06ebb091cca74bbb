"""The figures agencies are scored on (handbook: share followed up, target 90%; backlog of
unverified and unanswered reports; time to first response; the reporters' ratings), and the
public statistics, which count and never name.

Computed from the read model's rows at query time, so every figure is re-derivable from the
log by `pintu replay`.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median, quantiles
from typing import Any, Literal

from sqlalchemy import Engine, func, select

from shared.domain.complaint import Status
from shared.projections.projection import OPEN_STATUSES, utc
from shared.projections.tables import COMPLAINTS, TRANSFERS

FOLLOW_UP_TARGET = 0.9
HOUR = 3600.0
OPEN = {s.value for s in OPEN_STATUSES}


@dataclass(frozen=True)
class Scores:
    """One agency's figures over the complaints it holds (None: the national admin's, over
    every complaint)."""

    agency_id: str | None
    by_status: dict[str, int]
    held: int
    followed_up: int  # held complaints with a tindak lanjut (or completion) from the holder
    followed_up_share: float | None
    meets_target: bool | None  # the 90% target
    unverified: int  # backlog: waiting for verification or routing
    unanswered: int  # backlog: routed, no tindak lanjut yet
    overdue: int  # open complaints with a deadline of the holder's passed unmet
    first_response_hours_median: float | None
    first_response_hours_p90: float | None
    transferred_away: int  # bukan wewenang and reassignments away from the agency
    ratings: int
    rating_mean: float | None
    rating_counts: dict[int, int] = field(default_factory=dict)


def scores(database: Engine, agency_id: str | None) -> Scores:
    c_ = COMPLAINTS.c
    query = select(
        c_.status, c_.routed_at, c_.first_response_at, c_.overdue, c_.rating, c_.agency_id
    )
    transfers = select(func.count()).select_from(TRANSFERS)
    if agency_id is not None:
        query = query.where(c_.agency_id == agency_id)
        transfers = transfers.where(TRANSFERS.c.from_agency_id == agency_id)
    with database.connect() as c:
        rows = list(c.execute(query))
        transferred_away = int(c.scalar(transfers) or 0)
    by_status = Counter(row.status for row in rows)
    held = [row for row in rows if row.agency_id is not None]
    answered = [row for row in held if row.first_response_at is not None]
    hours = sorted(
        (utc(row.first_response_at) - utc(row.routed_at)).total_seconds() / HOUR
        for row in answered
        if row.routed_at is not None
    )
    ratings = Counter(int(row.rating) for row in rows if row.rating is not None)
    share = len(answered) / len(held) if held else None
    return Scores(
        agency_id=agency_id,
        by_status={s.value: by_status.get(s.value, 0) for s in Status},
        held=len(held),
        followed_up=len(answered),
        followed_up_share=share,
        meets_target=None if share is None else share >= FOLLOW_UP_TARGET,
        unverified=by_status.get(Status.UNVERIFIED.value, 0),
        unanswered=by_status.get(Status.DISPOSED_NOT_FOLLOWED_UP.value, 0),
        overdue=sum(1 for row in rows if row.overdue and row.status in OPEN),
        first_response_hours_median=median(hours) if hours else None,
        first_response_hours_p90=_p90(hours),
        transferred_away=transferred_away,
        ratings=sum(ratings.values()),
        rating_mean=(
            sum(score * n for score, n in ratings.items()) / sum(ratings.values())
            if ratings
            else None
        ),
        rating_counts=dict(sorted(ratings.items())),
    )


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=10, method="inclusive")[8]


GroupBy = Literal["agency", "province", "region"]


@dataclass(frozen=True)
class PublicFigure:
    """Counts for one agency or region: never a rahasia complaint, never a person."""

    key: str
    total: int
    by_status: dict[str, int]
    followed_up_share: float | None


def public_statistics(
    database: Engine,
    group_by: GroupBy,
    filed_from: datetime | None = None,
    filed_to: datetime | None = None,
) -> list[PublicFigure]:
    c_ = COMPLAINTS.c
    query = select(c_.agency_id, c_.region_code, c_.status, c_.first_response_at).where(
        c_.confidential.is_(False)
    )
    if filed_from is not None:
        query = query.where(c_.filed_at >= utc(filed_from))
    if filed_to is not None:
        query = query.where(c_.filed_at <= utc(filed_to))
    groups: dict[str, list[Any]] = {}
    with database.connect() as c:
        for row in c.execute(query):
            groups.setdefault(_group_key(row, group_by), []).append(row)
    figures = []
    for key, rows in sorted(groups.items()):
        statuses = Counter(row.status for row in rows)
        held = [row for row in rows if row.agency_id is not None]
        answered = sum(1 for row in held if row.first_response_at is not None)
        figures.append(
            PublicFigure(
                key=key,
                total=len(rows),
                by_status={s.value: statuses.get(s.value, 0) for s in Status},
                followed_up_share=answered / len(held) if held else None,
            )
        )
    return figures


def _group_key(row: Any, group_by: GroupBy) -> str:
    if group_by == "agency":
        return str(row.agency_id or "belum-didisposisi")
    if group_by == "province":
        return str(row.region_code).split(".")[0]
    return str(row.region_code)
