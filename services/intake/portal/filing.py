"""Sampaikan Laporan: the filing form, its region pickers, and the receipt.

The form works with JavaScript off: the region pickers then fill one level at a time with
the "Choose" button beside each (a post that records nothing and gives the form back), and
the page's script, when it runs, fills them as the citizen picks instead.
"""

import asyncio
import secrets
from datetime import datetime
from itertools import pairwise
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from lokal import wilayah

from services.intake.filing import Filing
from services.intake.portal.form import MAX_FILES, REGION_FIELDS, FilingForm
from services.intake.portal.pages import (
    check_csrf,
    finish,
    gettext,
    page_language,
    qr_code,
    render,
)
from services.intake.uploads import StoredFile, UploadRefused, UploadStore
from shared import clock
from shared.config import Settings
from shared.domain.catalogue import categories
from shared.domain.complaint import ReportType
from shared.domain.deadlines import FIRST_FOLLOW_UP, VERIFICATION, due
from shared.domain.routing import Agency, Directory
from shared.wording import format_wib

router = APIRouter(include_in_schema=False)
CENTRAL_LEVELS = ("ministry", "lembaga", "state_company")
# Form fields other than files: Starlette's limits, kept well above what the form has.
MAX_FIELDS = 60


def region_choices(form: FilingForm) -> dict[str, list[tuple[str, str]]]:
    """Each picker's options: the provinces, then the children of each level picked."""
    choices = {"province": [(w.code, w.name) for w in wilayah.list_wilayah()]}
    for parent, child in pairwise(REGION_FIELDS):
        code = form.get(parent)
        known = {c for c, _ in choices[parent]}
        choices[child] = (
            [(w.code, w.name) for w in wilayah.list_wilayah(code)] if code in known else []
        )
    return choices


def agency_choices(directory: Directory, province: str) -> list[tuple[str, list[Agency]]]:
    """The agencies a citizen may name, grouped: the central ones, the provinces, and the
    kabupaten and kota of the province picked."""
    agencies = list(directory.agencies.values())
    groups = [
        ("central", [a for a in agencies if a.level in CENTRAL_LEVELS]),
        ("province", [a for a in agencies if a.level == "province"]),
    ]
    if province:
        local = [
            a
            for a in agencies
            if a.level in ("regency", "city") and (a.region_code or "").startswith(province + ".")
        ]
        groups.append(("local", local))
    return [(name, sorted(group, key=lambda a: a.name)) for name, group in groups]


def _form_page(
    request: Request, form: FilingForm, status_code: int = 200, refined: bool = False
) -> HTMLResponse:
    lang = page_language(request)
    directory: Directory = request.app.state.directory.current
    settings: Settings = request.app.state.settings
    return render(
        request,
        "file.html",
        {
            "form": form,
            "report_types": [t.value for t in ReportType],
            "categories": sorted(
                ((c.code, c.names[lang]) for c in categories().values()), key=lambda c: c[1]
            ),
            "regions": region_choices(form),
            "agency_groups": agency_choices(directory, form.get("province")),
            "max_files": MAX_FILES,
            "max_megabytes": settings.upload_max_bytes // (1024 * 1024),
            "refined": refined,
        },
        status_code=status_code,
        language=lang,
    )


@router.get("/lapor", response_class=HTMLResponse)
def filing_form(request: Request) -> HTMLResponse:
    form = FilingForm(values={"report_type": "", "idempotency_key": secrets.token_urlsafe(18)})
    return _form_page(request, form)


@router.post("/lapor", response_class=HTMLResponse)
async def file_from_form(request: Request) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    sent = await request.form(max_files=MAX_FILES + 1, max_fields=MAX_FIELDS)
    check_csrf(request, sent)
    form = FilingForm.of(sent)
    if not form.get("idempotency_key"):
        form.values["idempotency_key"] = secrets.token_urlsafe(18)
    if sent.get("do") == "region":  # a picker's "Choose" with JavaScript off: nothing recorded
        return _form_page(request, form, refined=True)
    form.check(request.app.state.directory.current, _)
    submission = None if form.errors else form.submission(_)
    if submission is None:
        return _form_page(request, form, status_code=422)
    stored = await _store_files(request, form, _)
    if stored is None:
        return _form_page(request, form, status_code=422)
    filing: Filing = request.app.state.filing
    receipt = await filing.file(submission, f"portal:{form.get('idempotency_key')}", uploads=stored)
    settings: Settings = request.app.state.settings
    private_path = f"/lacak/{receipt.tracking_id}/pelapor/{receipt.reporter_token}"
    return render(
        request,
        "receipt.html",
        {
            "receipt": receipt,
            "private_path": private_path,
            "qr": qr_code(
                f"{settings.public_base_url}{private_path}", _("QR code of your private link")
            ),
            "public_base_url": settings.public_base_url,
            "confidential": submission.confidential,
            "contact": submission.reporter is not None,
            "next_steps": next_steps(settings, lang),
        },
        language=lang,
    )


async def _store_files(request: Request, form: FilingForm, _: Any) -> list[StoredFile] | None:
    """Every file checked by its content, then all stored; None with the form's error when
    one is refused (then none is stored and nothing is filed)."""
    store: UploadStore = request.app.state.uploads
    checked = []
    for upload in form.files:
        data = await upload.read()
        try:
            checked.append(await asyncio.to_thread(store.check, data))
        except UploadRefused as refused:
            name = upload.filename or _("the file")
            if refused.reason == "too_large":
                limit = (refused.limit_bytes or 0) // (1024 * 1024)
                form.errors["files"] = _("%(file)s is larger than %(limit)d MB") % {
                    "file": name,
                    "limit": limit,
                }
            elif refused.reason == "empty":
                form.errors["files"] = _("%(file)s is empty") % {"file": name}
            else:
                form.errors["files"] = _(
                    "%(file)s must be a photo (JPG, PNG, WebP), a PDF, an MP4 video or an MP3 "
                    "recording"
                ) % {"file": name}
            return None
    return [await asyncio.to_thread(store.keep, file) for file in checked]


def next_steps(settings: Settings, lang: str) -> list[str]:
    """What happens next, and by when at the latest, in working days and WIB."""
    _ = gettext(lang)
    now = clock.now()
    policy = settings.sla
    steps = []
    start: datetime = now
    if settings.verification_required:
        verified = due(policy, VERIFICATION, now)
        start = verified.due_at
        steps.append(
            _(
                "The national admin checks your report and sends it to the agency that must "
                "act within %(days)d working days: by %(date)s."
            )
            % {"days": policy.verification_working_days, "date": format_wib(start, lang)}
        )
    else:
        steps.append(_("Your report goes to the agency that must act within minutes."))
    answered = due(policy, FIRST_FOLLOW_UP, start)
    steps.append(
        _(
            "That agency must give its first follow-up within %(days)d working days: by "
            "%(date)s at the latest."
        )
        % {"days": policy.first_follow_up_working_days, "date": format_wib(answered.due_at, lang)}
    )
    return steps


@router.get("/wilayah/{code}.json")
def region_children(code: str, request: Request) -> JSONResponse:
    """A region's children and, for a province, its local governments: what the pickers'
    script fills the next list with."""
    if wilayah.get_wilayah(code) is None:
        raise HTTPException(404, "region")
    directory: Directory = request.app.state.directory.current
    body: dict[str, Any] = {
        "children": [{"code": w.code, "name": w.name} for w in wilayah.list_wilayah(code)]
    }
    if "." not in code:
        body["agencies"] = [
            {"id": a.id, "name": a.name}
            for _, group in agency_choices(directory, code)[2:]
            for a in group
        ]
    response = JSONResponse(body, headers={"Cache-Control": "public, max-age=86400"})
    finish(request, response)
    return response
