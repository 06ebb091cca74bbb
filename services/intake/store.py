"""The intake's own state: tracking ids handed out, and idempotency keys.

Kept in the intake's own SQLite file, shared by every intake process on the host
and kept across restarts. Tracking ids are unique here, not just probably unique.
An idempotency key is remembered for 24 hours, so a retried filing returns the
first answer instead of filing twice.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from shared.domain.tracking import new_tracking_id

RETENTION = "-1 day"


@dataclass(frozen=True)
class Claim:
    """What a key reserved (tracking id, reporter token) and, once published, the receipt."""

    body_sha256: str
    tracking_id: str
    reporter_token: str
    receipt: str | None


class IntakeStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS idempotency_keys ("
            " key TEXT PRIMARY KEY, body_sha256 TEXT NOT NULL, tracking_id TEXT NOT NULL,"
            " reporter_token TEXT NOT NULL,"
            " receipt TEXT, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS tracking_ids (tracking_id TEXT PRIMARY KEY)")

    def new_tracking_id(self) -> str:
        """A tracking id never handed out before."""
        while True:
            candidate = new_tracking_id()
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO tracking_ids VALUES (?)", (candidate,)
            ).rowcount
            if inserted == 1:
                return candidate

    def claim(self, key: str, body_sha256: str, tracking_id: str, reporter_token: str) -> Claim:
        """Reserve `key` for this body, or return what it already holds."""
        self._db.execute(
            "DELETE FROM idempotency_keys WHERE created_at < datetime('now', ?)", (RETENTION,)
        )
        self._db.execute(
            "INSERT OR IGNORE INTO idempotency_keys (key, body_sha256, tracking_id, reporter_token)"
            " VALUES (?,?,?,?)",
            (key, body_sha256, tracking_id, reporter_token),
        )
        row = self._db.execute(
            "SELECT body_sha256, tracking_id, reporter_token, receipt FROM idempotency_keys"
            " WHERE key=?",
            (key,),
        ).fetchone()
        return Claim(*row)

    def complete(self, key: str, receipt: str) -> None:
        self._db.execute("UPDATE idempotency_keys SET receipt=? WHERE key=?", (receipt, key))
