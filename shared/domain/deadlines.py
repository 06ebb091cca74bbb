"""The follow-up deadlines of the handbook's table (tenggat), as pure date arithmetic.

Each stage is counted from the step that starts it, in working days (hari kerja) or,
for a field inspection, in calendar days. The numbers are a deployment's to set
(shared/config.py: PINTU_SLA__*); these defaults are SP4N-LAPOR!'s.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.domain.calendar import WIB, working_day_deadline, working_days_between

# Stages, named as they appear on the log (their names for people: shared/wording).
VERIFICATION = "verification"  # the national admin verifies and routes (when verification applies)
TRIAGE = "triage"  # a person in national triage routes it (no rule, or declined too often)
FIRST_FOLLOW_UP = "first_follow_up"  # the agency's first tindak lanjut
COMPLETION = "completion"  # the agency finishes, by tier
ESCALATION = "escalation"  # the parent agency's turn after a breach, before the national admin
REPORTER_INFO = "reporter_info"  # tunda: the reporter's answer to a question
REPLY_WINDOW = "reply_window"  # the reporter may reply or reopen; unanswered, it closes

# Breaches of these escalate up the agency hierarchy: parent agency, then national admin.
AGENCY_STAGES = (FIRST_FOLLOW_UP, COMPLETION)


class Tier(StrEnum):
    """How much work completion takes, which sets its deadline."""

    SIMPLE = "sederhana"  # information request or simple: 5 WD
    STANDARD = "tanpa_peninjauan_lapangan"  # no field check: 14 WD
    FIELD_INSPECTION = "peninjauan_lapangan"  # field inspection: 60 calendar days


@dataclass(frozen=True)
class DeadlinePolicy:
    verification_working_days: int = 3
    triage_working_days: int = 3
    first_follow_up_working_days: int = 5
    simple_working_days: int = 5
    standard_working_days: int = 14
    field_inspection_days: int = 60
    escalation_working_days: int = 3
    reporter_info_working_days: int = 10
    reply_window_working_days: int = 10
    warn_at: float = 0.75  # share of the time after which a warning goes out
    archive_when_reporter_silent: bool = True  # tunda unanswered: archive, or only record it

    def __post_init__(self) -> None:
        if not 0 < self.warn_at < 1:
            raise ValueError("warn_at is the share of a deadline's time: between 0 and 1")


STANDARD_POLICY = DeadlinePolicy()  # SP4N-LAPOR!'s, as in the handbook


@dataclass(frozen=True)
class Due:
    started_at: datetime  # when the stage's clock started
    due_at: datetime
    warn_at: datetime
    in_working_days: bool  # False: calendar days (a pause shifts it by elapsed days)


def due(policy: DeadlinePolicy, stage: str, start: datetime, tier: Tier | None = None) -> Due:
    """When `stage`, started at `start`, falls due, and when to warn before it."""
    if stage == COMPLETION and tier is Tier.FIELD_INSPECTION:
        end = start.astimezone(WIB) + timedelta(days=policy.field_inspection_days)
        end = end.replace(hour=23, minute=59, second=59, microsecond=0)
        return _with_warning(policy, start, end, in_working_days=False)
    if stage == COMPLETION:
        days = policy.simple_working_days if tier is Tier.SIMPLE else policy.standard_working_days
    else:  # every other stage has its `<stage>_working_days`
        days = getattr(policy, f"{stage}_working_days")
    return _with_warning(policy, start, working_day_deadline(start, days), in_working_days=True)


def resumed(deadline: Due, paused_at: datetime, resumed_at: datetime) -> Due:
    """The deadline moved on by the time its clock was paused (tunda)."""
    if deadline.in_working_days:
        shift = working_days_between(paused_at, resumed_at)
        if shift == 0:
            return deadline
        return Due(
            deadline.started_at,
            working_day_deadline(deadline.due_at, shift),
            _shift_working(deadline.warn_at, shift),
            in_working_days=True,
        )
    elapsed = resumed_at - paused_at
    return Due(
        deadline.started_at,
        deadline.due_at + elapsed,
        deadline.warn_at + elapsed,
        in_working_days=False,
    )


def _with_warning(
    policy: DeadlinePolicy, start: datetime, end: datetime, *, in_working_days: bool
) -> Due:
    return Due(start, end, start + (end - start) * policy.warn_at, in_working_days)


def _shift_working(moment: datetime, working_days: int) -> datetime:
    # Same time of day, `working_days` working days later.
    local = moment.astimezone(WIB)
    day_end = working_day_deadline(local, working_days)
    return day_end.replace(hour=local.hour, minute=local.minute, second=local.second)
