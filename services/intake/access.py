"""Who asks: the national admin or an agency by API key (Authorization: Bearer), or the reporter
by the reporter token (X-Reporter-Token), proven once per request by a FastAPI dependency, for
the actions and the queries alike.

A missing credential of any kind is 401. A complaint the caller may not see is answered as an
unknown tracking id is (`unknown_complaint`): the same 404, word for word.
"""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from shared.adapters.kafka.directory import DirectoryInForce
from shared.config import Settings
from shared.domain.tracking import ALPHABET, LENGTH

# The published shapes of identifiers, checked before any reaches a database or a header.
AGENCY_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
AGENCY_ID_MAX = 80
TRACKING_ID_PATTERN = f"^[{ALPHABET}]{{{LENGTH}}}$"

AgencyIdPath = Annotated[
    str,
    Path(
        pattern=AGENCY_ID_PATTERN,
        max_length=AGENCY_ID_MAX,
        description="the agency's id in the directory",
        examples=["pemkab-oku-timur"],
    ),
]
TrackingIdPath = Annotated[
    str,
    Path(
        pattern=TRACKING_ID_PATTERN,
        description="the tracking id (nomor tiket) from the receipt: ten characters, the last "
        "a check character; one that fails its check is an unknown complaint (404)",
        examples=["5XW2KTAPJ2"],
    ),
]

_api_key = HTTPBearer(auto_error=False, description="an agency's or the national admin's API key")
_reporter_token = APIKeyHeader(
    name="X-Reporter-Token",
    auto_error=False,
    description="the reporter token handed out at filing",
)


def unknown_complaint(tracking_id: str) -> HTTPException:
    """The one answer for a complaint that does not exist or that the caller may not see."""
    return HTTPException(404, f"There is no complaint {tracking_id} that you may see.")


def bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_api_key)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Send your API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return credentials.credentials


def reporter_token(token: Annotated[str | None, Security(_reporter_token)]) -> str:
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Only the reporter may do this: send the reporter token from the receipt "
            "as X-Reporter-Token.",
            headers={"WWW-Authenticate": 'ReporterToken header="X-Reporter-Token"'},
        )
    return token


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


KeyDep = Annotated[str, Depends(bearer)]
ReporterTokenDep = Annotated[str, Depends(reporter_token)]
SettingsDep = Annotated[Settings, Depends(settings)]


def _known(key: str, allowed: list[str]) -> bool:
    return any(hmac.compare_digest(key.encode(), candidate.encode()) for candidate in allowed)


def national_admin(key: KeyDep, config: SettingsDep) -> None:
    if not _known(key, config.admin_api_keys):
        raise HTTPException(403, "Only the national admin may do this.")


def agency_admin(
    agency_id: AgencyIdPath, key: KeyDep, config: SettingsDep, request: Request
) -> str:
    """The agency the key speaks for (the path's); 403 for any other agency's key, 404 for an
    agency the directory in force does not list."""
    keys = config.agency_api_keys
    if not _known(key, keys.get(agency_id, []) + keys.get("*", [])):
        raise HTTPException(403, f"This key may not act for {agency_id}.")
    directory: DirectoryInForce = request.app.state.directory
    if agency_id not in directory.current.agencies:
        raise HTTPException(404, f"There is no agency {agency_id} in the directory.")
    return agency_id


NationalAdmin = Annotated[None, Depends(national_admin)]
AgencyAdmin = Annotated[str, Depends(agency_admin)]
