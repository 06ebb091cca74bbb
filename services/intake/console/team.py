"""The team: an agency admin's officers, or the national admin's agency admins. Whoever may
invite an officer may remove them; every change is recorded with who made it."""

from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake.accounts import AccountError
from services.intake.console.session import OfficerDep, accounts, record
from services.intake.console.sign_in import role_name
from services.intake.portal.pages import (
    check_csrf_token,
    finish,
    gettext,
    page_language,
    render,
)
from shared.config import Settings
from shared.domain.catalogue import categories, region_name
from shared.domain.officers import (
    INVITATION_VALID,
    NATIONAL,
    Officer,
    Role,
    may_invite,
    may_remove,
    may_see_team,
)
from shared.domain.routing import Directory
from shared.wording import spoken

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]


def _agency_asked(who: Officer, asked: str, directory: Directory) -> str:
    """The team shown: the one asked for if the officer may see it, else a 404."""
    agency_id = asked or who.agency_id
    if agency_id not in directory.agencies or not may_see_team(who, agency_id):
        raise HTTPException(404, "page")
    return agency_id


def _roles(who: Officer, agency_id: str, _: Any) -> list[tuple[str, str]]:
    """The roles `who` may invite into `agency_id`'s team, as (value, name)."""
    return [(r.value, role_name(r, _)) for r in Role if may_invite(who, r, agency_id)]


def _unit(officer: Officer, lang: str) -> str:
    """A liaison's unit in words: its categories and regions; "" for the whole agency."""
    names = {code: c.names[spoken(lang)] for code, c in categories().items()}
    parts = [names.get(code, code) for code in officer.categories]
    parts += [region_name(code) or code for code in officer.regions]
    return "; ".join(parts)


def _page(
    request: Request,
    who: Officer,
    agency_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    invited: tuple[Officer, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    directory: Directory = request.app.state.directory.current
    settings: Settings = request.app.state.settings
    agency = directory.agencies.get(agency_id)
    members = accounts(request).team(agency_id)
    agencies = sorted(
        ((a.id, a.name) for a in directory.agencies.values() if a.id != NATIONAL),
        key=lambda pair: pair[1],
    )
    return render(
        request,
        "team.html",
        {
            "who": who,
            "agency_id": agency_id,
            "agency": agency.name if agency else agency_id,
            "members": [
                (m, role_name(m.role, _), pending, may_remove(who, m), _unit(m, lang))
                for m, pending in members
            ],
            "categories": sorted(
                ((code, c.names[spoken(lang)]) for code, c in categories().items()),
                key=lambda pair: pair[1],
            ),
            "roles": _roles(who, agency_id, _),
            "agencies": agencies if who.role is Role.NATIONAL_ADMIN else [],
            "errors": errors or {},
            "values": values or {},
            "invited": invited,
            "invitation_url": (
                f"{settings.public_base_url}/petugas/undangan/{invited[1]}" if invited else None
            ),
            "valid_days": INVITATION_VALID.days,
        },
        status_code=status_code,
    )


@router.get("/petugas/tim", response_class=HTMLResponse)
def team(request: Request, who: OfficerDep, instansi: str = "") -> HTMLResponse:
    return _page(request, who, _agency_asked(who, instansi, request.app.state.directory.current))


@router.post("/petugas/tim/undang", response_class=HTMLResponse)
def invite(
    request: Request,
    who: OfficerDep,
    agency_id: Field = "",
    email: Field = "",
    name: Field = "",
    role: Field = "",
    unit_categories: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    unit_regions: Field = "",
    csrf_token: Field = "",
) -> Response:
    check_csrf_token(request, csrf_token)
    agency_id = _agency_asked(who, agency_id, request.app.state.directory.current)
    _ = gettext(page_language(request))
    values = {"email": email, "name": name, "role": role, "unit_regions": unit_regions}
    chosen_categories = tuple(dict.fromkeys(unit_categories))
    regions = tuple(dict.fromkeys(unit_regions.replace(",", " ").split()))
    errors: dict[str, str] = {}
    address = ""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        errors["email"] = _("Enter an e-mail address like nama@instansi.go.id")
    if not name.strip() or len(name) > 200:
        errors["name"] = _("Enter the officer's name")
    if role not in {value for value, _name in _roles(who, agency_id, _)}:
        errors["role"] = _("Choose a role from the list")
    if any(code not in categories() for code in chosen_categories):
        errors["unit_categories"] = _("Choose categories from the list")
    if len(regions) > 20 or any(region_name(code) is None for code in regions):
        errors["unit_regions"] = _(
            "Give up to 20 region codes of Kemendagri, like 16.08 or 16.08.01, separated by commas"
        )
    if role != Role.LIAISON.value and (chosen_categories or regions):
        errors["unit_categories"] = _("Only a liaison (pejabat penghubung) serves a unit")
    if not errors:
        try:
            officer, token = accounts(request).invite(
                address,
                name,
                Role(role),
                agency_id,
                invited_by=who,
                categories=chosen_categories,
                regions=regions,
            )
        except AccountError:
            errors["email"] = _("This address already has an account")
        else:
            record(
                request,
                who,
                "invite",
                officer_id=officer.officer_id,
                role=role,
                agency_id=agency_id,
            )
            return _page(request, who, agency_id, invited=(officer, token))
    values_chosen = {**values, "unit_categories": " ".join(chosen_categories)}
    return _page(request, who, agency_id, errors=errors, values=values_chosen, status_code=422)


@router.post("/petugas/tim/hapus")
def remove(
    request: Request, who: OfficerDep, officer_id: Field = "", csrf_token: Field = ""
) -> Response:
    check_csrf_token(request, csrf_token)
    officer = accounts(request).officer(officer_id) if len(officer_id) <= 36 else None
    if officer is None or not may_remove(who, officer):
        raise HTTPException(404, "page")
    accounts(request).remove(officer.officer_id)
    record(request, who, "remove", officer_id=officer.officer_id, email=officer.email)
    target = "/petugas/tim" + (
        f"?instansi={officer.agency_id}" if officer.agency_id != who.agency_id else ""
    )
    response = RedirectResponse(
        target + ("&" if "?" in target else "?") + "dihapus=1", status_code=303
    )
    finish(request, response)
    return response
