"""The portal: the pages citizens and the public use, served by intake (docs/decisions/0013).

Server-rendered HTML that works with JavaScript off; a small script of our own, served from
here, makes the region pickers, the category search and "use my location" quicker when it
runs. Every sentence comes from the wording catalogs, in Bahasa Indonesia or English.
"""

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from services.intake.portal import dashboard, filing, public, tracking
from services.intake.portal.pages import finish, gettext, page_language, render

# The paths that are pages (or their files): errors there are pages too, not problem+json.
PREFIXES = (
    "/lapor",
    "/lacak",
    "/laporan",
    "/statistik",
    "/berkas",
    "/wilayah",
    "/static",
    "/petugas",  # the console (services/intake/console)
)
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

static = APIRouter(include_in_schema=False)


@cache
def _static(name: str) -> bytes | None:
    source = files("services.intake.portal") / "static" / name
    return source.read_bytes() if "/" not in name and source.is_file() else None


@static.get("/static/{name}")
def static_file(request: Request, name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    content = _static(name) if suffix in STATIC_TYPES else None
    if content is None:
        raise HTTPException(404, "file")
    response = Response(
        content,
        media_type=STATIC_TYPES[suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )
    finish(request, response)
    return response


def routers() -> list[APIRouter]:
    return [static, public.router, filing.router, tracking.router, dashboard.router]


def private_link(path: str) -> bool:
    """A reporter's private link (a secret in the path), or a page under it."""
    return path.startswith("/lacak/") and "/pelapor/" in path


def is_page(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in PREFIXES)


def error_page(request: Request, status_code: int) -> HTMLResponse:
    """An error as a page in the reader's words; never a trace, never more than its kind."""
    _ = gettext(page_language(request))
    if status_code == 404:
        title = _("Page not found")
        detail = _(
            "There is nothing here that you may see. Check the address, or the tracking number."
        )
    elif status_code == 403:
        title = _("This form has expired")
        detail = _("Nothing was recorded. Go back, reload the page and send the form again.")
    elif status_code == 413:
        title = _("The files are too large")
        detail = _("Nothing was recorded. Send smaller files, or fewer at a time.")
    elif status_code == 429:
        title = _("Too many requests")
        detail = _("Nothing was recorded. Wait a minute and try again.")
    elif status_code == 503:
        title = _("Service temporarily unavailable")
        detail = _("Nothing was recorded. Please try again in a few minutes.")
    else:
        title = _("Something went wrong")
        detail = _("Nothing was recorded. Please try again.")
    return render(
        request, "error.html", {"title": title, "detail": detail}, status_code=status_code
    )
