"""The inbox (Kotak Masuk): the complaints an officer's agency holds or was copied, the next
deadline first, with filters, paging and the same rows as a CSV file.

The national admin's inbox is every complaint. The read model answers it (it may trail the
log by a moment, as the API's lists do).
"""

import csv
import io
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from lokal import wilayah

from services.intake.assignments import Assignments
from services.intake.console.session import OfficerDep
from services.intake.portal.pages import finish, gettext, page_language, render
from shared.domain.catalogue import categories, region_name
from shared.domain.complaint import NATIONAL_TRIAGE, Status
from shared.domain.deadlines import Tier
from shared.domain.officers import Officer, Role, may_assign
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import ComplaintFilter, InboxEntry, InboxStore, Page, Scope, Sort
from shared.projections.projection import OPEN_STATUSES
from shared.wording import format_wib, spoken, stage_name, status_label

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
WORDS_MAX = 100
SORTS: dict[str, Sort] = {"deadline": "deadline_at", "newest": "-filed_at", "oldest": "filed_at"}


@dataclass(frozen=True)
class Asked:
    """The inbox's filters as the officer chose them; an unknown value is an error."""

    status: str
    overdue: bool
    category: str
    province: str
    number: str
    words: str
    mine: bool  # only those assigned to the officer
    sort: str
    page: int
    triage: bool
    errors: dict[str, str]

    def query(self, **changed: Any) -> str:
        pairs = {
            "status": self.status,
            "terlambat": "1" if self.overdue else "",
            "kategori": self.category,
            "provinsi": self.province,
            "nomor": self.number,
            "kata": self.words,
            "ditugaskan": "saya" if self.mine else "",
            "urut": self.sort if self.sort != "deadline" else "",
            "antrean": "triase" if self.triage else "",
            "halaman": str(self.page) if self.page > 1 else "",
        } | {k: str(v) for k, v in changed.items()}
        chosen = {k: v for k, v in pairs.items() if v}
        return "?" + urlencode(chosen) if chosen else ""

    def complaint_filter(self, assigned: tuple[str, ...] | None = None) -> ComplaintFilter:
        """`assigned`: the officer's assigned tracking ids, where only those are asked for."""
        return ComplaintFilter(
            statuses=(Status(self.status),) if self.status else (),
            tracking_id=self.number or None,
            overdue=True if self.overdue else None,
            category=self.category or None,
            region_code=self.province or None,
            words=tuple(self.words.split()),
            tracking_ids=assigned if self.mine else None,
        )


def provinces() -> dict[str, str]:
    return {w.code: w.name for w in wilayah.list_wilayah()}


def asked(request: Request, _: Any) -> Asked:
    q = request.query_params
    errors: dict[str, str] = {}
    number = q.get("nomor", "").strip().upper().replace(" ", "").replace("-", "")
    if number and not is_tracking_id(number):
        errors["nomor"] = _("A tracking number has 10 letters and digits, like 5XW2KTAPJ2")
        number = ""
    status = q.get("status", "")
    if status and status not in {s.value for s in Status}:
        errors["status"], status = _("Choose a status from the list"), ""
    category = q.get("kategori", "")
    if category and category not in categories():
        errors["kategori"], category = _("Choose a category from the list"), ""
    province = q.get("provinsi", "")
    if province and province not in provinces():
        errors["provinsi"], province = _("Choose a province from the list"), ""
    words = " ".join(q.get("kata", "").split())
    if len(words) > WORDS_MAX or len(words.split()) > 8:
        errors["kata"] = _("Search with at most 8 words and %(n)d characters") % {"n": WORDS_MAX}
        words = ""
    sort = q.get("urut", "deadline")
    sort = sort if sort in SORTS else "deadline"
    page = int(q["halaman"]) if q.get("halaman", "").isdigit() else 1
    return Asked(
        status=status,
        overdue=q.get("terlambat") == "1",
        category=category,
        province=province,
        number=number,
        words=words,
        mine=q.get("ditugaskan") == "saya",
        sort=sort,
        page=max(page, 1),
        triage=q.get("antrean") == "triase",
        errors=errors,
    )


def tiers(_: Any) -> list[tuple[str, str]]:
    """The tiers an officer takes a complaint up with, as (value, words)."""
    return [
        (Tier.SIMPLE.value, _("Simple: 5 working days to complete")),
        (Tier.STANDARD.value, _("Needs no field check: 14 working days")),
        (Tier.FIELD_INSPECTION.value, _("Needs a field check: 60 days")),
    ]


def scope(request: Request, who: Officer, triage: bool = False) -> Scope:
    """What the officer reads: the agency's (a liaison of a unit: its categories and regions,
    and what is assigned to them), or for the national admin every complaint (or, asked, the
    triage queue: no rule matched, or declined too often)."""
    if who.role is Role.NATIONAL_ADMIN:
        return Scope(NATIONAL_TRIAGE if triage else None)
    if who.role is Role.LIAISON and (who.categories or who.regions):
        assigned = assignments(request).to(who.officer_id, who.agency_id)
        return Scope(who.agency_id, who.categories, who.regions, assigned)
    return Scope(who.agency_id)


def assignments(request: Request) -> Assignments:
    return request.app.state.assignments  # type: ignore[no-any-return]


def _deadline(entry: InboxEntry, lang: str, _: Any) -> str:
    if entry.deadline_at is None or entry.deadline_stage is None:
        return "\N{EN DASH}"
    when = format_wib(entry.deadline_at, lang)
    stage = stage_name(entry.deadline_stage, lang)
    days = entry.days_left or 0
    if days < 0:
        left = _("%(days)d working days overdue") % {"days": -days}
    elif days == 0 and entry.overdue:
        left = _("overdue")
    else:
        left = _("%(days)d working days left") % {"days": days}
    return f"{stage}: {when} ({left})"


def _rows(
    entries: list[InboxEntry], assignees: dict[str, str], lang: str, _: Any
) -> list[dict[str, Any]]:
    names = {code: c.names[spoken(lang)] for code, c in categories().items()}
    return [
        {
            "tracking_id": e.tracking_id,
            "title": e.title,
            "category": names.get(e.category, e.category),
            "region": region_name(e.region_code) or e.region_code,
            "status": status_label(e.status, lang),
            "deadline": _deadline(e, lang, _),
            "overdue": e.overdue,
            "tembusan": e.tembusan,
            "new": not e.tembusan and e.status is Status.DISPOSED_NOT_FOLLOWED_UP,
            "choosable": not e.tembusan and e.status in OPEN_STATUSES,
            "assignee": assignees.get(e.tracking_id),
        }
        for e in entries
    ]


def shown(request: Request, who: Officer, chosen: Asked) -> Page:
    """The page of complaints the officer asked for, of those they may read."""
    views: InboxStore = request.app.state.read_model
    mine = assignments(request).to(who.officer_id, who.agency_id) if chosen.mine else None
    return views.complaints(
        scope(request, who, chosen.triage),
        chosen.complaint_filter(mine),
        SORTS[chosen.sort],
        chosen.page,
        PAGE_SIZE,
    )


def assignees(
    request: Request, who: Officer, entries: list[InboxEntry], team: dict[str, str], _: Any
) -> dict[str, str]:
    """The name of the officer each of these complaints is assigned to, where it is; `team`:
    the agency's officers by id (`colleagues`)."""
    if who.role is Role.NATIONAL_ADMIN:
        return {}
    held = assignments(request).of(who.agency_id, [e.tracking_id for e in entries])
    gone = _("an officer no longer in the team")
    return {tracking_id: team.get(officer_id, gone) for tracking_id, officer_id in held.items()}


def colleagues(request: Request, who: Officer) -> dict[str, str]:
    """The agency's officers (set up, not only invited) by id: their names, for assigning."""
    if who.role is Role.NATIONAL_ADMIN:
        return {}
    team = request.app.state.accounts.team(who.agency_id)
    return {o.officer_id: o.name for o, pending in team if not pending and may_assign(who, o)}


@router.get("/petugas/laporan", response_class=HTMLResponse)
def inbox(request: Request, who: OfficerDep) -> HTMLResponse:
    return inbox_page(request, who)


def inbox_page(
    request: Request, who: Officer, refused: dict[str, str] | None = None
) -> HTMLResponse:
    """The inbox as its query asks; `refused`: a form of it sent back, with its errors."""
    lang = page_language(request)
    _ = gettext(lang)
    chosen = asked(request, _)
    found = shown(request, who, chosen)
    team = colleagues(request, who)
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    return render(
        request,
        "inbox.html",
        {
            "who": who,
            "national": who.role is Role.NATIONAL_ADMIN,
            "can_take_up": who.role is not Role.NATIONAL_ADMIN,
            "tiers": tiers(_),
            "asked": chosen,
            "errors": chosen.errors | (refused or {}),
            "rows": _rows(found.entries, assignees(request, who, found.entries, team, _), lang, _),
            "colleagues": sorted(team.items(), key=lambda pair: pair[1]),
            "total": found.total,
            "pages": pages,
            "previous": chosen.query(halaman=chosen.page - 1) if chosen.page > 1 else None,
            "next": chosen.query(halaman=chosen.page + 1) if chosen.page < pages else None,
            "csv": "/petugas/laporan.csv" + chosen.query(),
            "statuses": [(s.value, status_label(s, lang)) for s in Status],
            "categories": sorted(
                ((code, c.names[spoken(lang)]) for code, c in categories().items()),
                key=lambda pair: pair[1],
            ),
            "provinces": sorted(provinces().items(), key=lambda pair: pair[1]),
            "sorts": [
                ("deadline", _("Next deadline first")),
                ("newest", _("Newest first")),
                ("oldest", _("Oldest first")),
            ],
        },
        status_code=422 if refused else 400 if chosen.errors else 200,
    )


@router.get("/petugas/laporan.csv")
def inbox_csv(request: Request, who: OfficerDep) -> Response:
    lang = page_language(request)
    _ = gettext(lang)
    chosen = asked(request, _)
    if chosen.errors:
        raise HTTPException(400, "filter")
    found = shown(request, who, chosen)
    buffer = io.StringIO()
    sheet = csv.writer(buffer, lineterminator="\r\n")
    sheet.writerow(
        ["tracking_id", "title", "category", "region_code", "status", "deadline_stage",
         "deadline_at", "working_days_left", "overdue", "tembusan", "assigned_to"]
    )  # fmt: skip
    assigned = assignees(request, who, found.entries, colleagues(request, who), _)
    for e in found.entries:
        sheet.writerow(
            [e.tracking_id, e.title, e.category, e.region_code, e.status.value,
             e.deadline_stage or "", e.deadline_at.isoformat() if e.deadline_at else "",
             "" if e.days_left is None else e.days_left, str(e.overdue).lower(),
             str(e.tembusan).lower(), assigned.get(e.tracking_id, "")]
        )  # fmt: skip
    response = Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="kotak-masuk.csv"'},
    )
    finish(request, response)
    return response
