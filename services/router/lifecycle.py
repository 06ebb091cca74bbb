"""The router as each complaint's owner after filing (docs/decisions/0001), without any I/O.

Given a complaint rebuilt from its history and what just arrived (its filing,
or a command), the events to append: routing with its deadlines, a decline
followed by the next routing, a reassignment by hand, every role's action on
the complaint, and what a deadline falling due sets off.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from shared import clock
from shared.contracts.cloudevents import decode
from shared.contracts.commands import (
    Acknowledge,
    Archive,
    Command,
    DeadlinePassed,
    Decline,
    FollowUp,
    Postpone,
    Rate,
    Reassign,
    Reopen,
    Reply,
    RequestInformation,
    Resolve,
    Verify,
)
from shared.domain.complaint import NATIONAL_TRIAGE, Complaint, InvalidTransition
from shared.domain.deadlines import DeadlinePolicy
from shared.domain.model import Aggregate, DomainEvent
from shared.domain.routing import Directory, RoutingDecision

# After this many "bukan wewenang", a person decides: the national triage queue.
MAX_DECLINES = 3
DECISIONS_KEPT = 10_000  # distinct (directory, category, region, hint, declined) remembered

# Directory.decide is pure (the directory never changes once loaded) and costs more than the
# rest of routing a complaint, while complaints repeat the same few facts: remember each
# decision. Keyed by the directory's identity; the entry holds the directory, so the id
# cannot be reused by another while the entry lives.
_decided: dict[
    tuple[int, str, str, str | None, tuple[str, ...]], tuple[Directory, RoutingDecision]
] = {}


def replay(history: Iterable[bytes]) -> Complaint:
    """The complaint as its recorded events (CloudEvent values, in order) leave it."""
    return rebuild(decode(value) for value in history)


def rebuild(events: Iterable[DomainEvent]) -> Complaint:
    """The complaint as these events (decoded, in order) leave it."""
    state: Aggregate | None = None
    for event in events:
        assert isinstance(event, Aggregate.Event)  # every event type is a complaint's
        state = event.mutate(state)
    if not isinstance(state, Complaint):
        raise InvalidTransition("no such complaint (its filing has not been seen)")
    return state


def on_filed(
    complaint: Complaint,
    directory: Directory,
    policy: DeadlinePolicy,
    verification: bool,
    at: datetime,
) -> list[DomainEvent]:
    """Route a new complaint at once, or, where the national admin verifies first
    (`verification`), start the verification clock: at `at`, when the router decides (for a
    round of filings, when it began deciding them: each was filed before)."""
    if verification:
        complaint.await_verification(at, policy)
    else:
        _dispose(complaint, decision_for(complaint, directory), policy, at)
    return complaint.new_events()


def on_command(
    complaint: Complaint, command: Command, directory: Directory, policy: DeadlinePolicy
) -> list[DomainEvent]:
    """The events a command yields; InvalidTransition (nothing recorded) when it may not."""
    now = clock.now()
    action = command.action
    agency_id = getattr(action, "agency_id", None)
    if isinstance(action, Reassign) and agency_id not in directory.agencies:
        raise InvalidTransition(f"unknown agency {agency_id!r}")
    match action:
        case Verify():
            complaint.verify(action.admin)
            _dispose(complaint, decision_for(complaint, directory), policy, now)
        case Reassign():
            complaint.reassign(action.agency_id, action.admin, action.reason, at=now, policy=policy)
        case Postpone():
            complaint.postpone(action.admin, action.reason, now, policy)
        case Archive():
            complaint.archive(action.admin, action.reason)
        case Decline():
            if action.agency_id == NATIONAL_TRIAGE and complaint.agency_id == NATIONAL_TRIAGE:
                raise InvalidTransition("national triage does not decline; it reassigns")
            complaint.decline(action.agency_id, action.reason)
            _dispose(complaint, decision_for(complaint, directory), policy, now)
        case Acknowledge():
            complaint.acknowledge(action.agency_id, action.tier, policy)
        case RequestInformation():
            complaint.request_information(action.agency_id, action.question, now, policy)
        case FollowUp():
            complaint.follow_up(action.agency_id, action.message, now, policy)
        case Resolve():
            complaint.resolve(action.agency_id, action.message, now, policy)
        case Reply():
            complaint.reply(action.message, now)
        case Reopen():
            complaint.reopen(action.reason, now, policy)
        case Rate():
            complaint.rate(action.score, action.comment)
        case DeadlinePassed():
            holder = directory.agencies.get(complaint.agency_id or "")
            complaint.deadline_passed(
                action.stage,
                action.due_at,
                action.warning,
                at=now,
                policy=policy,
                parent_agency=holder.parent if holder else None,
            )
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
    key = (
        id(directory),
        complaint.category,
        complaint.region_code,
        complaint.agency_hint,
        declined,
    )
    known = _decided.get(key)
    if known is not None and known[0] is directory:
        return known[1]
    decision = directory.decide(
        complaint.category, complaint.region_code, complaint.agency_hint, exclude=declined
    )
    if len(_decided) >= DECISIONS_KEPT:
        _decided.clear()
    _decided[key] = (directory, decision)
    return decision


def _dispose(
    complaint: Complaint, decision: RoutingDecision, policy: DeadlinePolicy, at: datetime
) -> None:
    complaint.route(
        decision.agency_id,
        decision.rule_id,
        decision.reason,
        at=at,
        policy=policy,
        copies=decision.copies,
        candidates=decision.candidates,
        hint_used=decision.hint_used,
        hint_reason=decision.hint_reason,
        directory_version=decision.directory_version,
        rules_version=decision.rules_version,
    )


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
