"""Assigning complaints (penugasan) to the agency's officers, one from its page or several
from the inbox, each recorded with who assigned it (services/intake/assignments.py).

Only a complaint the officer's agency holds, and may read, is assigned; to an officer of the
same agency who has set up their account. Anything else reads as a complaint not there.
"""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake.console.complaint import BULK_MAX, complaint_page, found_off_the_loop
from services.intake.console.inbox import assignments, colleagues, inbox_page
from services.intake.console.session import OfficerDep, record
from services.intake.portal.pages import check_csrf_token, finish, gettext, page_language, render
from shared.domain.officers import Officer, Role
from shared.projections.projection import OPEN_STATUSES

router = APIRouter(include_in_schema=False)


async def _assign(request: Request, who: Officer, tracking_id: str, officer_id: str) -> bool:
    """False when the complaint is not one the agency holds open (a copy, closed, unknown)."""
    try:
        entry, view = await found_off_the_loop(request, who, tracking_id)
    except HTTPException:
        return False
    if entry.tembusan or view.agency_id != who.agency_id or view.status not in OPEN_STATUSES:
        return False
    assignments(request).assign(view.tracking_id, who.agency_id, officer_id, who.officer_id)
    record(request, who, "assign", tracking_id=view.tracking_id, officer_id=officer_id)
    return True


async def _form(request: Request, who: Officer, fields: int) -> tuple[Any, dict[str, str]]:
    if who.role is Role.NATIONAL_ADMIN:
        raise HTTPException(404, "page")
    form = await request.form(max_files=0, max_fields=fields)
    sent = form.get("csrf_token")
    check_csrf_token(request, sent if isinstance(sent, str) else None)
    return form, colleagues(request, who)


@router.post("/petugas/laporan/tugaskan", response_class=HTMLResponse)
async def assign_several(request: Request, who: OfficerDep) -> HTMLResponse:
    form, team = await _form(request, who, BULK_MAX + 5)
    _ = gettext(page_language(request))
    chosen = list(dict.fromkeys(n for n in form.getlist("nomor") if isinstance(n, str)))
    officer_id = form.get("petugas")
    errors: dict[str, str] = {}
    if not chosen:
        errors["pilihan"] = _("Choose at least one report")
    if officer_id not in team:
        errors["petugas"] = _("Choose an officer of your agency from the list")
    if errors:
        return inbox_page(request, who, errors)
    name = team[str(officer_id)]
    results = [
        (
            tracking_id,
            _("Assigned to %(name)s") % {"name": name}
            if await _assign(request, who, tracking_id, str(officer_id))
            else _("Not assigned: not an open report your agency holds"),
        )
        for tracking_id in chosen[:BULK_MAX]
    ]
    return render(
        request,
        "several.html",
        {"who": who, "results": results, "heading": _("Assign several reports")},
    )


@router.post("/petugas/laporan/{tracking_id}/tugaskan")
async def assign(request: Request, who: OfficerDep, tracking_id: str) -> Response:
    form, team = await _form(request, who, 5)
    officer_id = form.get("petugas")
    if officer_id not in team:
        _ = gettext(page_language(request))
        error = _("Choose an officer of your agency from the list")
        return await _refused(request, who, tracking_id, error)
    if not await _assign(request, who, tracking_id, str(officer_id)):
        raise HTTPException(404, "page")
    response = RedirectResponse(f"/petugas/laporan/{tracking_id}?selesai=tugaskan", status_code=303)
    finish(request, response)
    return response


async def _refused(request: Request, who: Officer, tracking_id: str, error: str) -> Response:
    entry, view = await found_off_the_loop(request, who, tracking_id)
    return complaint_page(request, who, entry, view, errors={"petugas": error}, status_code=422)
