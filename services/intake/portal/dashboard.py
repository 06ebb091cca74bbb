"""Statistik: the public dashboard. The agencies' league table and the reports by category
and by province, each as a chart, a table with the same figures, and a CSV file.

Every figure is public (shared/projections/dashboard.py): no rahasia report is counted and
no reporter is read. The filters are a GET form that works with JavaScript off; a value
that is not one of the form's choices is answered with the form and an error next to it
(the figures then shown without that filter), and by a 400 for a CSV file.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from lokal import wilayah
from markupsafe import Markup

from services.intake.portal.charts import Bar, columns, horizontal_bars
from services.intake.portal.pages import finish, gettext, page_language, render
from shared import clock
from shared.domain.catalogue import categories
from shared.domain.routing import Directory
from shared.projections.dashboard import (
    LEVEL_FILTERS,
    LeagueRow,
    MonthlyCount,
    by_category,
    by_province,
    league_table,
    month_of,
    summary,
)
from shared.projections.statistics import FOLLOW_UP_TARGET
from shared.wording import spoken

router = APIRouter(include_in_schema=False)
MONTHS_SHOWN = 12  # the page's months; a CSV file has every month
CHART_AGENCIES = 25  # the league chart's bars: the agencies holding the most reports
# The CSV files, by the name in their address.
LEAGUE, CATEGORIES, PROVINCES = "peringkat-instansi", "per-kategori", "per-provinsi"
FIGURES = (LEAGUE, CATEGORIES, PROVINCES)
NO_FIGURE = "\N{EN DASH}"  # an agency holding none has no share, no median


@dataclass(frozen=True)
class Filters:
    level: str | None  # a key of LEVEL_FILTERS; the league table's only
    province: str | None  # a province's region code: every figure's
    errors: dict[str, str]  # field -> what is wrong, in the reader's words

    def query(self) -> str:
        """The filters as a query string, "" for none."""
        pairs = {"level": self.level, "province": self.province}
        chosen = {name: value for name, value in pairs.items() if value}
        return "?" + urlencode(chosen) if chosen else ""


def provinces() -> dict[str, str]:
    """The provinces, by region code: "16" -> "Sumatera Selatan"."""
    return {w.code: w.name for w in wilayah.list_wilayah()}


def filters(level: str, province: str, _: Any) -> Filters:
    """The filters asked for; "" is no filter, an unknown value an error and no filter."""
    errors = {}
    if level and level not in LEVEL_FILTERS:
        errors["level"] = _("Choose a level from the list")
    if province and province not in provinces():
        errors["province"] = _("Choose a province from the list")
    return Filters(
        level=level if level and "level" not in errors else None,
        province=province if province and "province" not in errors else None,
        errors=errors,
    )


def level_names(_: Any) -> dict[str, str]:
    """The directory's levels as the public reads them."""
    return {
        "national": _("National admin"),
        "ministry": _("Ministry"),
        "lembaga": _("Non-ministerial agency (lembaga)"),
        "state_company": _("State-owned company"),
        "province": _("Provincial government"),
        "regency": _("Regency government (kabupaten)"),
        "city": _("City government (kota)"),
    }


def level_choices(_: Any) -> list[tuple[str, str]]:
    names = {
        "ministry": _("Ministries"),
        "lembaga": _("Non-ministerial agencies (lembaga)"),
        "province": _("Provincial governments"),
        "kabupaten-kota": _("Regency and city governments (kabupaten/kota)"),
    }
    return [(key, names[key]) for key in LEVEL_FILTERS]


def recent_months(now: datetime, count: int = MONTHS_SHOWN) -> list[str]:
    """The `count` months up to the one `now` falls in (WIB), oldest first: "2026-03"."""
    year, month = (int(part) for part in month_of(now).split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def month_name(month: str, lang: str, pattern: str = "MMM y") -> str:
    """A month ("2026-03") as the reader reads it: "Mar 2026" (a CLDR date `pattern`)."""
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), pattern, locale=spoken(lang))


def _number(value: float, lang: str, pattern: str = "#,##0") -> str:
    return str(format_decimal(value, pattern, locale=spoken(lang)))


def _percent(share: float | None, lang: str) -> str:
    return (
        NO_FIGURE if share is None else str(format_percent(share, "#,##0.0%", locale=spoken(lang)))
    )


def _target(lang: str) -> str:
    return str(format_percent(FOLLOW_UP_TARGET, "#,##0%", locale=spoken(lang)))


def _hours(hours: float | None, lang: str) -> str:
    return NO_FIGURE if hours is None else _number(hours, lang, "#,##0.0")


@dataclass(frozen=True)
class Pivot:
    """Counts per key (a category, a province) and month, for a table and its chart."""

    rows: list[tuple[str, list[str], str]]  # name, a count per month, the total
    month_totals: list[int]
    total: int


def pivot(counts: Sequence[MonthlyCount], months: list[str], names: dict[str, str]) -> Pivot:
    """`counts` in `months`, a row per key that has any there, the most reports first."""
    shown = set(months)
    by_key: dict[str, dict[str, int]] = {}
    for count in counts:
        if count.month in shown:
            by_key.setdefault(count.key, {})[count.month] = count.count
    ordered = sorted(by_key.items(), key=lambda kv: (-sum(kv[1].values()), names.get(kv[0], kv[0])))
    month_totals = [sum(row.get(m, 0) for row in by_key.values()) for m in months]
    return Pivot(
        rows=[
            (names.get(key, key), [str(row.get(m, 0)) for m in months], str(sum(row.values())))
            for key, row in ordered
        ],
        month_totals=month_totals,
        total=sum(month_totals),
    )


def _database(request: Request) -> Any:
    return request.app.state.read_model.database


def _league_rows(rows: list[LeagueRow], lang: str, _: Any) -> list[dict[str, str]]:
    levels = level_names(_)
    met = {True: _("Met"), False: _("Not met"), None: NO_FIGURE}
    return [
        {
            "name": row.name,
            "level": levels.get(row.level or "", NO_FIGURE),
            "held": _number(row.held, lang),
            "followed_up": _percent(row.followed_up_share, lang),
            "target": met[row.meets_target],
            "hours": _hours(row.first_response_hours_median, lang),
            "backlog": _number(row.backlog, lang),
            "transferred_away": _number(row.transferred_away, lang),
        }
        for row in rows
    ]


def _league_chart(rows: list[LeagueRow], lang: str, _: Any) -> Markup | None:
    holding = sorted((r for r in rows if r.followed_up_share is not None), key=lambda r: -r.held)
    shown = sorted(holding[:CHART_AGENCIES], key=lambda r: -(r.followed_up_share or 0))
    if not shown:
        return None
    target = _target(lang)
    return horizontal_bars(
        "league-chart",
        _("Share of reports followed up, by agency, against the %(target)s target")
        % {"target": target},
        [
            Bar(r.name, r.followed_up_share or 0.0, _percent(r.followed_up_share, lang))
            for r in shown
        ],
        maximum=1.0,
        target=FOLLOW_UP_TARGET,
        target_label=_("Target %(target)s") % {"target": target},
    )


@router.get("/statistik", response_class=HTMLResponse)
def statistics_page(request: Request, level: str = "", province: str = "") -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    chosen = filters(level, province, _)
    database = _database(request)
    directory: Directory = request.app.state.directory.current
    province_names = provinces()
    category_names = {code: c.names[spoken(lang)] for code, c in categories().items()}
    months = recent_months(clock.now())
    month_labels = [month_name(m, lang) for m in months]

    headline = summary(database, chosen.province)
    league = league_table(database, directory, chosen.level, chosen.province)
    per_category = pivot(by_category(database, chosen.province), months, category_names)
    per_province = pivot(by_province(database, chosen.province), months, province_names)
    province_bars = [
        Bar(name, float(total), _number(int(total), lang))
        for name, _counts, total in per_province.rows
    ]
    context = {
        "errors": chosen.errors,
        "level": level if chosen.level else "",
        "province": province if chosen.province else "",
        "level_choices": level_choices(_),
        "province_choices": sorted(province_names.items(), key=lambda p: p[1]),
        "scope": province_names[chosen.province] if chosen.province else _("All of Indonesia"),
        "target": _target(lang),
        "cards": [
            (_number(headline.reports, lang), _("reports filed, not counting confidential ones")),
            (
                _percent(headline.followed_up_share, lang),
                _("of the reports sent to an agency have been followed up (target %(target)s)")
                % {"target": _target(lang)},
            ),
            (
                _("%(hours)s hours") % {"hours": _hours(headline.first_response_hours_median, lang)}
                if headline.first_response_hours_median is not None
                else NO_FIGURE,
                _("median time from reaching the agency to its first follow-up"),
            ),
        ],
        "league": _league_rows(league, lang, _),
        "league_chart": _league_chart(league, lang, _),
        "league_chart_limited": len(league) > CHART_AGENCIES,
        "chart_agencies": CHART_AGENCIES,
        "months": month_labels,
        "months_shown": MONTHS_SHOWN,
        "per_category": per_category,
        "category_chart": columns(
            "category-chart",
            _("Reports filed per month, all categories"),
            [
                Bar(month_name(month, lang, "MMM\ny"), float(n), _number(n, lang))
                for month, n in zip(months, per_category.month_totals, strict=True)
            ],
        )
        if per_category.total
        else None,
        "per_province": per_province,
        "province_chart": horizontal_bars(
            "province-chart",
            _("Reports filed in the last %(months)s months, by province")
            % {"months": MONTHS_SHOWN},
            province_bars,
            maximum=max((bar.value for bar in province_bars), default=1.0),
        )
        if province_bars
        else None,
        "csv": {figure: f"/statistik/{figure}.csv{chosen.query()}" for figure in FIGURES},
    }
    return render(
        request,
        "dashboard.html",
        context,
        status_code=400 if chosen.errors else 200,
        language=lang,
    )


def league_csv(rows: list[LeagueRow]) -> list[list[str]]:
    header = [
        "agency_id",
        "agency_name",
        "level",
        "held",
        "followed_up",
        "followed_up_share",
        "meets_target",
        "first_follow_up_hours_median",
        "backlog",
        "transferred_away",
    ]

    def optional(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    return [header] + [
        [
            r.agency_id,
            r.name,
            r.level or "",
            str(r.held),
            str(r.followed_up),
            optional(r.followed_up_share, 4),
            "" if r.meets_target is None else str(r.meets_target).lower(),
            optional(r.first_response_hours_median, 1),
            str(r.backlog),
            str(r.transferred_away),
        ]
        for r in rows
    ]


def monthly_csv(counts: Sequence[MonthlyCount], key: str, names: dict[str, str]) -> list[list[str]]:
    header = ["month", key, f"{key}_name", "reports"]
    return [header] + [[c.month, c.key, names.get(c.key, ""), str(c.count)] for c in counts]


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@router.get("/statistik/{figure}.csv")
def statistics_csv(request: Request, figure: str, level: str = "", province: str = "") -> Response:
    if figure not in FIGURES:
        raise HTTPException(404, "page")
    lang = page_language(request)
    chosen = filters(level, province, gettext(lang))
    if chosen.errors:
        raise HTTPException(400, "filter")
    database = _database(request)
    if figure == LEAGUE:
        directory: Directory = request.app.state.directory.current
        rows = league_csv(league_table(database, directory, chosen.level, chosen.province))
    elif figure == CATEGORIES:
        names = {code: c.names[spoken(lang)] for code, c in categories().items()}
        rows = monthly_csv(by_category(database, chosen.province), "category", names)
    else:
        rows = monthly_csv(by_province(database, chosen.province), "province", provinces())
    parts = ["statistik", figure, chosen.level or "", chosen.province or ""]
    filename = "-".join(part for part in parts if part) + ".csv"  # ASCII: codes only
    response = Response(
        csv_text(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    finish(request, response)
    return response
