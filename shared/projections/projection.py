"""How each event changes the read models (shared/projections/tables.py).

Pure SQL over one connection: the caller holds the transaction that also records
the event's Kafka position, so an event is applied once or not at all.
"""

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select

from shared.domain.complaint import Complaint, Status
from shared.domain.deadlines import COMPLETION, FIRST_FOLLOW_UP, TRIAGE, VERIFICATION
from shared.domain.model import DomainEvent
from shared.projections.tables import COMPLAINTS, COPIES, DEADLINES, TIMELINE, TRANSFERS

# The deadlines an inbox shows: the steps its holder owes (the parent's escalation turn and
# the reporter's windows are not the holder's to meet).
HOLDER_STAGES = (VERIFICATION, TRIAGE, FIRST_FOLLOW_UP, COMPLETION)
OPEN_STATUSES = (
    Status.UNVERIFIED,
    Status.DISPOSED_NOT_FOLLOWED_UP,
    Status.DISPOSED_IN_PROGRESS,
    Status.POSTPONED,
)
# Never in the timeline: the sealed identity, the token's hash, and the agency view inside
# ComplaintRouted (already on the row).
PRIVATE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "reporter",
    "reporter_token_hash",
    "complaint",
}


def status_after(event: DomainEvent) -> Status | None:
    """The status a lifecycle event leaves the complaint in; None when it changes none."""
    match event:
        case Complaint.Acknowledged() | Complaint.FollowedUp() | Complaint.Reopened():
            return Status.DISPOSED_IN_PROGRESS
        case Complaint.InformationRequested() | Complaint.Postponed():
            return Status.POSTPONED
        case Complaint.ReporterReplied():
            return event.resumed_status
        case Complaint.Resolved() | Complaint.AutoClosed():
            return Status.DISPOSED_DONE
        case Complaint.Archived():
            return Status.ARCHIVED
    return None


def project(c: Connection, event: DomainEvent, event_type: str) -> None:
    complaint_id = str(event.originator_id)
    at = utc(event.timestamp)
    row = COMPLAINTS.c.complaint_id == complaint_id
    if isinstance(event, Complaint.Filed):
        if c.scalar(select(COMPLAINTS.c.complaint_id).where(row)) is None:
            c.execute(
                COMPLAINTS.insert().values(
                    complaint_id=complaint_id,
                    tracking_id=event.tracking_id,
                    status=Status.UNVERIFIED.value,
                    title=event.title,
                    description=event.description,
                    category=event.category,
                    region_code=event.region_code,
                    address=event.address,
                    latitude=event.latitude,
                    longitude=event.longitude,
                    confidential=event.confidential,
                    filed_at=at,
                    updated_at=at,
                    overdue=False,
                    reporter_token_hash=event.reporter_token_hash,
                )
            )
    elif isinstance(event, Complaint.Routed):
        holder = c.scalar(select(COMPLAINTS.c.agency_id).where(row))
        if holder is not None and holder != event.agency_id:
            _transfer(c, event, holder, "reassigned")
        c.execute(
            COMPLAINTS.update()
            .where(row)
            .values(
                agency_id=event.agency_id,
                status=Status.DISPOSED_NOT_FOLLOWED_UP.value,
                routing_rule=event.rule_id,
                routed_at=at,
                first_response_at=None,
                overdue=False,
            )
        )
        for agency_id in event.copies:
            copy = (COPIES.c.complaint_id == complaint_id) & (COPIES.c.agency_id == agency_id)
            if c.scalar(select(COPIES.c.agency_id).where(copy)) is None:
                c.execute(COPIES.insert().values(complaint_id=complaint_id, agency_id=agency_id))
    elif isinstance(event, Complaint.Declined):
        _transfer(c, event, event.agency_id, "declined")
        # Out of the declining agency's inbox, back in the routing queue.
        c.execute(
            COMPLAINTS.update()
            .where(row)
            .values(
                agency_id=None, status=Status.UNVERIFIED.value, routing_rule=None, overdue=False
            )
        )
    elif isinstance(event, Complaint.DeadlineScheduled):
        if event.stage in HOLDER_STAGES:
            _stop_deadline(c, complaint_id, event.stage)
            c.execute(
                DEADLINES.insert().values(
                    complaint_id=complaint_id, stage=event.stage, due_at=utc(event.due_at)
                )
            )
            _show_next_deadline(c, complaint_id)
    elif isinstance(event, Complaint.DeadlineStopped | Complaint.DeadlineBreached):
        if event.stage in HOLDER_STAGES:
            _stop_deadline(c, complaint_id, event.stage)
            _show_next_deadline(c, complaint_id)
            if isinstance(event, Complaint.DeadlineBreached):
                c.execute(COMPLAINTS.update().where(row).values(overdue=True))
    elif isinstance(event, Complaint.Rated):
        c.execute(COMPLAINTS.update().where(row).values(rating=event.score))
    if isinstance(event, Complaint.FollowedUp | Complaint.Resolved):
        first = COMPLAINTS.c.first_response_at.is_(None)
        c.execute(COMPLAINTS.update().where(row & first).values(first_response_at=at))
    if (status := status_after(event)) is not None:
        c.execute(COMPLAINTS.update().where(row).values(status=status.value))
    c.execute(COMPLAINTS.update().where(row).values(updated_at=at))
    _add_to_timeline(c, event, event_type, complaint_id, at)


def _transfer(c: Connection, event: DomainEvent, from_agency_id: str, why: str) -> None:
    c.execute(
        TRANSFERS.insert().values(
            complaint_id=str(event.originator_id),
            sequence=event.originator_version,
            from_agency_id=from_agency_id,
            why=why,
            at=utc(event.timestamp),
        )
    )


def _stop_deadline(c: Connection, complaint_id: str, stage: str) -> None:
    c.execute(
        delete(DEADLINES).where(
            (DEADLINES.c.complaint_id == complaint_id) & (DEADLINES.c.stage == stage)
        )
    )


def _show_next_deadline(c: Connection, complaint_id: str) -> None:
    """The row shows the earliest open deadline of its holder, and its stage."""
    mine = DEADLINES.c.complaint_id == complaint_id
    earliest = c.scalar(select(func.min(DEADLINES.c.due_at)).where(mine))
    stage = None
    if earliest is not None:
        stage = c.scalar(
            select(func.min(DEADLINES.c.stage)).where(mine & (DEADLINES.c.due_at == earliest))
        )
    c.execute(
        COMPLAINTS.update()
        .where(COMPLAINTS.c.complaint_id == complaint_id)
        .values(deadline_at=earliest, deadline_stage=stage)
    )


def _add_to_timeline(
    c: Connection, event: DomainEvent, event_type: str, complaint_id: str, at: datetime
) -> None:
    sequence = event.originator_version
    seen = (TIMELINE.c.complaint_id == complaint_id) & (TIMELINE.c.sequence == sequence)
    if c.scalar(select(TIMELINE.c.sequence).where(seen)) is None:
        c.execute(
            TIMELINE.insert().values(
                complaint_id=complaint_id,
                sequence=sequence,
                event_type=event_type,
                at=at,
                detail=event.model_dump_json(exclude=PRIVATE_FIELDS),
            )
        )


def utc(moment: datetime) -> datetime:
    """Stored and returned in UTC; SQLite hands datetimes back without their zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
