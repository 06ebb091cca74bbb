"""Who asks: the national admin or an agency by API key (Authorization: Bearer), proven once
per request by a FastAPI dependency, for the actions and the queries alike."""

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from shared.config import Settings


def bearer(
    authorization: Annotated[str | None, Header(description="Bearer <api key>")] = None,
) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Send your API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return key


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


KeyDep = Annotated[str, Depends(bearer)]
SettingsDep = Annotated[Settings, Depends(settings)]


def _known(key: str, allowed: list[str]) -> bool:
    return any(hmac.compare_digest(key.encode(), candidate.encode()) for candidate in allowed)


def national_admin(key: KeyDep, config: SettingsDep) -> None:
    if not _known(key, config.admin_api_keys):
        raise HTTPException(403, "Only the national admin may do this.")


def agency_admin(agency_id: str, key: KeyDep, config: SettingsDep) -> str:
    """The agency the key speaks for (the path's); 403 for any other agency's key."""
    keys = config.agency_api_keys
    if not _known(key, keys.get(agency_id, []) + keys.get("*", [])):
        raise HTTPException(403, f"This key may not act for {agency_id}.")
    return agency_id


NationalAdmin = Annotated[None, Depends(national_admin)]
AgencyAdmin = Annotated[str, Depends(agency_admin)]
