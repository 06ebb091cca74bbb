"""One complaint at the desk: what was reported, its deadlines and timeline, and the
agency's actions. Each action is the API's own command (`Actions.submit`) and ends in its
verdict, told in the officer's words: done, not possible now (409, with the status it is
in), or sent and not yet answered.

An officer reads the complaints their agency holds or was copied; any other reads as one
that does not exist. A copy (tembusan) is to read: its forms are not shown, and the router
refuses its commands.
"""

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake.access import unknown_complaint
from services.intake.actions import NATIONAL_ADMIN, actions_of
from services.intake.console.inbox import assignees, colleagues, inbox_page, scope, tiers
from services.intake.console.session import OfficerDep, record
from services.intake.portal.pages import check_csrf_token, finish, gettext, page_language, render
from services.intake.portal.public import file_response, listed
from services.intake.timeline import describe_for_officers
from shared.adapters.sql.reporter_keys import unseal
from shared.contracts.commands import (
    Acknowledge,
    Action,
    Archive,
    Decline,
    FollowUp,
    Postpone,
    Reassign,
    RequestInformation,
    Resolve,
    Verify,
)
from shared.domain.catalogue import categories, region_name
from shared.domain.complaint import Status
from shared.domain.deadlines import Tier
from shared.domain.identity import ReporterIdentity
from shared.domain.officers import Officer, Role, may_see_reporter
from shared.domain.routing import Directory
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import ComplaintFilter, ComplaintView, InboxEntry, InboxStore
from shared.projections.projection import OPEN_STATUSES
from shared.wording import format_wib, spoken, status_label

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]
# The path's word for each action, and the form field it reads.
ACTIONS = {
    "terima": "tier",
    "tanya": "question",
    "tindak-lanjut": "follow_up",
    "selesai": "resolution",
    "bukan-wewenang": "reason",
}
# The national admin's, likewise ("verifikasi" reads no field).
ADMIN_ACTIONS = {
    "verifikasi": "",
    "alihkan": "reassign_reason",
    "tunda": "postpone_reason",
    "arsipkan": "archive_reason",
}
TEXT_MIN, TEXT_MAX = 10, 4000
# Why a page shows no reporter: anonim, rahasia and not the officer's to see, another
# agency's (a copy), no contact given, or the identity erased (its key shredded).
Hidden = Literal["anonymous", "confidential", "holder_only", "no_contact", "erased"]
BULK_MAX = 50  # complaints taken up at once: a page of the inbox and some


def _found(request: Request, who: Officer, tracking_id: str) -> tuple[InboxEntry, ComplaintView]:
    """The complaint if the officer may read it; else the one 404 of an unknown one."""
    store: InboxStore = request.app.state.read_model
    if is_tracking_id(tracking_id):
        seen = store.complaints(scope(request, who), ComplaintFilter(tracking_id=tracking_id))
        view = store.complaint(tracking_id) if seen.entries else None
        if view is not None:
            return seen.entries[0], view
    raise unknown_complaint(tracking_id)


def _reporter(
    request: Request, who: Officer, entry: InboxEntry, view: ComplaintView
) -> ReporterIdentity | Hidden:
    """Who reported, where the officer may see it (each reading recorded), else why not."""
    holds = view.agency_id == who.agency_id and not entry.tembusan
    if view.anonymous:
        return "anonymous"
    if not may_see_reporter(who, holds, view.anonymous, view.confidential):
        return "confidential" if view.confidential else "holder_only"
    if view.reporter is None:
        return "no_contact"
    identity = unseal(view.reporter, request.app.state.filing.keys)
    if identity is None:
        return "erased"
    record(request, who, "see_reporter", tracking_id=view.tracking_id)
    return identity


def _acts(who: Officer, entry: InboxEntry, view: ComplaintView) -> bool:
    """Whether the agency's forms are shown: its officer, on a complaint it holds, open."""
    return (
        who.role is not Role.NATIONAL_ADMIN
        and not entry.tembusan
        and view.agency_id == who.agency_id
        and view.status in OPEN_STATUSES
    )


def _disposes(who: Officer, view: ComplaintView) -> bool:
    """Whether the national admin's forms are shown: to a national admin, until archived."""
    return who.role is Role.NATIONAL_ADMIN and view.status is not Status.ARCHIVED


def complaint_page(
    request: Request,
    who: Officer,
    entry: InboxEntry,
    view: ComplaintView,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    directory = request.app.state.directory.current
    detail = view.filing()
    category = categories().get(entry.category)
    holder = directory.agencies.get(view.agency_id or "")
    team = colleagues(request, who)
    return render(
        request,
        "complaint.html",
        {
            "who": who,
            "entry": entry,
            "view": view,
            "status": status_label(view.status, lang),
            "holder": holder.name if holder else None,
            "category": category.names[spoken(lang)] if category else entry.category,
            "region": region_name(entry.region_code) or entry.region_code,
            "description": detail.get("description", ""),
            "address": detail.get("address"),
            "files": [a for a in view.attachments() if a.get("sha256")],
            "reporter": _reporter(request, who, entry, view),
            "deadline": format_wib(entry.deadline_at, lang) if entry.deadline_at else None,
            "timeline": [
                (format_wib(e.at, lang), describe_for_officers(e, lang, directory.agencies))
                for e in reversed(view.timeline)
            ],
            "acts": _acts(who, entry, view),
            "templates": (
                request.app.state.responses.for_complaint(who.agency_id, entry.category)
                if _acts(who, entry, view)
                else {}
            ),
            "disposes": _disposes(who, view),
            "verifiable": view.status is Status.UNVERIFIED,
            "agencies": sorted(
                ((a.id, a.name) for a in directory.agencies.values() if a.id != view.agency_id),
                key=lambda pair: pair[1],
            ),
            "tiers": tiers(_),
            "colleagues": sorted(team.items(), key=lambda pair: pair[1])
            if _acts(who, entry, view)
            else [],
            "assignee": assignees(request, who, [entry], team, _).get(entry.tracking_id),
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/petugas/laporan/{tracking_id}", response_class=HTMLResponse)
def complaint(
    request: Request, who: OfficerDep, tracking_id: str, selesai: str = "", templat: str = ""
) -> HTMLResponse:
    """The complaint; with `templat`, one of the agency's templates in its action's field."""
    entry, view = _found(request, who, tracking_id)
    _ = gettext(page_language(request))
    notice = _("Done. The timeline shows it.") if selesai in ACTIONS | ADMIN_ACTIONS else None
    if selesai == "tugaskan":
        notice = _("Assigned.")
    picked = next(
        (t for t in request.app.state.responses.of(who.agency_id) if t.template_id == templat),
        None,
    )
    values = {picked.action: picked.body} if picked else {}
    return complaint_page(request, who, entry, view, notice=notice, values=values)


def _command(action: str, who: Officer, text: str, _: Any) -> tuple[Action | None, dict[str, str]]:
    """The command the form asks for, or the error beside its field."""
    field = ACTIONS[action]
    if action == "terima":
        if text not in {t.value for t in Tier}:
            return None, {field: _("Choose how much work completing it takes")}
        return Acknowledge(agency_id=who.agency_id, tier=Tier(text)), {}
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        return None, {field: _("Write between 10 and 4,000 characters")}
    agency = who.agency_id
    commands: dict[str, Action] = {
        "tanya": RequestInformation(agency_id=agency, question=text),
        "tindak-lanjut": FollowUp(agency_id=agency, message=text),
        "selesai": Resolve(agency_id=agency, message=text),
        "bukan-wewenang": Decline(agency_id=agency, reason=text),
    }
    return commands[action], {}


def _admin_command(
    action: str, text: str, to_agency: str, directory: Directory, _: Any
) -> tuple[Action | None, dict[str, str]]:
    if action == "verifikasi":
        return Verify(admin=NATIONAL_ADMIN), {}
    field = ADMIN_ACTIONS[action]
    errors: dict[str, str] = {}
    if action == "alihkan" and to_agency not in directory.agencies:
        errors["to_agency"] = _("Choose the agency from the list")
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        errors[field] = _("Write between 10 and 4,000 characters")
    if errors:
        return None, errors
    commands: dict[str, Action] = {
        "alihkan": Reassign(agency_id=to_agency, admin=NATIONAL_ADMIN, reason=text),
        "tunda": Postpone(admin=NATIONAL_ADMIN, reason=text),
        "arsipkan": Archive(admin=NATIONAL_ADMIN, reason=text),
    }
    return commands[action], {}


@router.post("/petugas/laporan/{tracking_id}/{action}", response_class=HTMLResponse)
async def act(request: Request, who: OfficerDep, tracking_id: str, action: str) -> Response:
    national = who.role is Role.NATIONAL_ADMIN
    fields = ADMIN_ACTIONS if national else ACTIONS
    if action not in fields:
        raise HTTPException(404, "page")
    form = await request.form(max_files=0, max_fields=10)
    sent = form.get("csrf_token")
    check_csrf_token(request, sent if isinstance(sent, str) else None)
    entry, view = await found_off_the_loop(request, who, tracking_id)
    _ = gettext(page_language(request))
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    field = fields[action]
    text = values.get(field, "")
    if national:
        directory: Directory = request.app.state.directory.current
        command, errors = _admin_command(action, text, values.get("to_agency", ""), directory, _)
    else:
        command, errors = _command(action, who, text, _)
    if command is None:
        return complaint_page(
            request, who, entry, view, errors=errors, values=values, status_code=422
        )
    verdict = await send(request, who, view, command)
    if verdict == "refused":
        entry, view = await found_off_the_loop(request, who, tracking_id)
        return complaint_page(
            request, who, entry, view, notice=refusal(view, _, request), status_code=409
        )
    response = RedirectResponse(
        f"/petugas/laporan/{view.tracking_id}?selesai={action}", status_code=303
    )
    finish(request, response)
    return response


Verdict = Literal["done", "pending", "refused"]


async def send(request: Request, who: Officer, view: ComplaintView, command: Action) -> Verdict:
    """The command, through the API's own path, and its verdict; recorded with who sent it.
    A 409 is "refused"; any other refusal (the 404 of a complaint not held) is raised."""
    acts = actions_of(request)
    try:
        result = await acts.submit(view, command)
    except HTTPException as refused:
        verdict = refused.status_code
        record(request, who, command.kind, tracking_id=view.tracking_id, verdict=verdict)
        if refused.status_code != 409:
            raise
        return "refused"
    record(request, who, command.kind, tracking_id=view.tracking_id, verdict=result.outcome)
    return "done" if result.outcome == "accepted" else "pending"


def refusal(view: ComplaintView, _: Any, request: Request) -> str:
    """A 409 in the officer's words, with the status the report is in now."""
    return str(
        _(
            "Not done: the report is now \N{LEFT DOUBLE QUOTATION MARK}%(status)s\N{RIGHT DOUBLE QUOTATION MARK}, "
            "where this cannot be done, or another officer acted on it first. Nothing was recorded."
        )
        % {"status": status_label(view.status, page_language(request))}
    )


@router.post("/petugas/laporan/terima", response_class=HTMLResponse)
async def take_up_several(request: Request, who: OfficerDep) -> HTMLResponse:
    """Take several complaints up with one tier: each its own command, its own verdict."""
    if who.role is Role.NATIONAL_ADMIN:
        raise HTTPException(404, "page")
    form = await request.form(max_files=0, max_fields=BULK_MAX + 5)
    sent = form.get("csrf_token")
    check_csrf_token(request, sent if isinstance(sent, str) else None)
    lang = page_language(request)
    _ = gettext(lang)
    chosen = list(dict.fromkeys(n for n in form.getlist("nomor") if isinstance(n, str)))
    tier = form.get("tier")
    errors: dict[str, str] = {}
    if not chosen:
        errors["pilihan"] = _("Choose at least one report")
    if tier not in {t.value for t in Tier}:
        errors["tier"] = _("Choose how much work completing it takes")
    if errors:  # the inbox again, the errors beside the table and the tiers
        return await asyncio.to_thread(inbox_page, request, who, errors)
    results = []
    for tracking_id in chosen[:BULK_MAX]:
        try:
            _entry, view = await found_off_the_loop(request, who, tracking_id)
            command = Acknowledge(agency_id=who.agency_id, tier=Tier(str(tier)))
            verdict = await send(request, who, view, command)
        except HTTPException:
            results.append((tracking_id, _("Not found among your agency's reports")))
            continue
        if verdict == "refused":
            _entry, view = await found_off_the_loop(request, who, tracking_id)
            results.append((tracking_id, refusal(view, _, request)))
        elif verdict == "pending":
            results.append((tracking_id, _("Sent; the timeline shows the outcome shortly")))
        else:
            results.append((tracking_id, _("Taken up")))
    return render(request, "several.html", {"who": who, "results": results, "heading": None})


async def found_off_the_loop(
    request: Request, who: Officer, tracking_id: str
) -> tuple[InboxEntry, ComplaintView]:
    return await asyncio.to_thread(_found, request, who, tracking_id)


@router.get("/petugas/laporan/{tracking_id}/berkas/{sha256}")
async def complaint_file(
    request: Request, who: OfficerDep, tracking_id: str, sha256: str
) -> Response:
    _entry, view = await found_off_the_loop(request, who, tracking_id)
    if not listed(view, sha256):
        raise HTTPException(404, "file")
    return await file_response(request, view, sha256)
