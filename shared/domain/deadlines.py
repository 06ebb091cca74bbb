"""Which deadlines a complaint's steps start (the handbook's table), without any I/O."""

from datetime import datetime

from shared.domain.calendar import CALENDAR_VERSION, working_day_deadline
from shared.domain.complaint import Complaint

FIRST_FOLLOW_UP = "first_follow_up"
FIRST_FOLLOW_UP_WORKING_DAYS = 5


def start_first_follow_up(complaint: Complaint, routed_at: datetime) -> None:
    """The agency's first follow-up is due 5 working days after the complaint reached it."""
    due = working_day_deadline(routed_at, FIRST_FOLLOW_UP_WORKING_DAYS)
    complaint.schedule_deadline(FIRST_FOLLOW_UP, due, CALENDAR_VERSION)
