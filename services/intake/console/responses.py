"""The agency's response templates: its admins write them, its officers pick one on a
complaint's page (services/intake/console/complaint.py) and edit it before sending."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake.console.session import OfficerDep, record
from services.intake.portal.pages import check_csrf_token, finish, gettext, page_language, render
from services.intake.responses import (
    BODY_MAX,
    BODY_MIN,
    FOR_ACTIONS,
    TITLE_MAX,
    ResponseTemplate,
    ResponseTemplates,
)
from shared.domain.catalogue import categories
from shared.domain.officers import Officer, Role
from shared.wording import spoken

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]


def store(request: Request) -> ResponseTemplates:
    return request.app.state.responses  # type: ignore[no-any-return]


def action_names(_: Any) -> dict[str, str]:
    return {
        "follow_up": _("Follow-up (tindak lanjut)"),
        "resolution": _("Completion"),
        "question": _("Question to the reporter"),
        "reason": _("Not our authority (bukan wewenang)"),
    }


def _admin(who: Officer) -> None:
    """An agency's templates are its admins' to write; anyone else finds no such page."""
    if who.role is not Role.AGENCY_ADMIN:
        raise HTTPException(404, "page")


def _page(
    request: Request,
    who: Officer,
    *,
    editing: ResponseTemplate | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    names = {code: c.names[spoken(lang)] for code, c in categories().items()}
    shown = values or (
        {
            "template_id": editing.template_id,
            "action": editing.action,
            "category": editing.category or "",
            "title": editing.title,
            "body": editing.body,
        }
        if editing
        else {}
    )
    return render(
        request,
        "responses.html",
        {
            "who": who,
            "templates": [
                (t, action_names(_)[t.action], names.get(t.category or "", _("Every category")))
                for t in store(request).of(who.agency_id)
            ],
            "actions": list(action_names(_).items()),
            "categories": sorted(names.items(), key=lambda pair: pair[1]),
            "values": shown,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/petugas/templat", response_class=HTMLResponse)
def templates(request: Request, who: OfficerDep, ubah: str = "") -> HTMLResponse:
    _admin(who)
    editing = next((t for t in store(request).of(who.agency_id) if t.template_id == ubah), None)
    return _page(request, who, editing=editing)


@router.post("/petugas/templat/simpan", response_class=HTMLResponse)
def save(
    request: Request,
    who: OfficerDep,
    template_id: Field = "",
    action: Field = "",
    category: Field = "",
    title: Field = "",
    body: Field = "",
    csrf_token: Field = "",
) -> Response:
    check_csrf_token(request, csrf_token)
    _admin(who)
    _ = gettext(page_language(request))
    values = {"template_id": template_id, "action": action, "category": category}
    values |= {"title": title.strip(), "body": body.strip()}
    errors: dict[str, str] = {}
    if action not in FOR_ACTIONS:
        errors["action"] = _("Choose what the template is for")
    if category and category not in categories():
        errors["category"] = _("Choose a category from the list")
    if not values["title"] or len(values["title"]) > TITLE_MAX:
        errors["title"] = _("Give the template a name of at most %(n)d characters") % {
            "n": TITLE_MAX
        }
    if not BODY_MIN <= len(values["body"]) <= BODY_MAX:
        errors["body"] = _("Write between 10 and 4,000 characters")
    own = {t.template_id for t in store(request).of(who.agency_id)}
    if template_id and template_id not in own:
        raise HTTPException(404, "page")
    if errors:
        return _page(request, who, errors=errors, values=values, status_code=422)
    saved = store(request).save(
        who.agency_id,
        action,
        category or None,
        values["title"],
        values["body"],
        who.officer_id,
        template_id or None,
    )
    record(request, who, "save_template", template_id=saved.template_id)
    response = RedirectResponse("/petugas/templat", status_code=303)
    finish(request, response)
    return response


@router.post("/petugas/templat/hapus")
def remove(
    request: Request, who: OfficerDep, template_id: Field = "", csrf_token: Field = ""
) -> Response:
    check_csrf_token(request, csrf_token)
    _admin(who)
    if not store(request).remove(who.agency_id, template_id):
        raise HTTPException(404, "page")
    record(request, who, "remove_template", template_id=template_id)
    response = RedirectResponse("/petugas/templat", status_code=303)
    finish(request, response)
    return response
