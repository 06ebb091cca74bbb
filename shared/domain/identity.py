"""A reporter's identity (pelapor), and the sealed form in which it travels on the log.

Sealing and unsealing need the reporter keys, kept in shared/adapters/sql/reporter_keys.py.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr


class ReporterIdentity(BaseModel):
    """Who reported (pelapor): never on a topic in plaintext."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    email: EmailStr | None = None
    phone: str | None = None  # E.164, e.g. +6281234567890
    language: Literal["id", "en"] = "id"  # what Pintu writes to the reporter in


class SealedIdentity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    nonce: str
    ciphertext: str
