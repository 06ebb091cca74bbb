"""Intake and the notifier name agencies from the directory the router routes by."""

import copy
from datetime import UTC, datetime

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.directory import DirectoryInForce
from shared.contracts.routing import RoutingPublished
from shared.domain.routing import Directory, bundled_documents, default_directory

NEW_AGENCY = "pemkab-pulau-baru"


def published_with_a_new_agency() -> RoutingPublished:
    agencies, rules = copy.deepcopy(bundled_documents())
    agencies["version"] = int(agencies["version"]) + 1
    template = next(a for a in agencies["agencies"] if a["id"] == "pemkab-oku-timur")
    agencies["agencies"].append(
        {**template, "id": NEW_AGENCY, "name": "Pemerintah Kabupaten Pulau Baru"}
        | {"topic": f"complaints.routed.{NEW_AGENCY}", "region_code": None}
    )
    return RoutingPublished(
        published_at=datetime(2026, 12, 1, tzinfo=UTC),
        published_by="release",
        agencies=agencies,
        rules=rules,
    )


def test_before_anything_is_read_it_is_the_bundled_directory_the_router_publishes_first() -> None:
    in_force = DirectoryInForce(KafkaConnection(bootstrap_servers="127.0.0.1:1"))
    assert in_force.current.agencies.keys() == default_directory().agencies.keys()


def test_the_newest_published_version_wins_with_the_overlay_laid_over_it() -> None:
    overlaid: list[Directory] = []

    def overlay(directory: Directory) -> Directory:
        overlaid.append(directory)
        return directory

    in_force = DirectoryInForce(KafkaConnection(bootstrap_servers="127.0.0.1:1"), overlay)
    assert NEW_AGENCY not in in_force.current.agencies
    in_force._feed.add(published_with_a_new_agency())  # what follow() reads from the topic
    assert NEW_AGENCY in in_force.current.agencies
    assert NEW_AGENCY in in_force.current.agencies
    assert [NEW_AGENCY in d.agencies for d in overlaid] == [False, True]  # once per version
