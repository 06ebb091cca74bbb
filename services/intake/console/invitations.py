"""An invitation link: the invited officer sets a password and, for a national admin always
(for others when they choose), an authenticator app. The link works once, for three days."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake.accounts import AccountError, new_totp_secret, provisioning_uri
from services.intake.console.session import accounts, record
from services.intake.console.sign_in import role_name
from services.intake.portal.pages import (
    check_csrf_token,
    finish,
    gettext,
    page_language,
    qr_code,
    render,
)
from shared.domain.officers import PASSWORD_MIN, Officer, needs_second_factor

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]
TOTP_SECRET = re.compile(r"[A-Z2-7]{32}")


def _invited(request: Request, token: str) -> Officer:
    officer = accounts(request).invited(token) if len(token) <= 64 else None
    if officer is None:
        raise HTTPException(404, "invitation")  # spent, expired or never given: one answer
    return officer


def _page(
    request: Request,
    officer: Officer,
    secret: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _ = gettext(page_language(request))
    directory = request.app.state.directory.current
    agency = directory.agencies.get(officer.agency_id)
    uri = provisioning_uri(secret, officer.email)
    return render(
        request,
        "invitation.html",
        {
            "officer": officer,
            "role": role_name(officer.role, _),
            "agency": agency.name if agency else officer.agency_id,
            "required": needs_second_factor(officer.role),
            "secret": secret,
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr": qr_code(uri, _("QR code to add Pintu to your authenticator app")),
            "password_min": PASSWORD_MIN,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/petugas/undangan/{token}", response_class=HTMLResponse)
def invitation(request: Request, token: str) -> HTMLResponse:
    return _page(request, _invited(request, token), new_totp_secret())


@router.post("/petugas/undangan/{token}", response_class=HTMLResponse)
def accept(
    request: Request,
    token: str,
    password: Field = "",
    password_again: Field = "",
    totp_secret: Field = "",
    code: Field = "",
    csrf_token: Field = "",
) -> Response:
    check_csrf_token(request, csrf_token)
    officer = _invited(request, token)
    _ = gettext(page_language(request))
    secret = totp_secret if TOTP_SECRET.fullmatch(totp_secret) else new_totp_secret()
    errors = _problems(password, password_again, code, needs_second_factor(officer.role), _)
    if not errors:
        try:
            accepted = accounts(request).accept(
                token, password, secret if code.strip() else None, code
            )
        except AccountError as refused:
            errors = {_field(refused.reason): _message(refused.reason, _)}
        else:
            record(request, accepted, "accept_invitation", second_factor=accepted.second_factor)
            response = RedirectResponse("/petugas/masuk?diterima=1", status_code=303)
            finish(request, response)
            return response
    return _page(request, officer, secret, errors, status_code=422)


def _problems(password: str, again: str, code: str, required: bool, _: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(password) < PASSWORD_MIN:
        errors["password"] = _message("password_short", _)
    elif len(password) > 200:
        errors["password"] = _message("password_long", _)
    elif password != again:
        errors["password_again"] = _("The two passwords are not the same")
    if required and not code.strip():
        errors["code"] = _message("second_factor", _)
    return errors


def _field(reason: str) -> str:
    return "password" if reason.startswith("password") else "code"


def _message(reason: str, _: Any) -> str:
    messages = {
        "password_short": _("Choose a password of at least %(n)d characters") % {"n": PASSWORD_MIN},
        "password_long": _("Choose a password of at most 200 characters"),
        "second_factor": _("Enter the 6-digit code your authenticator app shows for Pintu"),
        "code": _("That code is not right: enter the one your app shows now"),
    }
    return str(messages.get(reason, messages["code"]))
