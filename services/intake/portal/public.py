"""The public's window: the home page, a complaint's public page, and the files of a
complaint, each shown only to those entitled to it.

A public page shows a complaint that is not rahasia: what was reported, where, its status
and the agencies' answers; never who reported it (anonim or not). A file is served only
under its complaint's tracking id, and only when the complaint lists it: for a rahasia
complaint, to its reporter (the private link), the agencies that hold it or have a copy,
and the national admin (their API keys); to anyone else the answer is the 404 a missing
file gets.
"""

import asyncio
import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from services.intake.complaints import proves_reporter
from services.intake.portal.pages import finish, page_language, render
from services.intake.uploads import UploadStore
from services.intake.views import ComplaintViews
from shared.config import Settings
from shared.domain.catalogue import categories, region_name
from shared.domain.routing import Directory
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import ComplaintView, InboxStore
from shared.wording import format_wib, status_label

router = APIRouter(include_in_schema=False)
# What an agency says that the public may read: its follow-ups and its completion.
PUBLIC_ANSWERS = ("pintu.complaint.followed_up", "pintu.complaint.resolved")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/laporan/{tracking_id}", response_class=HTMLResponse)
def public_complaint(request: Request, tracking_id: str) -> HTMLResponse:
    views: ComplaintViews = request.app.state.views
    public = views.public_request(tracking_id) if is_tracking_id(tracking_id) else None
    view = views.complaint(tracking_id) if public else None
    if public is None or view is None:
        raise HTTPException(404, "page")
    lang = page_language(request)
    directory: Directory = request.app.state.directory.current
    category = categories().get(public.category)
    holder = directory.agencies.get(public.agency_id or "")
    answers = [
        (
            format_wib(e.at, lang),
            directory.agencies[a].name
            if (a := str(e.detail.get("agency_id"))) in directory.agencies
            else a,
            str(e.detail.get("message", "")),
        )
        for e in view.timeline
        if e.event_type in PUBLIC_ANSWERS
    ]
    return render(
        request,
        "public.html",
        {
            "public": public,
            "category": category.names[lang] if category else public.category,
            "region": region_name(public.region_code) or public.region_code,
            "status": status_label(public.status, lang),
            "holder": holder.name if holder else None,
            "filed": format_wib(public.filed_at, lang),
            "answers": answers,
        },
        language=lang,
    )


def _listed(view: ComplaintView, sha256: str) -> bool:
    return any(a.get("sha256") == sha256 for a in view.attachments())


def _by_key(request: Request, view: ComplaintView) -> bool:
    """An API key of the national admin, or of an agency holding or copied on the complaint."""
    header = request.headers.get("authorization", "")
    key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not key:
        return False
    settings: Settings = request.app.state.settings

    def known(candidates: list[str]) -> bool:
        return any(hmac.compare_digest(key.encode(), c.encode()) for c in candidates)

    if known(settings.admin_api_keys):
        return True
    store: InboxStore = request.app.state.read_model
    agencies = [a for a, keys in settings.agency_api_keys.items() if a != "*" and known(keys)]
    if known(settings.agency_api_keys.get("*", [])):
        return view.agency_id is not None
    return any(store.readable_by(a, view.tracking_id) for a in agencies)


async def _file(request: Request, tracking_id: str, sha256: str, token: str | None) -> Response:
    views: ComplaintViews = request.app.state.views
    view = (
        await asyncio.to_thread(views.complaint, tracking_id)
        if is_tracking_id(tracking_id)
        else None
    )
    missing = HTTPException(404, "file")
    if view is None or not _listed(view, sha256):
        raise missing
    entitled = (
        not view.confidential
        or (token is not None and proves_reporter(view, token))
        or await asyncio.to_thread(_by_key, request, view)
    )
    if not entitled:
        raise missing
    return await file_response(request, view, sha256)


def listed(view: ComplaintView, sha256: str) -> bool:
    """Whether the file is one the complaint was filed with."""
    return _listed(view, sha256)


async def file_response(request: Request, view: ComplaintView, sha256: str) -> Response:
    """The stored file, to one entitled to the complaint (the caller checked), as data."""
    missing = HTTPException(404, "file")
    store: UploadStore = request.app.state.uploads
    found = await asyncio.to_thread(store.get, sha256)
    if found is None:
        raise missing
    content, media_type = found
    response = Response(
        content,
        media_type=media_type,
        headers={
            # Shown, never run: a file is data, whatever it claims.
            "Content-Disposition": "inline" if media_type.startswith("image/") else "attachment",
            "Cache-Control": "private, max-age=3600"
            if view.confidential
            else "public, max-age=86400",
        },
    )
    finish(request, response)
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


@router.get("/berkas/{tracking_id}/{sha256}")
async def complaint_file(request: Request, tracking_id: str, sha256: str) -> Response:
    return await _file(request, tracking_id, sha256, request.headers.get("x-reporter-token"))


@router.get("/lacak/{tracking_id}/pelapor/{token}/berkas/{sha256}")
async def reporters_file(request: Request, tracking_id: str, token: str, sha256: str) -> Response:
    return await _file(request, tracking_id, sha256, token)
