"""The router remembers routing decisions; a new directory still decides afresh."""

from dataclasses import replace

from services.router.lifecycle import decision_for
from shared.domain.complaint import NATIONAL_TRIAGE, Channel, Complaint, ReportType
from shared.domain.routing import default_directory


def complaint(category: str = "jalan-daerah", region: str = "16.08") -> Complaint:
    filed = Complaint(
        tracking_id="DECIDE0001",
        report_type=ReportType.COMPLAINT,
        title="Jalan rusak",
        description="Jalan kabupaten berlubang.",
        category=category,
        region_code=region,
        channel=Channel.WEB,
    )
    filed.new_events()
    return filed


def test_the_same_facts_under_another_directory_are_decided_by_that_directory() -> None:
    before = default_directory()
    without_roads = replace(
        before,
        rules_version=before.rules_version + 1,
        rules=tuple(r for r in before.rules if r.category != "jalan-daerah"),
    )
    assert decision_for(complaint(), before).agency_id == "pemkab-oku-timur"
    assert decision_for(complaint(), without_roads).agency_id == NATIONAL_TRIAGE
    assert decision_for(complaint(), before).agency_id == "pemkab-oku-timur"


def test_an_agency_that_declined_is_not_chosen_again_from_what_was_remembered() -> None:
    directory = default_directory()
    assert decision_for(complaint(), directory).agency_id == "pemkab-oku-timur"
    declined = complaint()
    declined.route("pemkab-oku-timur", "jalan-daerah@v1", "rule")
    declined.decline("pemkab-oku-timur", "bukan wewenang")
    assert decision_for(declined, directory).agency_id != "pemkab-oku-timur"
