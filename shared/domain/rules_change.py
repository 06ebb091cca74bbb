"""What a new version of the routing rules would change, before it is published.

Each recent complaint is decided twice, as it would be routed on filing (its category, its
region and the reporter's hint, no agency yet declined): by the rules in force and by the
proposed ones. Those the two send to different agencies are the change. Complaints that
share the same facts are decided together: routing reads nothing else.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from shared.domain.routing import Directory, RoutingDecision

LOOKED_BACK = timedelta(days=90)  # the complaints a preview decides again: the last 90 days'


@dataclass(frozen=True)
class Facts:
    """What routing reads of a complaint when it is filed."""

    category: str
    region_code: str
    agency_hint: str | None = None

    def order(self) -> tuple[str, str, str]:
        return self.category, self.region_code, self.agency_hint or ""


@dataclass(frozen=True)
class Change:
    """Complaints with the same facts, and the agency each version of the rules picks."""

    facts: Facts
    complaints: int
    before: RoutingDecision
    after: RoutingDecision


@dataclass(frozen=True)
class Preview:
    considered: int  # complaints decided again
    changes: tuple[Change, ...]  # most complaints first

    @property
    def moved(self) -> int:
        """How many of them would have gone to another agency."""
        return sum(change.complaints for change in self.changes)

    def flows(self) -> list[tuple[str, str, int]]:
        """(from agency, to agency, complaints), most complaints first."""
        counted: dict[tuple[str, str], int] = {}
        for change in self.changes:
            pair = (change.before.agency_id, change.after.agency_id)
            counted[pair] = counted.get(pair, 0) + change.complaints
        return sorted(((a, b, n) for (a, b), n in counted.items()), key=lambda f: (-f[2], f))


def decided(directory: Directory, facts: Facts) -> RoutingDecision:
    return directory.decide(facts.category, facts.region_code, facts.agency_hint)


def preview(complaints: Mapping[Facts, int], in_force: Directory, proposed: Directory) -> Preview:
    """`complaints`: how many recent complaints had each set of facts."""
    changes = []
    for facts, count in complaints.items():
        before, after = decided(in_force, facts), decided(proposed, facts)
        if before.agency_id != after.agency_id:
            changes.append(Change(facts, count, before, after))
    changes.sort(key=lambda change: (-change.complaints, change.facts.order()))
    return Preview(considered=sum(complaints.values()), changes=tuple(changes))


@dataclass(frozen=True)
class Edits:
    """The rules' ids added, removed and changed from one version to the next."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


def edits(in_force: Directory, proposed: Directory) -> Edits:
    before = {rule.id: rule for rule in in_force.rules}
    after = {rule.id: rule for rule in proposed.rules}
    return Edits(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(sorted(i for i in before.keys() & after.keys() if before[i] != after[i])),
    )
