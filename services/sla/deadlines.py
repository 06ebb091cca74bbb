"""Which deadline a routed complaint gets, without any I/O."""

from shared.domain.calendar import CALENDAR_VERSION, working_day_deadline
from shared.domain.complaint import Complaint

FIRST_FOLLOW_UP = "first_follow_up"
FIRST_FOLLOW_UP_WORKING_DAYS = 5


def first_follow_up(routed: Complaint.Routed) -> Complaint.DeadlineScheduled:
    """The agency's first follow-up is due 5 working days after the complaint reached it."""
    return Complaint.DeadlineScheduled(
        originator_id=routed.originator_id,
        originator_version=routed.originator_version + 1,
        timestamp=Complaint.DeadlineScheduled.create_timestamp(),
        stage=FIRST_FOLLOW_UP,
        due_at=working_day_deadline(routed.timestamp, FIRST_FOLLOW_UP_WORKING_DAYS),
        calendar=CALENDAR_VERSION,
    )
