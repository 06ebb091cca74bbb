import pytest

from shared.domain.routing import NATIONAL_TRIAGE, Directory, RoutingRule, default_directory


@pytest.mark.parametrize(
    ("category", "region", "agency"),
    [
        ("jalan-nasional", "16.08", "kemen-pu"),  # ministry
        ("jaminan-kesehatan", "32.73", "bpjs-kesehatan"),  # lembaga
        ("jalan-provinsi", "16.08", "pemprov-sumatera-selatan"),  # province, from a district code
        ("pendidikan-menengah", "32.04", "pemprov-jawa-barat"),  # province
        ("jalan-daerah", "16.08", "pemkab-oku-timur"),  # kabupaten
        ("jalan-daerah", "16.08.01.2001", "pemkab-oku-timur"),  # a village inside it
        ("jalan-daerah", "32.73", "pemkot-bandung"),  # kota
    ],
)
def test_complaints_go_to_the_competent_agency_at_every_level(
    category: str, region: str, agency: str
) -> None:
    decision = default_directory().decide(category, region)
    assert decision.agency_id == agency
    assert decision.rule_id.endswith("@v1")


@pytest.mark.parametrize(
    ("category", "region"), [("penerangan-jalan", "11.01"), ("jalan-daerah", "16.81")]
)
def test_no_matching_rule_goes_to_national_triage_never_nowhere(category: str, region: str) -> None:
    decision = default_directory().decide(category, region)
    assert decision.agency_id == NATIONAL_TRIAGE
    assert region in decision.reason


def test_a_region_prefix_matches_whole_segments_only() -> None:
    # 16.81 is not inside 16.8 (and 16.08 is not inside 16.0).
    rule = RoutingRule("r", "c", "16.0", "a")
    assert not rule.matches("c", "16.08")
    assert rule.matches("c", "16.0.1")


def test_the_most_specific_region_wins() -> None:
    directory = Directory(
        version=1,
        agencies={},
        rules_version=7,
        rules=(
            RoutingRule("province", "c", "16", "prov"),
            RoutingRule("district", "c", "16.08", "kab"),
        ),
    )
    assert directory.decide("c", "16.08").agency_id == "kab"
    assert directory.decide("c", "16.01").agency_id == "prov"
    assert directory.decide("c", "16.08").rule_id == "district@v7"


def test_every_rule_names_an_agency_of_the_directory() -> None:
    directory = default_directory()
    for rule in directory.rules:
        assert rule.agency in directory.agencies
    for agency in directory.agencies.values():
        assert agency.parent is None or agency.parent in directory.agencies
