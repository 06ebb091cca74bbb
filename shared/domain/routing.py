"""No wrong door: which agency must act on a complaint.

The agency directory and the routing rules are versioned data (shared/data/),
so a decision names the rule and version that made it.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

NATIONAL_TRIAGE = "national-triage"


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    level: str
    parent: str | None
    region_code: str | None


@dataclass(frozen=True)
class RoutingRule:
    id: str
    category: str
    region_prefix: str | None
    agency: str

    def matches(self, category: str, region_code: str) -> bool:
        if self.category != category:
            return False
        return self.region_prefix is None or _within(region_code, self.region_prefix)


@dataclass(frozen=True)
class RoutingDecision:
    agency_id: str
    rule_id: str
    reason: str


@dataclass(frozen=True)
class Directory:
    version: int
    agencies: dict[str, Agency]
    rules_version: int
    rules: tuple[RoutingRule, ...]

    def decide(self, category: str, region_code: str) -> RoutingDecision:
        """The most specific matching rule wins; no match goes to national triage, never nowhere."""
        matching = [r for r in self.rules if r.matches(category, region_code)]
        if not matching:
            return RoutingDecision(
                NATIONAL_TRIAGE,
                "triage",
                f"no rule v{self.rules_version} covers category {category!r} in region {region_code}",
            )
        rule = max(matching, key=lambda r: len(r.region_prefix or ""))
        return RoutingDecision(
            rule.agency,
            f"{rule.id}@v{self.rules_version}",
            f"rule {rule.id} (v{self.rules_version})",
        )


def _within(region_code: str, prefix: str) -> bool:
    return region_code == prefix or region_code.startswith(prefix + ".")


@lru_cache
def default_directory() -> Directory:
    data = resources.files("shared.data")
    agencies = json.loads((data / "agencies.json").read_text())
    rules = json.loads((data / "routing_rules.json").read_text())
    return Directory(
        version=agencies["version"],
        agencies={a["id"]: Agency(**a) for a in agencies["agencies"]},
        rules_version=rules["version"],
        rules=tuple(RoutingRule(**r) for r in rules["rules"]),
    )
