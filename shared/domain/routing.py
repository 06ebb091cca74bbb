"""No wrong door: which agency must act on a complaint.

The agency directory and the routing rules are versioned data (shared/data/),
so a decision names the rule and version that made it.

A rule covers one category, optionally only inside a region (`region_prefix`), and
names its primary agency either outright (`agency`) or as a government level of the
complaint's own region (`government`: `province`, or `regency_or_city` for the
kabupaten/kota), so one rule serves all 514 kabupaten/kota. Among the rules that
match, the highest `precedence` wins, then the most specific region; two rules of one
category with the same precedence and region are refused when the directory loads,
so a decision never hangs on the order of the file. A rule may send copies
(tembusan) to secondary agencies.

The citizen's agency hint is used only when that agency is competent: some rule of
the category could route this complaint to it (its agency, or the government at the
rule's level whose region holds the complaint's region or lies inside it).
"""

import json
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from shared.domain.complaint import NATIONAL_TRIAGE

LEVELS = ("national", "ministry", "lembaga", "state_company", "province", "regency", "city")
# A rule's government level -> the agency levels that can fill it.
GOVERNMENTS = {"province": ("province",), "regency_or_city": ("regency", "city")}


@dataclass(frozen=True)
class Liaison:
    """The office an agency's complaints officer (pejabat penghubung) answers at; unset until
    the agency confirms it (shared/data/liaisons.json). The notifier e-mails `email` in
    `language` and posts signed webhooks to `webhook_url` (unset: the platform's default
    endpoint); the signing secret is never here (PINTU_WEBHOOK_SECRETS)."""

    unit: str | None = None
    email: str | None = None
    phone: str | None = None
    webhook_url: str | None = None
    language: str | None = None  # "id" (unset) or "en"

    def __post_init__(self) -> None:
        if self.language not in (None, "id", "en"):
            raise ValueError(f"a liaison writes in 'id' or 'en', not {self.language!r}")
        if self.webhook_url is not None and not self.webhook_url.startswith(
            ("https://", "http://")
        ):
            raise ValueError(f"a webhook_url is an http(s) URL, not {self.webhook_url!r}")


LIAISON_FIELDS = tuple(f.name for f in fields(Liaison))


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    level: str
    parent: str | None
    region_code: str | None
    topic: str = ""
    liaison: Liaison = field(default_factory=Liaison)


@dataclass(frozen=True)
class Target:
    """One agency by id, or the government at a level of the complaint's region."""

    agency: str | None = None
    government: str | None = None

    def __post_init__(self) -> None:
        if (self.agency is None) == (self.government is None):
            raise ValueError("a target names either an agency or a government level")
        if self.government is not None and self.government not in GOVERNMENTS:
            raise ValueError(f"unknown government level {self.government!r}")

    def __str__(self) -> str:
        return self.agency or f"the {self.government} government of the region"


@dataclass(frozen=True)
class RoutingRule:
    id: str
    category: str
    region_prefix: str | None = None
    agency: str | None = None
    government: str | None = None
    precedence: int = 0
    copies: tuple[Target, ...] = ()

    def __post_init__(self) -> None:
        Target(self.agency, self.government)  # exactly one of them, and a known level

    @property
    def target(self) -> Target:
        return Target(self.agency, self.government)

    @property
    def specificity(self) -> int:
        return 0 if self.region_prefix is None else len(self.region_prefix.split("."))

    def matches(self, category: str, region_code: str) -> bool:
        if self.category != category:
            return False
        return self.region_prefix is None or _within(region_code, self.region_prefix)

    def touches(self, region_code: str) -> bool:
        """Whether the rule's region and `region_code` overlap (either holds the other)."""
        prefix = self.region_prefix
        return prefix is None or _within(region_code, prefix) or _within(prefix, region_code)


@dataclass(frozen=True)
class RoutingDecision:
    agency_id: str
    rule_id: str
    reason: str
    copies: tuple[str, ...] = ()  # tembusan, never the primary agency
    candidates: tuple[str, ...] = ()  # what the matching rules resolve to, best first
    hint_used: bool = False
    hint_reason: str | None = None  # why the citizen's hint was or was not followed
    directory_version: int | None = None  # the versions that decided: a replay uses the same
    rules_version: int | None = None


@dataclass(frozen=True)
class Directory:
    version: int
    agencies: dict[str, Agency]
    rules_version: int
    rules: tuple[RoutingRule, ...]

    def __post_init__(self) -> None:
        seen: dict[tuple[str, int, str | None], str] = {}
        for rule in self.rules:
            key = (rule.category, rule.precedence, rule.region_prefix)
            if key in seen:
                raise ValueError(
                    f"rules {seen[key]} and {rule.id} tie: same category, precedence and region"
                )
            seen[key] = rule.id

    @cached_property
    def _by_region(self) -> dict[str, Agency]:
        return {a.region_code: a for a in self.agencies.values() if a.region_code is not None}

    def government(self, level: str, region_code: str) -> str | None:
        """The province (`province`) or kabupaten/kota (`regency_or_city`) government whose region
        holds `region_code`; None when the code does not reach that level or no agency has it."""
        segments = 1 if level == "province" else 2
        parts = region_code.split(".")
        if len(parts) < segments:
            return None
        agency = self._by_region.get(".".join(parts[:segments]))
        return agency.id if agency is not None and agency.level in GOVERNMENTS[level] else None

    def resolve(self, target: Target, region_code: str) -> str | None:
        if target.agency is not None:
            return target.agency
        assert target.government is not None
        return self.government(target.government, region_code)

    def _ranked(self, rules: list[RoutingRule]) -> list[RoutingRule]:
        order = {rule.id: n for n, rule in enumerate(self.rules)}
        return sorted(rules, key=lambda r: (-r.precedence, -r.specificity, order[r.id]))

    def _could_route(self, rule: RoutingRule, agency: Agency, region_code: str) -> bool:
        """Whether `rule` could send a complaint of `region_code` to `agency`: the competence a
        hint needs. A government qualifies when its region and the complaint's overlap, so a
        complaint located only to its province may name the kabupaten it is about."""
        if not rule.touches(region_code):
            return False
        if rule.agency is not None:
            return rule.agency == agency.id
        assert rule.government is not None
        home = agency.region_code
        return (
            agency.level in GOVERNMENTS[rule.government]
            and home is not None
            and (_within(home, region_code) or _within(region_code, home))
            and (rule.region_prefix is None or _within(home, rule.region_prefix))
        )

    def _rule_ref(self, rule: RoutingRule) -> str:
        return f"rule {rule.id} (v{self.rules_version})"

    def decide(
        self,
        category: str,
        region_code: str,
        hint: str | None = None,
        exclude: Collection[str] = (),
    ) -> RoutingDecision:
        """The one primary agency, its copies and why; no rule goes to national triage.

        `exclude`: agencies that declined the complaint (bukan wewenang), never chosen again.
        """
        ranked = self._ranked([r for r in self.rules if r.matches(category, region_code)])
        resolved = [(r, a) for r in ranked if (a := self.resolve(r.target, region_code))]
        declined = [a for _, a in resolved if a in exclude]
        resolved = [(r, a) for r, a in resolved if a not in exclude]
        candidates = tuple(dict.fromkeys(agency for _, agency in resolved))
        chosen = resolved[0] if resolved else None

        hint_used, hint_reason = False, None
        if hint and hint in exclude:
            hint_reason = f"{hint} already declined this complaint"
        elif hint:  # an empty hint is no hint
            hinted = self.agencies.get(hint)
            competent = self._ranked(
                [
                    r
                    for r in self.rules
                    if hinted is not None
                    and r.category == category
                    and self._could_route(r, hinted, region_code)
                ]
            )
            if hinted is None:
                hint_reason = f"{hint!r} is not an agency of directory v{self.version}"
            elif not competent:
                hint_reason = (
                    f"{hint} is not competent: no rule v{self.rules_version} routes "
                    f"{category!r} in {region_code} to it"
                )
            else:
                hint_used = True
                hint_reason = f"{hint} is competent by {self._rule_ref(competent[0])}"
                if chosen is not None and chosen[1] == hint:
                    hint_reason += ", the rules' first choice too"
                chosen = (competent[0], hint)
                candidates = tuple(dict.fromkeys((*candidates, hint)))

        if chosen is None:
            reason = f"no rule v{self.rules_version} covers category {category!r} in region {region_code}"
            if declined:
                reason = f"every agency the rules v{self.rules_version} name declined it ({', '.join(dict.fromkeys(declined))})"
            if hint_reason is not None:
                reason += f"; hint: {hint_reason}"
            return RoutingDecision(
                NATIONAL_TRIAGE,
                "triage",
                reason,
                hint_used=False,
                hint_reason=hint_reason,
                directory_version=self.version,
                rules_version=self.rules_version,
            )

        rule, agency = chosen
        copies = tuple(
            dict.fromkeys(
                copy
                for target in rule.copies
                if (copy := self.resolve(target, region_code)) is not None and copy != agency
            )
        )
        reason = self._rule_ref(rule)
        if hint_reason is not None:
            reason += f"; hint: {hint_reason}"
        if copies:
            reason += f"; tembusan: {', '.join(copies)}"
        return RoutingDecision(
            agency,
            f"{rule.id}@v{self.rules_version}",
            reason,
            copies=copies,
            candidates=candidates,
            hint_used=hint_used,
            hint_reason=hint_reason,
            directory_version=self.version,
            rules_version=self.rules_version,
        )


def _within(region_code: str, prefix: str) -> bool:
    return region_code == prefix or region_code.startswith(prefix + ".")


def _agency(data: dict[str, Any]) -> Agency:
    liaison = Liaison(**(data.get("liaison") or {}))
    return Agency(**{**data, "liaison": liaison})


def with_liaisons(directory: Directory, liaisons: dict[str, Any]) -> Directory:
    """`directory` with the contacts of a liaisons document (shared/data/liaisons.json's
    shape) over its own; ValueError, saying which, for an unknown agency or field."""
    agencies = dict(directory.agencies)
    for agency_id, contact in liaisons.get("liaisons", {}).items():
        if agency_id not in agencies:
            raise ValueError(f"liaisons name no agency of the directory: {agency_id!r}")
        if not isinstance(contact, dict):
            raise ValueError(f"liaisons {agency_id}: an object of {', '.join(LIAISON_FIELDS)}")
        unknown = set(contact) - set(LIAISON_FIELDS)
        if unknown:
            raise ValueError(f"liaisons {agency_id}: unknown fields {sorted(unknown)}")
        agency = agencies[agency_id]
        agencies[agency_id] = replace(agency, liaison=replace(agency.liaison, **contact))
    return replace(directory, agencies=agencies)


def _rule(data: dict[str, Any]) -> RoutingRule:
    copies = tuple(Target(**c) for c in data.get("copies", ()))
    return RoutingRule(**{**data, "copies": copies})


def directory_from(agencies: dict[str, Any], rules: dict[str, Any]) -> Directory:
    """A directory from its two documents (the shapes of shared/data/agencies.json and
    routing_rules.json); ValueError, saying what, when they do not fit together."""
    directory = Directory(
        version=int(agencies["version"]),
        agencies={a["id"]: _agency(a) for a in agencies["agencies"]},
        rules_version=int(rules["version"]),
        rules=tuple(_rule(r) for r in rules["rules"]),
    )
    for rule in directory.rules:
        for target in (rule.target, *rule.copies):
            if target.agency is not None and target.agency not in directory.agencies:
                raise ValueError(f"rule {rule.id} names {target.agency}, not in the directory")
    return directory


def bundled_documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """The directory and rules shipped with this release: the first ones ever published."""
    data = resources.files("shared.data")
    agencies = json.loads((data / "agencies.json").read_text())
    rules = json.loads((data / "routing_rules.json").read_text())
    return agencies, rules


@lru_cache
def default_directory() -> Directory:
    return directory_from(*bundled_documents())
