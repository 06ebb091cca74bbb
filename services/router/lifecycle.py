"""The router as each complaint's owner after filing (docs/decisions/0001), without any I/O.

Given a complaint rebuilt from its history and what just arrived (its filing,
or a command), the events to append: routing with its first deadline, a
decline followed by the next routing, a reassignment by hand.
"""

from collections.abc import Callable, Iterable

from shared import clock
from shared.contracts.cloudevents import decode
from shared.contracts.commands import Command, Decline, Reassign
from shared.domain.complaint import Complaint, InvalidTransition
from shared.domain.deadlines import start_first_follow_up
from shared.domain.model import Aggregate, DomainEvent
from shared.domain.routing import NATIONAL_TRIAGE, Directory, RoutingDecision

# After this many "bukan wewenang", a person decides: the national triage queue.
MAX_DECLINES = 3


def replay(history: Iterable[bytes]) -> Complaint:
    """The complaint as its recorded events (CloudEvent values, in order) leave it."""
    state: Aggregate | None = None
    for value in history:
        event = decode(value)
        assert isinstance(event, Aggregate.Event)  # every event type is a complaint's
        state = event.mutate(state)
    if not isinstance(state, Complaint):
        raise InvalidTransition("no such complaint (its filing has not been seen)")
    return state


def on_filed(complaint: Complaint, directory: Directory) -> list[DomainEvent]:
    _dispose(complaint, decision_for(complaint, directory))
    return complaint.new_events()


def on_command(complaint: Complaint, command: Command, directory: Directory) -> list[DomainEvent]:
    """The events a command yields; InvalidTransition (nothing recorded) when it may not."""
    action = command.action
    if action.agency_id not in directory.agencies:
        raise InvalidTransition(f"unknown agency {action.agency_id!r}")
    match action:
        case Decline():
            if action.agency_id == NATIONAL_TRIAGE:
                raise InvalidTransition("national triage does not decline; it reassigns")
            complaint.decline(action.agency_id, action.reason)
            _dispose(complaint, decision_for(complaint, directory))
        case Reassign():
            complaint.reassign(action.agency_id, action.admin, action.reason)
            start_first_follow_up(complaint, clock.now())
    return complaint.new_events()


def decision_for(complaint: Complaint, directory: Directory) -> RoutingDecision:
    """The rules' decision (the hint where competent), never an agency that declined;
    national triage after MAX_DECLINES."""
    declined = complaint.declined_by
    if len(declined) >= MAX_DECLINES:
        return RoutingDecision(
            NATIONAL_TRIAGE,
            "triage",
            f"declined by {len(declined)} agencies ({', '.join(declined)}): a person decides",
            directory_version=directory.version,
            rules_version=directory.rules_version,
        )
    return directory.decide(
        complaint.category, complaint.region_code, complaint.agency_hint, exclude=declined
    )


def _dispose(complaint: Complaint, decision: RoutingDecision) -> None:
    complaint.route(
        decision.agency_id,
        decision.rule_id,
        decision.reason,
        copies=decision.copies,
        candidates=decision.candidates,
        hint_used=decision.hint_used,
        hint_reason=decision.hint_reason,
        directory_version=decision.directory_version,
        rules_version=decision.rules_version,
    )
    start_first_follow_up(complaint, clock.now())


def reproduce(
    history: Iterable[bytes], versions: Callable[[int, int], Directory | None]
) -> list[str]:
    """Re-decide every ComplaintRouted of a complaint with the directory and rules it names
    (`versions` looks them up, e.g. RoutingFeed.version). What differs is returned; an
    auditor expects nothing. Reassignments by hand are people's decisions, not re-decided."""
    differences = []
    state: Aggregate | None = None
    for value in history:
        event = decode(value)
        assert isinstance(event, Aggregate.Event)
        if isinstance(event, Complaint.Routed) and event.rule_id != "manual":
            assert isinstance(state, Complaint)
            where = f"{event.originator_id} #{event.originator_version}"
            directory = None
            if event.directory_version is not None and event.rules_version is not None:
                directory = versions(event.directory_version, event.rules_version)
            if directory is None:
                differences.append(f"{where}: directory and rules it names are not published")
            else:
                again = decision_for(state, directory)
                if (again.agency_id, again.rule_id) != (event.agency_id, event.rule_id):
                    differences.append(
                        f"{where}: recorded {event.agency_id} by {event.rule_id}, "
                        f"re-decided {again.agency_id} by {again.rule_id}"
                    )
        state = event.mutate(state)
    return differences
