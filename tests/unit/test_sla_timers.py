"""The SLA service's one decision: which deadlines to ask the router about, and when."""

import uuid
from datetime import UTC, datetime, timedelta

from services.sla.timers import Question, mirrored, questions
from shared.domain.complaint import Complaint

ID = uuid.uuid4()
DUE = datetime(2026, 3, 27, 16, 59, 59, tzinfo=UTC)
WARN = DUE - timedelta(days=2)


def event(cls: type, version: int, **fields: object) -> object:
    return cls(originator_id=ID, originator_version=version, timestamp=WARN, **fields)


def scheduled(stage: str = "first_follow_up") -> object:
    return event(
        Complaint.DeadlineScheduled,
        2,
        stage=stage,
        started_at=WARN - timedelta(days=5),
        due_at=DUE,
        warn_at=WARN,
        in_working_days=True,
        calendar="test",
    )


def test_the_table_mirrors_what_the_log_says_of_each_deadline() -> None:
    open_ = mirrored({}, scheduled())
    assert open_ == {
        "first_follow_up": {"due": DUE.isoformat(), "warn": WARN.isoformat(), "warned": False}
    }
    warned = mirrored(
        open_, event(Complaint.DeadlineWarned, 3, stage="first_follow_up", due_at=DUE)
    )
    assert warned is not None and warned["first_follow_up"]["warned"] is True
    stopped = event(Complaint.DeadlineStopped, 4, stage="first_follow_up", why="met")
    assert mirrored(warned, stopped) == {}
    breached = event(Complaint.DeadlineBreached, 4, stage="first_follow_up", due_at=DUE)
    assert mirrored(warned, breached) == {}
    assert mirrored(open_, event(Complaint.Declined, 3, agency_id="a", reason="r")) is None


def test_nothing_is_asked_before_the_warning_time() -> None:
    open_ = mirrored({}, scheduled())
    assert open_ is not None
    assert questions(str(ID), open_, WARN - timedelta(seconds=1)) == []


def test_the_warning_is_asked_once_warned_it_is_not_asked_again() -> None:
    open_ = mirrored({}, scheduled())
    assert open_ is not None
    assert questions(str(ID), open_, WARN) == [Question(str(ID), "first_follow_up", DUE, True)]
    warned = mirrored(
        open_, event(Complaint.DeadlineWarned, 3, stage="first_follow_up", due_at=DUE)
    )
    assert warned is not None
    assert questions(str(ID), warned, WARN + timedelta(hours=1)) == []


def test_a_deadline_that_passed_while_nobody_looked_is_asked_as_a_breach() -> None:
    # A service down through the warning and the deadline asks for the breach at once.
    open_ = mirrored({}, scheduled())
    assert open_ is not None
    late = DUE + timedelta(days=3)
    assert questions(str(ID), open_, late) == [Question(str(ID), "first_follow_up", DUE, False)]
