"""The console (Meja Petugas): the pages agency officers and the national admin work in,
served by intake beside the portal, from the same page kit (docs/decisions/0014).

Every page needs a signed-in officer (services/intake/accounts.py); what an officer may see
or do is decided by their role and agency (shared/domain/officers.py), and a refusal reads
as a page that is not there.
"""

from fastapi import APIRouter

from services.intake.console import (
    agencies,
    assigning,
    complaint,
    inbox,
    invitations,
    responses,
    rules,
    scores,
    sign_in,
    team,
)

PREFIX = "/petugas"
RULES_MAX_BYTES = rules.MAX_BYTES
RULES_POSTS = ("/petugas/aturan/pratinjau", "/petugas/aturan/terbitkan")


def routers() -> list[APIRouter]:
    return [
        sign_in.router,
        invitations.router,
        team.router,
        inbox.router,
        assigning.router,  # before the complaint's actions: its path is one of theirs
        complaint.router,
        responses.router,
        agencies.router,
        rules.router,
        scores.router,
    ]


def secret_link(path: str) -> bool:
    """An invitation link (a secret in the path): its reads are rate-limited."""
    return path.startswith(PREFIX + "/undangan/")
