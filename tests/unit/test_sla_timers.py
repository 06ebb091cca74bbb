"""The SLA service's one decision: which deadlines to ask the router about, and when."""

import sys
import uuid
from datetime import UTC, datetime, timedelta

from services.sla.timers import (
    SLACK,
    DueIndex,
    OpenClock,
    Question,
    came_due,
    mirrored,
    next_moment,
    opened,
    questions,
)
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
    open_ = mirrored("", scheduled())
    assert open_ is not None
    assert opened(open_) == {"first_follow_up": OpenClock(DUE, WARN, warned=False)}
    warned = mirrored(
        open_, event(Complaint.DeadlineWarned, 3, stage="first_follow_up", due_at=DUE)
    )
    assert warned is not None and opened(warned)["first_follow_up"].warned is True
    stopped = event(Complaint.DeadlineStopped, 4, stage="first_follow_up", why="met")
    assert mirrored(warned, stopped) == ""
    breached = event(Complaint.DeadlineBreached, 4, stage="first_follow_up", due_at=DUE)
    assert mirrored(warned, breached) == ""
    assert mirrored(open_, event(Complaint.Declined, 3, agency_id="a", reason="r")) is None


def test_a_due_time_keeps_its_microseconds_so_the_router_recognises_the_question() -> None:
    exact = DUE + timedelta(microseconds=123457)
    value = mirrored(
        "",
        event(
            Complaint.DeadlineScheduled,
            2,
            stage="completion",
            started_at=WARN,
            due_at=exact,
            warn_at=WARN,
            in_working_days=False,
            calendar="test",
        ),
    )
    assert value is not None
    assert questions(str(ID), value, exact) == [Question(str(ID), "completion", exact, False)]


def test_the_tables_of_older_releases_are_read_as_they_are() -> None:
    older = {"first_follow_up": {"due": DUE.isoformat(), "warn": WARN.isoformat(), "warned": True}}
    assert opened(older) == {"first_follow_up": OpenClock(DUE, WARN, warned=True)}
    stopped = event(Complaint.DeadlineStopped, 4, stage="first_follow_up", why="met")
    assert mirrored(older, stopped) == ""


def test_an_open_deadline_is_held_in_a_few_dozen_bytes() -> None:
    # Two clocks, as a routing starts them: one short string, not nested dicts of ISO texts.
    value = mirrored("", scheduled("first_follow_up"))
    value = mirrored(value or "", scheduled("completion"))
    assert value is not None
    assert sys.getsizeof(value) / 2 < 100


def test_the_next_moment_is_the_earliest_warning_or_due_time_still_to_ask() -> None:
    open_ = mirrored("", scheduled())
    assert open_ is not None
    assert next_moment(open_) == WARN
    warned = mirrored(
        open_, event(Complaint.DeadlineWarned, 3, stage="first_follow_up", due_at=DUE)
    )
    assert warned is not None and next_moment(warned) == DUE
    assert next_moment("") is None


def test_the_index_gives_what_came_due_and_leaves_the_rest() -> None:
    index = DueIndex()
    later = [f"later-{n}" for n in range(1000)]
    for key in later:
        index.remind(key, DUE + timedelta(days=30))
    index.remind("soon", WARN)
    index.remind("sooner", WARN - timedelta(hours=1))
    assert index.due(WARN - timedelta(hours=2)) == []
    assert index.due(WARN) == [("sooner", WARN - timedelta(hours=1)), ("soon", WARN)]
    assert index.due(WARN) == []  # taken out: a reminder is given once
    assert len(index) == 1000
    index.rebuild({"only": DUE, "closed": None})
    assert index.due(DUE + timedelta(days=60)) == [("only", DUE)]


def test_the_index_is_outgrown_once_stale_reminders_are_most_of_it() -> None:
    index = DueIndex()
    for n in range(2 * 10 + SLACK):
        index.remind(f"complaint-{n % 10}", DUE + timedelta(minutes=n))  # 10 open, re-reminded
    assert not index.outgrown(10)
    index.remind("complaint-0", DUE)
    assert index.outgrown(10)
    index.rebuild({f"complaint-{n}": DUE for n in range(10)})
    assert len(index) == 10 and not index.outgrown(10)


def test_nothing_is_asked_before_the_warning_time() -> None:
    open_ = mirrored("", scheduled())
    assert open_ is not None
    assert questions(str(ID), open_, WARN - timedelta(seconds=1)) == []


def test_the_warning_is_asked_once_warned_it_is_not_asked_again() -> None:
    open_ = mirrored("", scheduled())
    assert open_ is not None
    assert questions(str(ID), open_, WARN) == [Question(str(ID), "first_follow_up", DUE, True)]
    warned = mirrored(
        open_, event(Complaint.DeadlineWarned, 3, stage="first_follow_up", due_at=DUE)
    )
    assert warned is not None
    assert questions(str(ID), warned, WARN + timedelta(hours=1)) == []


def test_a_deadline_that_passed_while_nobody_looked_is_asked_as_a_breach() -> None:
    # A service down through the warning and the deadline asks for the breach at once.
    open_ = mirrored("", scheduled())
    assert open_ is not None
    late = DUE + timedelta(days=3)
    assert questions(str(ID), open_, late) == [Question(str(ID), "first_follow_up", DUE, False)]


def test_a_check_asks_what_came_due_and_nothing_a_later_event_made_stale() -> None:
    open_ = mirrored("", scheduled())
    assert open_ is not None
    warned = mirrored(
        open_, event(Complaint.DeadlineWarned, 3, stage="first_follow_up", due_at=DUE)
    )
    assert warned is not None
    table = {"due": open_, "warned-meanwhile": warned, "closed-meanwhile": ""}
    index = DueIndex()
    for key in table:
        index.remind(key, WARN)  # each was reminded when its deadline opened
    assert came_due(index, table, WARN) == {
        "due": [Question("due", "first_follow_up", DUE, warning=True)]
    }
