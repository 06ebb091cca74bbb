"""The agency directory (Direktori Instansi) in force, for every officer: who else there is to
pass a report to, under whom, and whether their liaison office is set. The national admin
also sees how many officers each agency has, with a way to its team.

The directory is the one the routers route by (routing.events); agencies are public bodies,
so nothing here is any officer's alone.
"""

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.intake.console.inbox import provinces
from services.intake.console.session import OfficerDep, accounts
from services.intake.portal.dashboard import level_names
from services.intake.portal.pages import gettext, page_language, render
from shared.domain.catalogue import region_name
from shared.domain.officers import NATIONAL, Role
from shared.domain.routing import Agency, Directory

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
WORDS_MAX = 100


def _matches(agency: Agency, words: list[str], level: str, province: str) -> bool:
    name = agency.name.lower()
    return (
        all(word in name or word in agency.id for word in words)
        and (not level or agency.level == level)
        and (not province or (agency.region_code or "").split(".")[0] == province)
    )


@router.get("/petugas/instansi", response_class=HTMLResponse)
def agencies(
    request: Request,
    who: OfficerDep,
    nama: str = "",
    tingkat: str = "",
    provinsi: str = "",
    halaman: int = 1,
) -> HTMLResponse:
    lang = page_language(request)
    _ = gettext(lang)
    directory: Directory = request.app.state.directory.current
    levels = level_names(_)
    errors: dict[str, str] = {}
    words = nama.lower().split()
    if len(nama) > WORDS_MAX:
        errors["nama"], words = _("Search with at most %(n)d characters") % {"n": WORDS_MAX}, []
    if tingkat and tingkat not in levels:
        errors["tingkat"], tingkat = _("Choose a level from the list"), ""
    if provinsi and provinsi not in provinces():
        errors["provinsi"], provinsi = _("Choose a province from the list"), ""
    found = sorted(
        (a for a in directory.agencies.values()
         if a.id != NATIONAL and _matches(a, words, tingkat, provinsi)),
        key=lambda a: (a.level != "ministry", a.level, a.name),
    )  # fmt: skip
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = min(max(halaman, 1), pages)
    national = who.role is Role.NATIONAL_ADMIN
    counts = accounts(request).team_sizes() if national else {}
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    query = {k: v for k, v in {"nama": nama, "tingkat": tingkat, "provinsi": provinsi}.items() if v}

    def at(n: int) -> str:
        return "?" + urlencode({**query, "halaman": str(n)})

    return render(
        request,
        "agencies.html",
        {
            "who": who,
            "national": national,
            "rows": [
                {
                    "id": a.id,
                    "name": a.name,
                    "level": levels.get(a.level, a.level),
                    "region": region_name(a.region_code) if a.region_code else None,
                    "parent": directory.agencies[a.parent].name
                    if a.parent in directory.agencies and a.parent != NATIONAL
                    else None,
                    "liaison": a.liaison.unit or a.liaison.email,
                    "officers": counts.get(a.id, 0),
                }
                for a in shown
            ],
            "total": len(found),
            "page": page,
            "pages": pages,
            "previous": at(page - 1) if page > 1 else None,
            "next": at(page + 1) if page < pages else None,
            "asked": {"nama": nama, "tingkat": tingkat, "provinsi": provinsi},
            "levels": [(k, v) for k, v in levels.items() if k != "national"],
            "provinces": sorted(provinces().items(), key=lambda pair: pair[1]),
            "errors": errors,
            "directory_version": directory.version,
        },
        status_code=400 if errors else 200,
    )
