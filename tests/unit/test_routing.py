import pytest

from shared.domain.routing import (
    NATIONAL_TRIAGE,
    Agency,
    Directory,
    RoutingRule,
    Target,
    default_directory,
)


@pytest.mark.parametrize(
    ("category", "region", "agency"),
    [
        ("jalan-nasional", "16.08", "kemen-pu"),  # ministry
        ("jaminan-kesehatan", "32.73", "bpjs-kesehatan"),  # lembaga
        ("listrik", "91.01", "pln"),  # state company
        ("jalan-provinsi", "16.08", "pemprov-sumatera-selatan"),  # province, from a district code
        ("pendidikan-menengah", "32.04", "pemprov-jawa-barat"),  # province
        ("jalan-daerah", "16.08", "pemkab-oku-timur"),  # kabupaten
        ("jalan-daerah", "16.08.01.2001", "pemkab-oku-timur"),  # a village inside it
        ("jalan-daerah", "32.73", "pemkot-bandung"),  # kota
        ("kependudukan", "96.01", "pemkab-sorong"),  # any of the 514, by one rule
    ],
)
def test_complaints_go_to_the_competent_agency_at_every_level(
    category: str, region: str, agency: str
) -> None:
    decision = default_directory().decide(category, region)
    assert decision.agency_id == agency
    assert decision.rule_id.endswith(f"@v{default_directory().rules_version}")
    assert decision.candidates[0] == agency
    assert not decision.hint_used and decision.hint_reason is None


def test_one_government_level_rule_covers_every_kabupaten_and_kota() -> None:
    directory = default_directory()
    districts = [a for a in directory.agencies.values() if a.level in ("regency", "city")]
    assert len(districts) > 500
    for agency in districts:
        assert agency.region_code is not None
        decision = directory.decide("pendidikan-dasar", agency.region_code + ".01")
        assert (decision.agency_id, decision.rule_id) == (agency.id, "pendidikan-dasar@v2")


@pytest.mark.parametrize(
    ("category", "region"),
    [
        ("penerangan-jalan", "11.01"),  # no rule for the category
        ("lainnya", "91.01"),
        ("jalan-daerah", "16.81"),  # no such kabupaten/kota: the level finds no government
        ("jalan-daerah", "16"),  # located only to its province: which kabupaten is unknown
    ],
)
def test_no_matching_rule_goes_to_national_triage_never_nowhere(category: str, region: str) -> None:
    decision = default_directory().decide(category, region)
    assert decision.agency_id == NATIONAL_TRIAGE
    assert decision.rule_id == "triage"
    assert region in decision.reason
    assert decision.candidates == () and decision.copies == ()


def test_a_region_prefix_matches_whole_segments_only() -> None:
    # 16.81 is not inside 16.8 (and 16.08 is not inside 16.0).
    rule = RoutingRule("r", "c", "16.0", "a")
    assert not rule.matches("c", "16.08")
    assert rule.matches("c", "16.0.1")


def directory_of(*rules: RoutingRule) -> Directory:
    agencies = [
        Agency("national-triage", "Admin", "national", None, None),
        Agency("prov", "Provinsi", "province", "national-triage", "16"),
        Agency("kab", "Kabupaten", "regency", "prov", "16.08"),
        Agency("kota", "Kota", "city", "prov", "16.71"),
        Agency("prov-2", "Provinsi lain", "province", "national-triage", "32"),
        Agency("kab-2", "Kabupaten lain", "regency", "prov-2", "32.04"),
        Agency("ministry", "Kementerian", "ministry", "national-triage", None),
        Agency("lembaga", "Lembaga", "lembaga", "national-triage", None),
    ]
    return Directory(version=3, agencies={a.id: a for a in agencies}, rules_version=7, rules=rules)


def test_the_most_specific_region_wins() -> None:
    directory = directory_of(
        RoutingRule("province", "c", "16", "prov"),
        RoutingRule("district", "c", "16.08", "kab"),
    )
    assert directory.decide("c", "16.08").agency_id == "kab"
    assert directory.decide("c", "16.01").agency_id == "prov"
    assert directory.decide("c", "16.08").rule_id == "district@v7"
    assert directory.decide("c", "16.08").candidates == ("kab", "prov")


def test_a_government_level_resolves_to_the_government_of_the_complaints_region() -> None:
    directory = directory_of(
        RoutingRule("district", "c", government="regency_or_city"),
        RoutingRule("province", "p", government="province"),
    )
    assert directory.decide("c", "16.08.03.2001").agency_id == "kab"
    assert directory.decide("c", "16.71").agency_id == "kota"
    assert directory.decide("c", "32.04").agency_id == "kab-2"
    assert directory.decide("p", "16.71.01").agency_id == "prov"
    assert directory.decide("c", "16.02").agency_id == NATIONAL_TRIAGE  # no such government
    assert directory.decide("c", "16").agency_id == NATIONAL_TRIAGE  # coarser than the level


def test_higher_precedence_wins_over_a_more_specific_region_and_falls_back_in_order() -> None:
    directory = directory_of(
        RoutingRule("national", "c", agency="ministry"),
        RoutingRule("district", "c", government="regency_or_city", precedence=10),
        RoutingRule("province-16", "c", "16", "prov", precedence=5),
    )
    first = directory.decide("c", "16.08")
    assert (first.agency_id, first.rule_id) == ("kab", "district@v7")
    assert first.candidates == ("kab", "prov", "ministry")
    # A code that reaches no kabupaten/kota: the next rule by precedence decides.
    assert directory.decide("c", "16").agency_id == "prov"
    assert directory.decide("c", "32").agency_id == "ministry"


def test_rules_that_would_tie_are_refused() -> None:
    with pytest.raises(ValueError, match="tie"):
        directory_of(
            RoutingRule("a", "c", "16", "prov"),
            RoutingRule("b", "c", "16", government="province"),
        )
    with pytest.raises(ValueError, match="either an agency or a government"):
        RoutingRule("x", "c", agency="kab", government="province")
    with pytest.raises(ValueError, match="unknown government level"):
        RoutingRule("x", "c", government="kecamatan")


def test_copies_tembusan_go_to_secondary_agencies_never_the_primary_one() -> None:
    directory = directory_of(
        RoutingRule(
            "social",
            "c",
            government="regency_or_city",
            copies=(Target(agency="ministry"), Target(government="regency_or_city")),
        ),
        RoutingRule("drugs", "d", agency="lembaga", copies=(Target(government="province"),)),
    )
    social = directory.decide("c", "16.08")
    assert (social.agency_id, social.copies) == ("kab", ("ministry",))
    assert "tembusan: ministry" in social.reason
    drugs = directory.decide("d", "32.04")
    assert (drugs.agency_id, drugs.copies) == ("lembaga", ("prov-2",))
    # A copy to a level the region does not reach is left out, the decision stands.
    assert directory.decide("d", "91").copies == ()


def test_tembusan_in_the_published_rules() -> None:
    decision = default_directory().decide("bantuan-sosial", "16.08")
    assert (decision.agency_id, decision.copies) == ("pemkab-oku-timur", ("kemensos",))


HINTS = (
    RoutingRule("national", "c", agency="ministry"),
    RoutingRule("district", "c", government="regency_or_city", precedence=10),
)


def test_a_competent_hint_is_followed_and_says_why() -> None:
    decision = directory_of(*HINTS).decide("c", "16.08", hint="ministry")
    assert (decision.agency_id, decision.rule_id) == ("ministry", "national@v7")
    assert decision.hint_used
    assert decision.hint_reason == "ministry is competent by rule national (v7)"
    assert decision.candidates == ("kab", "ministry")


def test_a_hint_may_name_the_kabupaten_of_a_complaint_located_only_to_its_province() -> None:
    decision = directory_of(*HINTS).decide("c", "16", hint="kab")
    assert (decision.agency_id, decision.rule_id) == ("kab", "district@v7")
    assert decision.hint_used


def test_a_hint_agreeing_with_the_rules_is_recorded_as_such() -> None:
    decision = directory_of(*HINTS).decide("c", "16.08", hint="kab")
    assert (decision.agency_id, decision.hint_used) == ("kab", True)
    assert decision.hint_reason is not None and "first choice too" in decision.hint_reason


@pytest.mark.parametrize(
    ("hint", "why"),
    [
        ("kab-2", "not competent"),  # the right level, another region
        ("prov", "not competent"),  # the wrong level
        ("lembaga", "not competent"),  # no rule of the category names it
        ("Pemkab OKU Timur", "not an agency"),  # free text, not an id
    ],
)
def test_an_incompetent_hint_is_ignored_and_says_why(hint: str, why: str) -> None:
    decision = directory_of(*HINTS).decide("c", "16.08", hint=hint)
    assert (decision.agency_id, decision.rule_id) == ("kab", "district@v7")
    assert not decision.hint_used
    assert decision.hint_reason is not None and why in decision.hint_reason
    assert why in decision.reason


def test_a_hint_never_invents_a_route_for_a_category_without_rules() -> None:
    decision = directory_of(*HINTS).decide("other", "16.08", hint="ministry")
    assert (decision.agency_id, decision.hint_used) == (NATIONAL_TRIAGE, False)
    assert decision.hint_reason is not None and "not competent" in decision.hint_reason


def test_hints_in_the_published_rules() -> None:
    directory = default_directory()
    # Pungli in an SMA: the citizen names the province, which runs SMAs; without the hint
    # the kabupaten's government gets it.
    assert directory.decide("pungutan-liar", "32.04").agency_id == "pemkab-bandung"
    hinted = directory.decide("pungutan-liar", "32.04", hint="pemprov-jawa-barat")
    assert (hinted.agency_id, hinted.hint_used) == ("pemprov-jawa-barat", True)
    # A road named national by the citizen is still the kabupaten's when the category says so.
    ignored = directory.decide("jalan-daerah", "16.08", hint="kemen-pu")
    assert (ignored.agency_id, ignored.hint_used) == ("pemkab-oku-timur", False)


def test_every_rule_names_agencies_of_the_directory() -> None:
    directory = default_directory()
    for rule in directory.rules:
        for target in (rule.target, *rule.copies):
            assert target.agency is None or target.agency in directory.agencies, rule.id


def test_every_rule_is_for_a_published_category() -> None:
    from shared.domain.catalogue import categories

    for rule in default_directory().rules:
        assert rule.category in categories(), rule.id
