"""Which deadlines have come: pure, so the SLA service's one decision is unit-tested.

The SLA service keeps each complaint's open deadlines as the log states them
(services/sla/app.py) and asks the complaint's owner, the router, to record a
warning or a breach when its time has come. The owner decides, once: a question
asked twice, or about a deadline that was met meanwhile, is refused. So asking
again after a crash is always safe, and asking late is how a restarted service
catches up on what fell due while it was down.

A national table holds millions of open deadlines, so a complaint's are one short
string (`OpenDeadlines`), and the service finds the due ones through a `DueIndex`
ordered by time, never by looking at every open deadline.
"""

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.complaint import Complaint, Deadline, deadlines_started

# A complaint's open deadlines as its table value: "<stage> <due> <warn> <warned>" per
# stage, joined by ";", the times in microseconds since the epoch (exact: the router
# matches a question's due time to the instant), warned 0 or 1. "" when none is open.
OpenDeadlines = str
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SLACK = 1024  # stale reminders never worth a rebuild of the index


@dataclass(frozen=True)
class OpenClock:
    due_at: datetime
    warn_at: datetime
    warned: bool


@dataclass(frozen=True)
class Question:
    complaint_id: str
    stage: str
    due_at: datetime
    warning: bool  # True: the warning time has come; False: the deadline itself


def opened(value: OpenDeadlines | dict[str, Any]) -> dict[str, OpenClock]:
    """A table value's clocks by stage; also the nested dicts of ISO times older tables hold."""
    if isinstance(value, dict):
        return {
            stage: OpenClock(
                datetime.fromisoformat(d["due"]), datetime.fromisoformat(d["warn"]), d["warned"]
            )
            for stage, d in value.items()
        }
    clocks = {}
    for entry in filter(None, value.split(";")):
        stage, due, warn, warned = entry.split(" ")
        clocks[stage] = OpenClock(_instant(int(due)), _instant(int(warn)), warned == "1")
    return clocks


def spelled(clocks: dict[str, OpenClock]) -> OpenDeadlines:
    return ";".join(
        f"{stage} {_micros(c.due_at)} {_micros(c.warn_at)} {int(c.warned)}"
        for stage, c in sorted(clocks.items())
    )


def mirrored(value: OpenDeadlines | dict[str, Any], event: object) -> OpenDeadlines | None:
    """A complaint's open deadlines after one of its events; None when it changes nothing."""
    started = {d.stage: _clock(d) for d in deadlines_started(event)}
    if isinstance(event, Complaint.Routed):
        # A new holder, its clocks and only those (logs older than DeadlineStopped relied
        # on this; older than ComplaintRouted v5, its clocks came as DeadlineScheduled).
        return spelled(started)
    clocks = opened(value)
    if started:
        return spelled({**clocks, **started})
    if isinstance(event, Complaint.DeadlineWarned) and event.stage in clocks:
        c = clocks[event.stage]
        return spelled({**clocks, event.stage: OpenClock(c.due_at, c.warn_at, warned=True)})
    if isinstance(event, Complaint.DeadlineBreached | Complaint.DeadlineStopped):
        return spelled({stage: c for stage, c in clocks.items() if stage != event.stage})
    return None


def next_moment(value: OpenDeadlines | dict[str, Any]) -> datetime | None:
    """When the next question about these deadlines comes due; None when none is open."""
    moments = [c.due_at if c.warned else c.warn_at for c in opened(value).values()]
    return min(moments, default=None)


def questions(
    complaint_id: str, value: OpenDeadlines | dict[str, Any], now: datetime
) -> list[Question]:
    """What to ask the owner about this complaint at `now`: a breach outranks its warning."""
    asked = []
    for stage, clock in opened(value).items():
        if now >= clock.due_at:
            asked.append(Question(complaint_id, stage, clock.due_at, warning=False))
        elif not clock.warned and now >= clock.warn_at:
            asked.append(Question(complaint_id, stage, clock.due_at, warning=True))
    return asked


class DueIndex:
    """Complaints by the moment their next question comes due, earliest first.

    `due(now)` costs the entries that came due, not the open deadlines. An entry is a
    reminder to look, never a verdict: the table says what is still open, so a reminder
    that a later event made stale is dropped when it comes up.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def remind(self, complaint_id: str, at: datetime | None) -> None:
        if at is not None:
            heapq.heappush(self._heap, (_micros(at), complaint_id))

    def outgrown(self, open_complaints: int) -> bool:
        """Whether stale reminders (of deadlines met or closed since) are most of the index:
        then it is rebuilt from the table, so it holds about what is still open. Rebuilding
        once it doubles costs each reminder a constant share."""
        return len(self._heap) > 2 * open_complaints + SLACK

    def rebuild(self, moments: dict[str, datetime | None]) -> None:
        """After a rebalance: the complaints this worker now holds, and only those."""
        self._heap = [(_micros(at), key) for key, at in moments.items() if at is not None]
        heapq.heapify(self._heap)

    def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """Take out every reminder whose moment has come: (complaint, moment), in time order."""
        limit, taken = _micros(now), []
        while self._heap and self._heap[0][0] <= limit:
            at, key = heapq.heappop(self._heap)
            taken.append((key, _instant(at)))
        return taken


def came_due(
    index: DueIndex, table: Mapping[str, OpenDeadlines | dict[str, Any]], now: datetime
) -> dict[str, list[Question]]:
    """The questions to ask at `now`, by complaint: what the index says came due, checked
    against the table (a reminder made stale by a later event asks nothing)."""
    looked = {}
    for complaint_id, moment in index.due(now):
        value = table.get(complaint_id)
        upcoming = next_moment(value) if value else None
        if value and upcoming is not None and upcoming <= moment:
            looked[complaint_id] = questions(complaint_id, value, now)
    return looked


def _clock(deadline: Deadline) -> OpenClock:
    return OpenClock(deadline.due_at, deadline.warn_at, warned=False)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _instant(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
