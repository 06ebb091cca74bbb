"""Which deadlines have come: pure, so the SLA service's one decision is unit-tested.

The SLA service keeps each complaint's open deadlines as the log states them
(services/sla/app.py) and asks the complaint's owner, the router, to record a
warning or a breach when its time has come. The owner decides, once: a question
asked twice, or about a deadline that was met meanwhile, is refused. So asking
again after a crash is always safe, and asking late is how a restarted service
catches up on what fell due while it was down.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.complaint import Complaint, Deadline, deadlines_started

# complaint id -> stage -> {"due": iso, "warn": iso, "warned": bool}: a faust table's value.
OpenDeadlines = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Question:
    complaint_id: str
    stage: str
    due_at: datetime
    warning: bool  # True: the warning time has come; False: the deadline itself


def mirrored(deadlines: OpenDeadlines, event: object) -> OpenDeadlines | None:
    """A complaint's open deadlines after one of its events; None when it changes nothing."""
    started = {d.stage: _entry(d) for d in deadlines_started(event)}
    if isinstance(event, Complaint.Routed):
        # A new holder, its clocks and only those (logs older than DeadlineStopped relied
        # on this; older than ComplaintRouted v5, its clocks came as DeadlineScheduled).
        return started
    if started:
        return {**deadlines, **started}
    if isinstance(event, Complaint.DeadlineWarned) and event.stage in deadlines:
        return {**deadlines, event.stage: {**deadlines[event.stage], "warned": True}}
    if isinstance(event, Complaint.DeadlineBreached | Complaint.DeadlineStopped):
        return {stage: d for stage, d in deadlines.items() if stage != event.stage}
    return None


def _entry(deadline: Deadline) -> dict[str, Any]:
    return {
        "due": deadline.due_at.isoformat(),
        "warn": deadline.warn_at.isoformat(),
        "warned": False,
    }


def questions(complaint_id: str, deadlines: dict[str, Any], now: datetime) -> list[Question]:
    """What to ask the owner about this complaint at `now`: a breach outranks its warning."""
    asked = []
    for stage, deadline in deadlines.items():
        due_at = datetime.fromisoformat(deadline["due"])
        if now >= due_at:
            asked.append(Question(complaint_id, stage, due_at, warning=False))
        elif not deadline["warned"] and now >= datetime.fromisoformat(deadline["warn"]):
            asked.append(Question(complaint_id, stage, due_at, warning=True))
    return asked
