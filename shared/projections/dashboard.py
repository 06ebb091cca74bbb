"""The public dashboard's figures (Statistik): the agencies' league table, and the reports
by category and by province, month by month.

Public like `public_statistics`: no figure counts a rahasia complaint (not as held, not as
a transfer, not in a month), and nothing here reads who reported.

The province filter is the complaint's own: a report counts in a province when its region
lies in that province (the first segment of its region code), whoever holds it. So a
ministry shows in a province's league table with the reports from that province it holds,
and every figure on the page answers the same question: "the reports from here".

Computed from the read model's rows at query time, on SQLite and PostgreSQL alike, so every
figure is re-derivable from the log by `pintu replay`.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, func, or_, select

from shared.domain.calendar import WIB
from shared.domain.routing import Directory
from shared.projections.projection import utc
from shared.projections.statistics import FOLLOW_UP_TARGET, HOUR, OPEN
from shared.projections.tables import COMPLAINTS, TRANSFERS

# The league table's level filter -> the directory levels it takes in.
LEVEL_FILTERS: dict[str, tuple[str, ...]] = {
    "ministry": ("ministry",),
    "lembaga": ("lembaga",),
    "province": ("province",),
    "kabupaten-kota": ("regency", "city"),
}


@dataclass(frozen=True)
class LeagueRow:
    """One agency's public figures over the reports it holds now."""

    agency_id: str
    name: str  # from the directory; the id when the directory no longer lists it
    level: str | None
    held: int
    followed_up: int  # held reports with the holder's first tindak lanjut (or completion)
    followed_up_share: float | None  # None: holds none
    meets_target: bool | None  # followed_up_share >= FOLLOW_UP_TARGET
    first_response_hours_median: float | None  # routed to it -> its first follow-up
    backlog: int  # held, still open, not yet followed up
    transferred_away: int  # bukan wewenang and reassignments away from it


@dataclass(frozen=True)
class Summary:
    """The page's headline figures over every public report (in the province, if one)."""

    reports: int
    held: int  # sent to an agency (or the national admin)
    followed_up: int
    followed_up_share: float | None
    first_response_hours_median: float | None


@dataclass(frozen=True)
class MonthlyCount:
    month: str  # "2026-03": the month the report was filed in, in WIB
    key: str  # a category code, or a province's region code ("16")
    count: int


def _public() -> ColumnElement[bool]:
    return COMPLAINTS.c.confidential.is_(False)


def _in_province(province: str) -> ColumnElement[bool]:
    code = COMPLAINTS.c.region_code
    return or_(code == province, code.like(f"{province}.%"))


def _where_public(query: Select[Any], province: str | None) -> Select[Any]:
    query = query.where(_public())
    return query if province is None else query.where(_in_province(province))


def _hours(row: Any) -> float | None:
    if row.first_response_at is None or row.routed_at is None:
        return None
    return (utc(row.first_response_at) - utc(row.routed_at)).total_seconds() / HOUR


def league_table(
    database: Engine, directory: Directory, level: str | None = None, province: str | None = None
) -> list[LeagueRow]:
    """Every agency that holds public reports or sent some away, best follow-up share first
    (then the most held); those holding none last. `level`: a key of LEVEL_FILTERS."""
    c_ = COMPLAINTS.c
    rows_query = _where_public(
        select(c_.agency_id, c_.status, c_.routed_at, c_.first_response_at).where(
            c_.agency_id.is_not(None)
        ),
        province,
    )
    transfers_query = _where_public(
        select(TRANSFERS.c.from_agency_id, func.count())
        .select_from(TRANSFERS.join(COMPLAINTS, TRANSFERS.c.complaint_id == c_.complaint_id))
        .group_by(TRANSFERS.c.from_agency_id),
        province,
    )
    if level is not None:
        levels = LEVEL_FILTERS[level]
        ids = sorted(a.id for a in directory.agencies.values() if a.level in levels)
        rows_query = rows_query.where(c_.agency_id.in_(ids))
        transfers_query = transfers_query.where(TRANSFERS.c.from_agency_id.in_(ids))
    held: dict[str, list[Any]] = {}
    with database.connect() as c:
        for row in c.execute(rows_query):
            held.setdefault(str(row.agency_id), []).append(row)
        transferred = {str(a): int(n) for a, n in c.execute(transfers_query)}
    table = []
    for agency_id in set(held) | set(transferred):
        rows = held.get(agency_id, [])
        answered = [row for row in rows if row.first_response_at is not None]
        hours = [h for row in answered if (h := _hours(row)) is not None]
        share = len(answered) / len(rows) if rows else None
        agency = directory.agencies.get(agency_id)
        table.append(
            LeagueRow(
                agency_id=agency_id,
                name=agency.name if agency else agency_id,
                level=agency.level if agency else None,
                held=len(rows),
                followed_up=len(answered),
                followed_up_share=share,
                meets_target=None if share is None else share >= FOLLOW_UP_TARGET,
                first_response_hours_median=median(hours) if hours else None,
                backlog=sum(
                    1 for row in rows if row.status in OPEN and row.first_response_at is None
                ),
                transferred_away=transferred.get(agency_id, 0),
            )
        )
    return sorted(
        table,
        key=lambda r: (r.followed_up_share is None, -(r.followed_up_share or 0), -r.held, r.name),
    )


def summary(database: Engine, province: str | None = None) -> Summary:
    c_ = COMPLAINTS.c
    query = _where_public(select(c_.agency_id, c_.routed_at, c_.first_response_at), province)
    with database.connect() as c:
        rows = list(c.execute(query))
    held = [row for row in rows if row.agency_id is not None]
    answered = [row for row in held if row.first_response_at is not None]
    hours = [h for row in answered if (h := _hours(row)) is not None]
    return Summary(
        reports=len(rows),
        held=len(held),
        followed_up=len(answered),
        followed_up_share=len(answered) / len(held) if held else None,
        first_response_hours_median=median(hours) if hours else None,
    )


def month_of(moment: datetime) -> str:
    """The month a moment falls in, in WIB: "2026-03"."""
    return utc(moment).astimezone(WIB).strftime("%Y-%m")


def by_category(database: Engine, province: str | None = None) -> list[MonthlyCount]:
    """Public reports filed per month and category, by month then category; a month and
    category with none is absent."""
    c_ = COMPLAINTS.c
    query = _where_public(select(c_.filed_at, c_.category), province)
    with database.connect() as c:
        counts = Counter((month_of(row.filed_at), str(row.category)) for row in c.execute(query))
    return [MonthlyCount(month, key, n) for (month, key), n in sorted(counts.items())]


def by_province(database: Engine, province: str | None = None) -> list[MonthlyCount]:
    """Public reports filed per month and province (their region's), by month then province;
    a month and province with none is absent."""
    c_ = COMPLAINTS.c
    query = _where_public(select(c_.filed_at, c_.region_code), province)
    with database.connect() as c:
        counts = Counter(
            (month_of(row.filed_at), str(row.region_code).split(".")[0]) for row in c.execute(query)
        )
    return [MonthlyCount(month, key, n) for (month, key), n in sorted(counts.items())]
