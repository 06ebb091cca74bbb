"""What `pintu audit` tells an auditor: findings in plain words, one complaint's history as
JSON (every envelope exactly as on the log, and the chain's verdict) and as a readable page.

The reporter's identity is never shown: the JSON keeps each envelope as it is on the log,
where the identity is sealed (shared/adapters/sql/reporter_keys.py), and the page shows nothing of it.
"""

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.intake.timeline import describe
from shared.contracts.chain import TAMPERING, Finding, Kind, Verdict
from shared.domain.calendar import WIB
from shared.domain.routing import Agency, default_directory
from shared.projections.inbox import TimelineEntry


def finding_lines(finding: Finding) -> str:
    """Two lines: what and where, then why."""
    who = f"complaint {finding.tracking_id or '(tracking id unknown)'} ({finding.complaint_id})"
    if finding.sequence is None:
        who = f"a record keyed {finding.complaint_id!r}"
    where = f"partition {finding.partition}"
    if finding.offset is not None:
        where += f", offset {finding.offset}"
    event = f", event #{finding.sequence}" if finding.sequence is not None else ""
    return f"{finding.kind.upper():<9} {who}{event} ({where})\n          {finding.explanation}"


def verdict_sentence(verdict: Verdict) -> str:
    tampering = Counter(f.kind.value for f in verdict.findings if f.kind in TAMPERING)
    if not tampering:
        return "the chain is intact: no event altered, missing, reordered or duplicated."
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(tampering.items()))
    total = sum(tampering.values())
    return f"the chain is NOT intact: {total} finding{'s' if total > 1 else ''} ({counts})."


@dataclass(frozen=True)
class Entry:
    """One record of the complaint's history, where it is on the log."""

    partition: int
    offset: int
    envelope: dict[str, Any]


@dataclass(frozen=True)
class History:
    tracking_id: str
    complaint_id: str
    topic: str
    entries: list[Entry]  # in log order
    verdict: Verdict


def history_json(history: History, exported_at: datetime) -> str:
    document = {
        "tracking_id": history.tracking_id,
        "complaint_id": history.complaint_id,
        "topic": history.topic,
        "exported_at": exported_at.isoformat(),
        "verification": {
            "intact": history.verdict.intact,
            "verdict": verdict_sentence(history.verdict),
            "findings": [{**asdict(f), "kind": f.kind.value} for f in history.verdict.findings],
        },
        # Each envelope exactly as json.loads reads it off the log: re-verifiable from here.
        "events": [asdict(entry) for entry in history.entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def history_html(history: History, exported_at: datetime) -> str:
    agencies = default_directory().agencies
    flagged = {
        (f.partition, f.offset): f.kind.value
        for f in history.verdict.findings
        if f.kind in TAMPERING and f.offset is not None
    }
    rows = []
    for entry in history.entries:
        envelope = entry.envelope
        at = _instant(envelope.get("time"))
        data = envelope.get("data")
        timeline = TimelineEntry(
            sequence=int(envelope.get("sequence") or 0),
            event_type=str(envelope.get("type")),
            at=at or exported_at,
            detail=data if isinstance(data, dict) else {},
        )
        rows.append(
            {
                "sequence": envelope.get("sequence"),
                "time": at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S WIB") if at else "?",
                "type": envelope.get("type"),
                "description": _described(timeline, agencies),
                "hash": envelope.get("hash"),
                "prevhash": envelope.get("prevhash"),
                "where": f"{entry.partition}/{entry.offset}",
                "flag": flagged.get((entry.partition, entry.offset)),
            }
        )
    filed = next(
        (
            e.envelope.get("data")
            for e in history.entries
            if e.envelope.get("type") == "pintu.complaint.filed"
        ),
        None,
    )
    title = filed.get("title") if isinstance(filed, dict) else None
    return (
        _templates()
        .get_template("history.html")
        .render(
            history=history,
            title=title,
            rows=rows,
            intact=history.verdict.intact,
            verdict=verdict_sentence(history.verdict),
            findings=[f for f in history.verdict.findings if f.kind in TAMPERING],
            unsealed=[f for f in history.verdict.findings if f.kind is Kind.UNSEALED],
            exported_at=exported_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S WIB"),
        )
    )


def _described(entry: TimelineEntry, agencies: Mapping[str, Agency]) -> str:
    """The timeline's words (Bahasa Indonesia); an altered event may not fit them."""
    try:
        return describe(entry, "id", agencies)
    except (KeyError, TypeError, ValueError):
        return entry.event_type


def _instant(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("services.audit", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
