"""Who is signed in: the session cookie, proven on every request of the console.

The cookie is HttpOnly, SameSite=Strict, for the console's paths only, and Secure except
over plain HTTP to this machine (development): a session never travels in clear across a
network. It holds a random token; the database keeps only its sha256.
"""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from services.intake.accounts import Accounts
from shared.domain.officers import SESSION_LONGEST, Officer

COOKIE = "pintu_petugas"
PATH = "/petugas"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SignInNeeded(Exception):
    """A console page asked for without a live session: the sign-in page answers it."""

    def __init__(self, after: str) -> None:
        super().__init__(after)
        self.after = after


def accounts(request: Request) -> Accounts:
    return request.app.state.accounts  # type: ignore[no-any-return]


def client(request: Request) -> str:
    """The address the rate limit and the audit name (as uvicorn resolved it)."""
    return request.client.host if request.client else "unknown"


def secure(request: Request) -> bool:
    return not (request.url.scheme == "http" and request.url.hostname in LOOPBACK)


def signed_in(request: Request) -> Officer | None:
    token = request.cookies.get(COOKIE)
    return accounts(request).session(token) if token and len(token) <= 64 else None


def officer(request: Request) -> Officer:
    """The signed-in officer; a GET without one goes to the sign-in page and comes back,
    anything else is refused (and does nothing)."""
    found = signed_in(request)
    if found is None:
        if request.method == "GET":
            raise SignInNeeded(request.url.path)
        raise HTTPException(403, "session")
    return found


OfficerDep = Annotated[Officer, Depends(officer)]


def open_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_LONGEST.total_seconds()),
        httponly=True,
        secure=secure(request),
        samesite="strict",
        path=PATH,
    )


def close_session(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, secure=secure(request), httponly=True)


def record(request: Request, who: Officer | None, action: str, **detail: Any) -> None:
    accounts(request).record(who, action, detail, client(request))
