"""Privacy by construction: a reporter's identity exists on the log only sealed.

Each filing's identity is encrypted (AES-256-GCM) under a key of its own, kept
in the key store and nowhere else. Deleting that key erases the identity
everywhere at once, in every copy and every replay of the log (crypto-shredding).
"""

import base64
import os
import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    select,
)

from shared.adapters.sql.migrations import ensure_current
from shared.domain.identity import ReporterIdentity, SealedIdentity

METADATA = MetaData()
REPORTER_KEYS = Table(
    "reporter_keys",
    METADATA,
    Column("key_id", String(36), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class KeyStore:
    """Reporter keys, one per filing. The only place an identity can be recovered from."""

    def __init__(self, database: Engine) -> None:
        self._db = database
        ensure_current(database)

    def new_key(self) -> tuple[str, bytes]:
        key_id, key = fresh_key()
        with self._db.begin() as c:
            c.execute(
                REPORTER_KEYS.insert().values(key_id=key_id, key=key, created_at=datetime.now(UTC))
            )
        return key_id, key

    def key(self, key_id: str) -> bytes | None:
        with self._db.connect() as c:
            found = c.scalar(select(REPORTER_KEYS.c.key).where(REPORTER_KEYS.c.key_id == key_id))
        return None if found is None else bytes(found)

    def shred(self, key_id: str) -> bool:
        """Erase one reporter's identity for good. True when a key was deleted."""
        with self._db.begin() as c:
            gone = c.execute(delete(REPORTER_KEYS).where(REPORTER_KEYS.c.key_id == key_id))
        return gone.rowcount == 1


def seal(identity: ReporterIdentity, keys: KeyStore) -> SealedIdentity:
    key_id, key = keys.new_key()
    return seal_under(identity, key_id, key)


def fresh_key() -> tuple[str, bytes]:
    """A key for one filing's identity, not yet kept: the caller stores it in REPORTER_KEYS
    in the transaction that needs it (services/intake/store.py)."""
    return str(uuid.uuid4()), AESGCM.generate_key(bit_length=256)


def seal_under(identity: ReporterIdentity, key_id: str, key: bytes) -> SealedIdentity:
    nonce = os.urandom(12)
    # The key id is bound as associated data: a ciphertext cannot be moved to another key.
    ciphertext = AESGCM(key).encrypt(nonce, identity.model_dump_json().encode(), key_id.encode())
    return SealedIdentity(key_id=key_id, nonce=_b64(nonce), ciphertext=_b64(ciphertext))


def unseal(sealed: SealedIdentity, keys: KeyStore) -> ReporterIdentity | None:
    """The identity, or None once its key was shredded."""
    key = keys.key(sealed.key_id)
    if key is None:
        return None
    plaintext = AESGCM(key).decrypt(
        base64.b64decode(sealed.nonce), base64.b64decode(sealed.ciphertext), sealed.key_id.encode()
    )
    return ReporterIdentity.model_validate_json(plaintext)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
