"""The delivery ledger: one row per (event, recipient) delivered, so nothing is sent twice."""

import sqlite3
from pathlib import Path


class DeliveryLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries ("
            " event_id TEXT NOT NULL, recipient TEXT NOT NULL, channel TEXT NOT NULL,"
            " delivered_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            " PRIMARY KEY (event_id, recipient, channel))"
        )

    def delivered(self, event_id: str, recipient: str, channel: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM deliveries WHERE event_id=? AND recipient=? AND channel=?",
            (event_id, recipient, channel),
        ).fetchone()
        return row is not None

    def record(self, event_id: str, recipient: str, channel: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO deliveries (event_id, recipient, channel) VALUES (?,?,?)",
            (event_id, recipient, channel),
        )

    def close(self) -> None:
        self._db.close()
