"""The page kit: the reader's language, templates in it, the headers of a public government
site, and the CSRF check every form passes.

A page's language is the one its reader chose (the `lang` link on every page, then kept in a
cookie), else the browser's (`Accept-Language`), else Bahasa Indonesia.
"""

import hmac
import secrets
from collections.abc import Mapping
from functools import cache
from html import escape
from typing import Any

import segno
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, PackageLoader
from starlette.datastructures import FormData

from shared.wording import DEFAULT_LANGUAGE, LANGUAGES, html_environment, translations

LANGUAGE_COOKIE = "pintu_lang"
CSRF_COOKIE = "pintu_csrf"
CSRF_FIELD = "csrf_token"

# No inline script or style anywhere: what runs and what styles is served from 'self'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A private link (the reporter's) never leaves in a Referer.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def accepted_language(header: str | None) -> str | None:
    """The first of Pintu's languages in an Accept-Language header, by its q-values."""
    choices: list[tuple[float, int, str]] = []
    for n, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, n, primary))
    return min(choices)[2] if choices else None


def page_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANGUAGE_COOKIE)
    if kept in LANGUAGES:
        return kept
    return accepted_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


@cache
def _environment(language: str) -> Environment:
    loader = ChoiceLoader(
        [
            PackageLoader("services.intake.portal", "templates"),
            PackageLoader("services.intake.console", "templates"),
        ]
    )
    return html_environment(loader, language)


def csrf_token(request: Request) -> str:
    """The reader's CSRF token: the one in their cookie, or a new one the response sets."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and len(token) <= 64:
        return token
    new: str | None = getattr(request.state, "new_csrf", None)
    if new is None:
        new = request.state.new_csrf = secrets.token_urlsafe(32)
    return new


def check_csrf(request: Request, form: FormData) -> None:
    """A form is taken only with the token of the cookie it was served with (double submit:
    another site can make a browser post, but cannot read the cookie to copy it)."""
    sent = form.get(CSRF_FIELD)
    check_csrf_token(request, sent if isinstance(sent, str) else None)


def check_csrf_token(request: Request, sent: str | None) -> None:
    """`check_csrf` of a form's token field already read (a route's Form parameter)."""
    kept = request.cookies.get(CSRF_COOKIE)
    if not (isinstance(sent, str) and kept and hmac.compare_digest(sent, kept)):
        raise HTTPException(403, "csrf")


def gettext(language: str) -> Any:
    return translations(language).gettext


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    language: str | None = None,
) -> HTMLResponse:
    """`template` in the reader's language, with the headers every page carries."""
    lang = language or page_language(request)
    page = _environment(lang).get_template(template)
    body = page.render(
        request=request,
        path=request.url.path,
        csrf_token=csrf_token(request),
        csrf_field=CSRF_FIELD,
        other_language="en" if lang == "id" else "id",
        **(context or {}),
    )
    response = HTMLResponse(body, status_code=status_code)
    finish(request, response, lang)
    return response


def finish(request: Request, response: Response, language: str | None = None) -> None:
    """The headers and cookies of every portal response."""
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")
    secure = request.url.scheme == "https"
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf:
        response.set_cookie(
            CSRF_COOKIE, new_csrf, httponly=True, secure=secure, samesite="strict", path="/"
        )
    if language and request.query_params.get("lang") == language:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/",
        )


def qr_code(url: str, name: str) -> str:
    """`url` as an inline SVG QR code (attributes only: no inline style for the CSP to refuse),
    named for screen readers."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(name)}" ', 1)
