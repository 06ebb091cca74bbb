"""Lacak Laporan: a complaint's status, timeline, holder and deadlines; and, through the
reporter's private link, their reply, reopening and rating, each ending in the command the
API sends.

A rahasia complaint is shown only through its private link; by its tracking id alone it is
answered exactly as a tracking id that does not exist.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from services.intake.access import unknown_complaint
from services.intake.actions import actions_of
from services.intake.complaints import proves_reporter
from services.intake.portal.pages import check_csrf, finish, gettext, page_language, render
from services.intake.timeline import describe
from services.intake.views import ComplaintViews
from shared.contracts.commands import Action, Rate, Reopen, Reply
from shared.domain.complaint import Status
from shared.domain.routing import Directory
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import ComplaintView, TimelineEntry
from shared.wording import format_wib, stage_name, status_label, upper_first

router = APIRouter(include_in_schema=False)
ACTIONS = ("balas", "buka-kembali", "nilai")  # reply, reopen, rate


@dataclass(frozen=True)
class DeadlineLine:
    stage: str
    due_at: str
    state: str  # open, met, overdue


def deadlines(timeline: list[TimelineEntry], lang: str) -> list[DeadlineLine]:
    """Each stage's latest deadline and whether it was met, from the timeline."""
    due: dict[str, tuple[datetime, str]] = {}
    for entry in timeline:
        d = entry.detail
        scheduled = list(d.get("deadlines") or [])
        if entry.event_type == "pintu.complaint.deadline_scheduled":
            scheduled.append(d)
        for clock in scheduled:
            due[str(clock["stage"])] = (datetime.fromisoformat(str(clock["due_at"])), "open")
        stage = str(d.get("stage"))
        if stage in due and entry.event_type == "pintu.complaint.deadline_breached":
            due[stage] = (due[stage][0], "overdue")
        elif stage in due and entry.event_type == "pintu.complaint.deadline_stopped":
            due[stage] = (due[stage][0], "met" if due[stage][1] == "open" else due[stage][1])
    return [
        DeadlineLine(upper_first(stage_name(stage, lang)), format_wib(at, lang), state)
        for stage, (at, state) in due.items()
    ]


def why_held(timeline: list[TimelineEntry], agencies: dict[str, Any], _: Any) -> str | None:
    """Why the present holder holds it, in the reader's words (the last routing's reason)."""
    routed = [e for e in timeline if e.event_type == "pintu.complaint.routed"]
    if not routed:
        return None
    d = routed[-1].detail
    if d.get("rule_id") == "manual":
        return str(_("The national admin sent it there."))
    if d.get("rule_id") == "triage":
        return str(_("The national admin decides where it goes: no rule names an agency for it."))
    if d.get("hint_used"):
        return str(_("It went to the agency you named, which is responsible for it."))
    return str(_("The routing rules for its category and region name this agency."))


def _view(request: Request, tracking_id: str, token: str | None) -> ComplaintView:
    """The complaint, if the reader may see it: a rahasia one only with its reporter token."""
    views: ComplaintViews = request.app.state.views
    view = views.complaint(tracking_id) if is_tracking_id(tracking_id) else None
    if view is None:
        raise unknown_complaint(tracking_id)
    if token is not None and not proves_reporter(view, token):
        raise unknown_complaint(tracking_id)
    if token is None and view.confidential:
        raise unknown_complaint(tracking_id)  # not even its existence is public
    return view


def _page(
    request: Request,
    view: ComplaintView,
    token: str | None,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    directory: Directory = request.app.state.directory.current
    holder = directory.agencies.get(view.agency_id or "")
    rated = any(e.event_type == "pintu.complaint.rated" for e in view.timeline)
    files = view.attachments()
    return render(
        request,
        "track.html",
        {
            "view": view,
            "status": status_label(view.status, lang),
            "holder": holder.name if holder else None,
            "why": why_held(view.timeline, directory.agencies, _),
            "deadlines": deadlines(view.timeline, lang),
            "timeline": [
                (format_wib(e.at, lang), describe(e, lang, directory.agencies))
                for e in reversed(view.timeline)
            ],
            "files": [f for f in files if f.get("sha256")] if token else [],
            "private": token is not None,
            "base": f"/lacak/{view.tracking_id}/pelapor/{token}" if token else None,
            "can_reply": view.status in (Status.POSTPONED, Status.DISPOSED_IN_PROGRESS),
            "can_reopen": view.status is Status.DISPOSED_DONE,
            "can_rate": view.status in (Status.DISPOSED_DONE, Status.ARCHIVED) and not rated,
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
        language=lang,
    )


@router.get("/lacak", response_class=HTMLResponse)
def track_start(request: Request, nomor: str | None = None) -> Response:
    if nomor is None:
        return render(request, "track_start.html", {"errors": {}, "nomor": ""})
    tracking_id = nomor.strip().upper().replace(" ", "").replace("-", "")
    views: ComplaintViews = request.app.state.views
    view = views.complaint(tracking_id) if is_tracking_id(tracking_id) else None
    if view is None or view.confidential:
        _ = gettext(page_language(request))
        if not tracking_id:
            errors = {"nomor": _("Enter the tracking number from your receipt")}
        else:
            errors = {"nomor": _("There is no report with this tracking number that you may see")}
        status_code = 404 if tracking_id else 422
        return render(
            request, "track_start.html", {"errors": errors, "nomor": nomor}, status_code=status_code
        )
    response = RedirectResponse(f"/lacak/{tracking_id}", status_code=303)
    finish(request, response)
    return response


@router.get("/lacak/{tracking_id}", response_class=HTMLResponse)
def track(request: Request, tracking_id: str) -> HTMLResponse:
    return _page(request, _view(request, tracking_id, None), None)


@router.get("/lacak/{tracking_id}/pelapor/{token}", response_class=HTMLResponse)
def track_as_reporter(
    request: Request, tracking_id: str, token: str, selesai: str | None = None
) -> HTMLResponse:
    view = _view(request, tracking_id, token)
    _ = gettext(page_language(request))
    notice = _("Recorded. Thank you.") if selesai in ACTIONS else None
    return _page(request, view, token, notice=notice)


@router.post("/lacak/{tracking_id}/pelapor/{token}/{action}", response_class=HTMLResponse)
async def reporter_acts(request: Request, tracking_id: str, token: str, action: str) -> Response:
    if action not in ACTIONS:
        raise HTTPException(404, "page")
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form)
    view = await asyncio.to_thread(_view, request, tracking_id, token)  # SQL: off the loop
    lang = page_language(request)
    _ = gettext(lang)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    errors: dict[str, str] = {}
    command: Action | None = None
    if action == "nilai":
        score = values.get("score", "")
        if score not in {"1", "2", "3", "4", "5"}:
            errors["score"] = _("Choose a score from 1 to 5")
        elif len(values.get("comment", "")) > 2000:
            errors["comment"] = _("Write a comment of at most 2,000 characters")
        else:
            command = Rate(score=int(score), comment=values.get("comment") or None)
    else:
        field = "message" if action == "balas" else "reason"
        text = values.get(field, "")
        if not 10 <= len(text) <= 2000:
            errors[field] = _("Write between 10 and 2,000 characters")
        else:
            command = Reply(message=text) if action == "balas" else Reopen(reason=text)
    if command is None:
        return _page(request, view, token, errors=errors, values=values, status_code=422)
    acts = actions_of(request)
    try:
        await acts.submit(view, command)
    except HTTPException as refused:
        if refused.status_code != 409:
            raise
        notice = _("This cannot be done at this stage of the report. Nothing was recorded.")
        return _page(request, view, token, notice=notice, status_code=409)
    # Post, then redirect, then get: a reload never sends the command again.
    target = f"/lacak/{tracking_id}/pelapor/{token}?selesai={action}"
    response = RedirectResponse(target, status_code=303)
    finish(request, response)
    return response
