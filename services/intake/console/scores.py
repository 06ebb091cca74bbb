"""Scores (Skor): the agency's own figures, from the read model the API's statistics come
from (`shared/projections/statistics.scores`), each as a chart and as a table. The national
admin's are over every complaint."""

from typing import Any

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.intake.console.session import OfficerDep
from services.intake.portal.charts import Bar, columns, horizontal_bars
from services.intake.portal.pages import gettext, page_language, render
from shared.domain.complaint import Status
from shared.domain.officers import Role
from shared.projections.statistics import FOLLOW_UP_TARGET, scores
from shared.wording import spoken, status_label

router = APIRouter(include_in_schema=False)
NONE = "\N{EN DASH}"


def _number(value: float | None, lang: str, pattern: str = "#,##0") -> str:
    return NONE if value is None else str(format_decimal(value, pattern, locale=spoken(lang)))


def _percent(share: float | None, lang: str) -> str:
    return NONE if share is None else str(format_percent(share, "#,##0.0%", locale=spoken(lang)))


@router.get("/petugas/skor", response_class=HTMLResponse)
def scores_page(request: Request, who: OfficerDep) -> HTMLResponse:
    lang = page_language(request)
    _: Any = gettext(lang)
    agency_id = None if who.role is Role.NATIONAL_ADMIN else who.agency_id
    figures = scores(request.app.state.read_model.database, agency_id)
    directory = request.app.state.directory.current
    agency = directory.agencies.get(agency_id or "")
    target = str(format_percent(FOLLOW_UP_TARGET, "#,##0%", locale=spoken(lang)))
    statuses = [(status_label(s, lang), figures.by_status.get(s.value, 0)) for s in Status]
    ratings = [(str(score), figures.rating_counts.get(score, 0)) for score in range(1, 6)]
    rows = [
        (_("Reports held"), _number(figures.held, lang)),
        (_("Followed up"), _percent(figures.followed_up_share, lang)),
        (
            _("Target %(target)s") % {"target": target},
            _("Met")
            if figures.meets_target
            else NONE
            if figures.meets_target is None
            else _("Not met"),
        ),
        (
            _("Median hours to first follow-up"),
            _number(figures.first_response_hours_median, lang, "#,##0.0"),
        ),
        (
            _("Hours within which 9 in 10 got their first follow-up"),
            _number(figures.first_response_hours_p90, lang, "#,##0.0"),
        ),
        (_("Waiting for a follow-up"), _number(figures.unanswered, lang)),
        (_("Overdue"), _number(figures.overdue, lang)),
        (_("Sent on to another agency"), _number(figures.transferred_away, lang)),
        (_("Ratings"), _number(figures.ratings, lang)),
        (_("Mean rating (1 to 5)"), _number(figures.rating_mean, lang, "#,##0.0")),
    ]
    return render(
        request,
        "scores.html",
        {
            "who": who,
            "scope": agency.name if agency else _("Every agency"),
            "rows": rows,
            "statuses": [(name, _number(n, lang)) for name, n in statuses],
            "ratings": [(score, _number(n, lang)) for score, n in ratings],
            "status_chart": horizontal_bars(
                "status-chart",
                _("Reports by status"),
                [Bar(name, float(n), _number(n, lang)) for name, n in statuses],
                maximum=float(max((n for _name, n in statuses), default=0) or 1),
            ),
            "share_chart": horizontal_bars(
                "share-chart",
                _("Share followed up, against the %(target)s target") % {"target": target},
                [
                    Bar(
                        _("Followed up"),
                        figures.followed_up_share or 0.0,
                        _percent(figures.followed_up_share, lang),
                    )
                ],
                maximum=1.0,
                target=FOLLOW_UP_TARGET,
                target_label=_("Target %(target)s") % {"target": target},
            ),
            "rating_chart": columns(
                "rating-chart",
                _("Ratings, from 1 (very poor) to 5 (very good)"),
                [Bar(score, float(n), _number(n, lang)) for score, n in ratings],
            ),
        },
    )
