"""Signing in and out: an address, a password and, when the account has one, a TOTP code;
and the desk an officer lands on."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake.accounts import Refusal
from services.intake.console.session import (
    COOKIE,
    OfficerDep,
    accounts,
    client,
    close_session,
    open_session,
    record,
    signed_in,
)
from services.intake.portal.pages import (
    check_csrf_token,
    finish,
    gettext,
    page_language,
    render,
)
from shared.domain.officers import LOCKOUT, Role, may_see_team

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]


def _after(asked: str) -> str:
    """Where to go once signed in: a console page, never another site."""
    return asked if asked.startswith("/petugas") and not asked.startswith("//") else "/petugas"


def _redirect(request: Request, to: str) -> RedirectResponse:
    response = RedirectResponse(to, status_code=303)
    finish(request, response)
    return response


@router.get("/petugas/masuk", response_class=HTMLResponse)
def sign_in_page(request: Request, lanjut: str = "/petugas") -> Response:
    if signed_in(request) is not None:
        return _redirect(request, _after(lanjut))
    return render(request, "sign_in.html", {"errors": {}, "email": "", "after": _after(lanjut)})


@router.post("/petugas/masuk", response_class=HTMLResponse)
def sign_in(
    request: Request,
    email: Field = "",
    password: Field = "",
    code: Field = "",
    lanjut: Field = "/petugas",
    csrf_token: Field = "",
) -> Response:
    check_csrf_token(request, csrf_token)
    _ = gettext(page_language(request))
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = _("Enter your e-mail address")
    if not password:
        errors["password"] = _("Enter your password")
    status_code = 422
    if not errors:
        result = accounts(request).sign_in(email, password, code)
        if result.officer is not None and result.session is not None:
            record(request, result.officer, "sign_in")
            response = _redirect(request, _after(lanjut))
            open_session(request, response, result.session)
            return response
        accounts(request).record(
            None, "sign_in_refused", {"refusal": str(result.refusal)}, client(request), email
        )
        if result.refusal is Refusal.CODE_NEEDED:
            errors["code"] = _("Enter the 6-digit code your authenticator app shows")
        elif result.refusal is Refusal.LOCKED:
            minutes = int(LOCKOUT.total_seconds() // 60)
            errors["email"] = _(
                "Too many failed attempts: signing in with this address is locked for "
                "%(minutes)d minutes"
            ) % {"minutes": minutes}
            status_code = 429
        else:
            errors["password"] = _("The e-mail address, password or code is not right")
            status_code = 401
    context = {"errors": errors, "email": email, "after": _after(lanjut)}
    return render(request, "sign_in.html", context, status_code=status_code)


@router.post("/petugas/keluar")
def sign_out(request: Request, csrf_token: Field = "") -> Response:
    check_csrf_token(request, csrf_token)
    who = signed_in(request)
    token = request.cookies.get(COOKIE)
    if who is not None and token:
        accounts(request).sign_out(token)
        record(request, who, "sign_out")
    response = _redirect(request, "/petugas/masuk?keluar=1")
    close_session(request, response)
    return response


@router.post("/petugas/keluar-semua")
def sign_out_everywhere(request: Request, who: OfficerDep, csrf_token: Field = "") -> Response:
    check_csrf_token(request, csrf_token)
    ended = accounts(request).sign_out_everywhere(who.officer_id)
    record(request, who, "sign_out_everywhere", sessions=ended)
    response = _redirect(request, "/petugas/masuk?keluar=1")
    close_session(request, response)
    return response


@router.get("/petugas", response_class=HTMLResponse)
def desk(request: Request, who: OfficerDep) -> HTMLResponse:
    directory = request.app.state.directory.current
    agency = directory.agencies.get(who.agency_id)
    return render(
        request,
        "desk.html",
        {
            "who": who,
            "agency": agency.name if agency else who.agency_id,
            "role": role_name(who.role, gettext(page_language(request))),
            "manages_team": may_see_team(who, who.agency_id),
        },
    )


def role_name(role: Role, _: Any) -> str:
    names = {
        Role.NATIONAL_ADMIN: _("National admin"),
        Role.AGENCY_ADMIN: _("Agency admin"),
        Role.LIAISON: _("Liaison officer (pejabat penghubung)"),
    }
    return str(names[role])
