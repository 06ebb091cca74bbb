"""The routing rules (Aturan Rute), the national admin's: the rules in force to read and
download, a new version to upload, a preview of what it would change before it is published
(which of the last 90 days' complaints would have gone to another agency, with examples),
and publishing it the way the API's PUT does (services/intake/rules.py).

The preview decides the read model's recent complaints again (shared/domain/rules_change.py):
it may trail the log by a moment, as every list does. Anyone else reads these pages as ones
that do not exist.
"""

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from services.intake.console.session import OfficerDep, record
from services.intake.portal.pages import (
    check_csrf,
    check_csrf_token,
    finish,
    gettext,
    page_language,
    render,
)
from services.intake.rules import RulesDocument, RulesRefused, in_force, proposed, put_in_force
from shared import clock
from shared.adapters.kafka.clients import KafkaConnection
from shared.contracts.routing import RoutingPublished
from shared.domain.catalogue import categories, region_name
from shared.domain.officers import Officer, Role
from shared.domain.routing import Directory
from shared.domain.rules_change import LOOKED_BACK, Preview, edits, preview
from shared.projections.inbox import InboxStore
from shared.wording import spoken

router = APIRouter(include_in_schema=False)
MAX_BYTES = 512 * 1024  # a rules file: room for a rule per category in every region
EXAMPLES = 10  # changes shown with examples, and complaints named per change
PER_CHANGE = 3


def _national(who: Officer) -> None:
    if who.role is not Role.NATIONAL_ADMIN:
        raise HTTPException(404, "page")


def _kafka(request: Request) -> KafkaConnection:
    return KafkaConnection.from_settings(request.app.state.settings)


def _by(who: Officer) -> str:
    """Who published, as the log says it: the role and the account, never a name."""
    return f"national-admin/{who.officer_id}"


def _rule_rows(directory: Directory, lang: str, _: Any) -> list[dict[str, str]]:
    names = {code: c.names[spoken(lang)] for code, c in categories().items()}
    levels = {
        "province": _("the province's government"),
        "regency_or_city": _("the regency's or city's government"),
    }
    rows = []
    for rule in directory.rules:
        target = rule.target
        holder = directory.agencies.get(target.agency or "")
        rows.append(
            {
                "id": rule.id,
                "category": names.get(rule.category, rule.category),
                "region": (region_name(rule.region_prefix) or rule.region_prefix)
                if rule.region_prefix
                else _("Everywhere"),
                "agency": holder.name if holder else levels.get(target.government or "", ""),
                "precedence": str(rule.precedence),
            }
        )
    return rows


def _page(
    request: Request,
    who: Officer,
    now_in_force: RoutingPublished,
    *,
    errors: dict[str, str] | None = None,
    published: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    directory = now_in_force.directory()
    return render(
        request,
        "rules.html",
        {
            "who": who,
            "directory_version": directory.version,
            "rules_version": directory.rules_version,
            "rules": _rule_rows(directory, lang, _),
            "errors": errors or {},
            "published": published,
            "max_kb": MAX_BYTES // 1024,
        },
        status_code=status_code,
    )


@router.get("/petugas/aturan", response_class=HTMLResponse)
async def rules(request: Request, who: OfficerDep, terbit: int | None = None) -> HTMLResponse:
    _national(who)
    return _page(request, who, await in_force(_kafka(request)), published=terbit)


@router.get("/petugas/aturan.json")
async def rules_file(request: Request, who: OfficerDep) -> Response:
    """The rules in force as a file to edit into the next version."""
    _national(who)
    document = (await in_force(_kafka(request))).rules
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="aturan-rute-v{document["version"]}.json"'
        },
    )
    finish(request, response)
    return response


def _read(sent: str | bytes, _: Any) -> RulesDocument | str:
    """The document a file or field holds, or what is wrong with it in the admin's words."""
    if len(sent) > MAX_BYTES:
        return str(_("The file is larger than %(kb)d KB") % {"kb": MAX_BYTES // 1024})
    try:
        return RulesDocument.model_validate_json(sent)
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            return str(_("The file is not JSON: download the rules in force and edit them"))
        where = ".".join(str(part) for part in first["loc"]) or _("the file")
        shape = _("The file is not in the rules' shape (%(where)s: %(what)s)")
        return str(shape % {"where": where, "what": first["msg"]})


def _refusal(refused: RulesRefused, _: Any) -> str:
    words = {
        "nothing_in_force": _(
            "No routing is in force yet: the router publishes the first one when it starts"
        ),
        "not_newer": _("Give the new rules a version higher than the one in force"),
        "does_not_load": _("These rules cannot be used: %(why)s"),
    }[refused.why.value]
    return str(words % {"why": refused.detail.removeprefix("These rules do not load: ")})


def _preview_rows(
    request: Request, shown: Preview, directory: Directory, since: datetime, lang: str
) -> list[dict[str, Any]]:
    store: InboxStore = request.app.state.read_model
    names = {code: c.names[spoken(lang)] for code, c in categories().items()}

    def agency(agency_id: str) -> str:
        found = directory.agencies.get(agency_id)
        return found.name if found else agency_id

    return [
        {
            "complaints": change.complaints,
            "category": names.get(change.facts.category, change.facts.category),
            "region": region_name(change.facts.region_code) or change.facts.region_code,
            "before": agency(change.before.agency_id),
            "after": agency(change.after.agency_id),
            "rule_before": change.before.rule_id,
            "rule_after": change.after.rule_id,
            "examples": store.with_facts(change.facts, since, PER_CHANGE),
        }
        for change in shown.changes[:EXAMPLES]
    ]


@router.post("/petugas/aturan/pratinjau", response_class=HTMLResponse)
async def preview_rules(request: Request, who: OfficerDep) -> HTMLResponse:
    _national(who)
    sent = await request.form(max_files=1, max_fields=4, max_part_size=MAX_BYTES + 1)
    check_csrf(request, sent)
    lang = page_language(request)
    _ = gettext(lang)
    now_in_force = await in_force(_kafka(request))
    upload = sent.get("berkas")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(
            request,
            who,
            now_in_force,
            errors={"berkas": _("Choose the rules file to upload")},
            status_code=422,
        )
    document = _read(await upload.read(MAX_BYTES + 1), _)
    if isinstance(document, str):
        return _page(request, who, now_in_force, errors={"berkas": document}, status_code=422)
    try:
        version = proposed(now_in_force, document, _by(who))
    except RulesRefused as refused:
        return _page(
            request, who, now_in_force, errors={"berkas": _refusal(refused, _)}, status_code=422
        )
    return _preview_page(request, who, now_in_force, version, document)


def _preview_page(
    request: Request,
    who: Officer,
    now_in_force: RoutingPublished,
    version: RoutingPublished,
    document: RulesDocument,
) -> HTMLResponse:
    lang = page_language(request)
    store: InboxStore = request.app.state.read_model
    before, after = now_in_force.directory(), version.directory()
    since = clock.now() - LOOKED_BACK  # one moment for the counts and their examples
    shown = preview(store.routing_facts(since), before, after)
    return render(
        request,
        "rules_preview.html",
        {
            "who": who,
            "in_force": before.rules_version,
            "version": after.rules_version,
            "edits": edits(before, after),
            "considered": shown.considered,
            "moved": shown.moved,
            "days": LOOKED_BACK.days,
            "changes": _preview_rows(request, shown, after, since, lang),
            "more": max(0, len(shown.changes) - EXAMPLES),
            "document": document.model_dump_json(),
        },
    )


@router.post("/petugas/aturan/terbitkan")
async def publish_rules(
    request: Request,
    who: OfficerDep,
    document: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Publish the version the preview showed (sent back as it was read)."""
    _national(who)
    check_csrf_token(request, csrf_token)
    _ = gettext(page_language(request))
    kafka = _kafka(request)
    read = _read(document, _)
    if isinstance(read, str):
        raise HTTPException(400, "document")
    try:
        version = await put_in_force(kafka, read, _by(who), request.app.state.filing.base_url)
    except RulesRefused as refused:
        return _page(
            request,
            who,
            await in_force(kafka),
            errors={"berkas": _refusal(refused, _)},
            status_code=409,
        )
    record(request, who, "publish_rules", rules_version=version.versions[1])
    response = RedirectResponse(f"/petugas/aturan?terbit={version.versions[1]}", status_code=303)
    finish(request, response)
    return response
