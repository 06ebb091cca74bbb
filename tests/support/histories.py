"""Mixed lifecycle histories for the read-model tests and the replay benchmark.

Each complaint lives a seeded random life through the real aggregate (filed, routed,
declined and re-routed, reassigned, acknowledged, asked, postponed, answered, resolved,
rated, archived, deadlines breached), in simulated time. Alongside, the figures an
agency's scores must show, counted here from the aggregates and the life each was given,
not from the read model's code.
"""

import contextlib
import contextvars
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared import clock
from shared.domain.complaint import Channel, Complaint, InvalidTransition, ReportType, Status
from shared.domain.deadlines import FIRST_FOLLOW_UP, REPLY_WINDOW, STANDARD_POLICY, Tier
from shared.domain.model import DomainEvent
from shared.domain.tracking import ALPHABET, LENGTH, is_tracking_id
from shared.projections.projection import OPEN_STATUSES

AGENCIES = (
    "pemkab-oku-timur",
    "pemprov-sumatera-selatan",
    "kemen-pu",
    "bpjs-kesehatan",
    "pemkot-bandung",
)
PARENT = "pemprov-sumatera-selatan"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 08:00 WIB
MESSAGE = "Tim kami telah meninjau laporan ini dan menindaklanjutinya."


@dataclass
class Expected:
    """What the read model must hold after every history is applied."""

    events: int = 0
    complaints: int = 0
    status: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    followed_up: Counter[str] = field(default_factory=Counter)
    response_hours: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    transferred_away: Counter[str] = field(default_factory=Counter)
    ratings: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    overdue_open: Counter[str] = field(default_factory=Counter)
    confidential: int = 0


def mixed_histories(
    count: int, seed: int = 7, first: int = 0, closed: bool = False
) -> tuple[list[DomainEvent], Expected]:
    """`count` complaints' events in log order (each complaint's in its order), and the
    figures they add up to; complaint numbers (in the tracking ids) from `first`. With
    `closed`, each life is then brought to a close for good (`Complaint.settled`), as most of
    a national log's history is. Runs in a context of its own: the caller's clock is
    untouched."""
    return contextvars.copy_context().run(_generate, count, seed, first, closed)


def _generate(
    count: int, seed: int, first: int, closed: bool
) -> tuple[list[DomainEvent], Expected]:
    rng = random.Random(seed + first)
    expected = Expected()
    events: list[DomainEvent] = []
    for n in range(first, first + count):
        for event in _life(n, rng, expected, closed):
            events.append(event)
    expected.events = len(events)
    expected.complaints = count
    return events, expected


class _Time:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def passes(self, hours: float) -> datetime:
        self.at += timedelta(hours=hours)
        return self.at


def tracking_id_of(n: int) -> str:
    """The n-th history's tracking id: a valid one (check character included), "MX" first."""
    body = "MX"
    for _ in range(LENGTH - 3):
        n, digit = divmod(n, len(ALPHABET))
        body += ALPHABET[digit]
    return next(body + c for c in ALPHABET if is_tracking_id(body + c))


def _life(n: int, rng: random.Random, expected: Expected, closed: bool) -> Iterator[DomainEvent]:
    now = _Time(START + timedelta(minutes=7 * n))
    clock.use_clock(now)
    confidential = rng.random() < 0.1
    complaint = Complaint(
        tracking_id=tracking_id_of(n),
        report_type=ReportType.COMPLAINT,
        title=f"Laporan nomor {n}",
        description="Jalan berlubang di depan sekolah sejak bulan lalu.",
        category=rng.choice(("jalan-daerah", "kesehatan", "pendidikan-menengah")),
        region_code=rng.choice(("16.08", "16.08.01", "32.73", "31.71")),
        channel=Channel.WEB,
        confidential=confidential,
    )
    expected.confidential += confidential
    routed_at: datetime | None = None
    responded = False
    breached = False
    if rng.random() < 0.05:  # still waiting to be routed
        if closed:
            _close(complaint, now)
        yield from complaint.new_events()
        _count(complaint, expected, routed_at, None, breached)
        return
    holder = rng.choice(AGENCIES)
    complaint.route(holder, "rule@v1", "by rule", at=now.passes(1), copies=_copies(rng, holder))
    routed_at = now.at
    if rng.random() < 0.2:  # bukan wewenang: to another agency
        complaint.decline(holder, "Bukan wewenang kami, jalan provinsi.")
        expected.transferred_away[holder] += 1
        holder = rng.choice([a for a in AGENCIES if a != holder])
        complaint.route(holder, "rule@v1", "next candidate", at=now.passes(2))
        routed_at = now.at
    if rng.random() < 0.05:  # the national admin reassigns by hand
        expected.transferred_away[holder] += 1
        holder = rng.choice([a for a in AGENCIES if a != holder])
        complaint.reassign(holder, "national-admin", "wewenang pusat", at=now.passes(1))
        routed_at = now.at
    first_response: datetime | None = None
    fate = rng.random()
    if fate < 0.12:  # the first follow-up deadline passes unmet
        due = complaint.deadlines[FIRST_FOLLOW_UP].due_at
        now.at = due + timedelta(minutes=5)
        complaint.deadline_passed(
            FIRST_FOLLOW_UP,
            due,
            False,
            at=now.at,
            policy=STANDARD_POLICY,
            parent_agency=PARENT,
        )
        breached = True
    elif fate < 0.27:
        complaint.acknowledge(holder, rng.choice(list(Tier)), STANDARD_POLICY)
    elif fate < 0.37:
        complaint.request_information(
            holder, "Mohon kirim foto lokasi.", now.passes(3), STANDARD_POLICY
        )
        if rng.random() < 0.5:
            complaint.reply("Foto sudah saya kirim lewat e-mail.", now.passes(20))
    elif fate < 0.42:
        complaint.archive("national-admin", "laporan ganda")
    elif fate < 0.85:
        complaint.follow_up(holder, MESSAGE, now.passes(rng.uniform(1, 100)), STANDARD_POLICY)
        first_response = now.at
        if rng.random() < 0.6:
            complaint.resolve(holder, MESSAGE, now.passes(rng.uniform(1, 48)), STANDARD_POLICY)
            if rng.random() < 0.6:
                complaint.rate(rng.randint(1, 5), None)
    responded = first_response is not None
    if closed:
        _close(complaint, now)
    yield from complaint.new_events()
    _count(complaint, expected, routed_at, first_response if responded else None, breached)


def _close(complaint: Complaint, now: _Time) -> None:
    """Closed for good, the way most complaints end: the holder resolves what it has not
    finished and the reporter's reply window lapses (selesai); the national admin archives
    what cannot be resolved (not routed yet, waiting for the reporter: arsip). Draws nothing
    from the random sequence, so the lives themselves are those of the open histories."""
    if complaint.settled:
        return
    if complaint.status is not Status.DISPOSED_DONE and complaint.agency_id is not None:
        with contextlib.suppress(InvalidTransition):
            complaint.resolve(complaint.agency_id, MESSAGE, now.passes(24), STANDARD_POLICY)
    window = complaint.deadlines.get(REPLY_WINDOW)
    if complaint.status is Status.DISPOSED_DONE and window is not None:
        now.at = window.due_at + timedelta(minutes=5)
        complaint.deadline_passed(
            REPLY_WINDOW,
            window.due_at,
            False,
            at=now.at,
            policy=STANDARD_POLICY,
            parent_agency=PARENT,
        )
    if not complaint.settled:
        complaint.archive("national-admin", "ditutup: tidak dapat ditindaklanjuti")


def _copies(rng: random.Random, holder: str) -> tuple[str, ...]:
    if rng.random() < 0.15:
        return (rng.choice([a for a in AGENCIES if a != holder]),)
    return ()


def _count(
    complaint: Complaint,
    expected: Expected,
    routed_at: datetime | None,
    first_response: datetime | None,
    breached: bool,
) -> None:
    holder = complaint.agency_id
    status = complaint.status
    expected.status[(holder, status.value)] += 1
    if holder is None:
        return
    expected.held[holder] += 1
    if first_response is not None and routed_at is not None:
        expected.followed_up[holder] += 1
        expected.response_hours[holder].append((first_response - routed_at).total_seconds() / 3600)
    if complaint.rating is not None:
        expected.ratings[holder].append(complaint.rating)
    if breached and status in OPEN_STATUSES:
        expected.overdue_open[holder] += 1


__all__ = ["AGENCIES", "Expected", "Status", "mixed_histories"]
