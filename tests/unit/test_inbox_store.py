from pathlib import Path

from shared.contracts.cloudevents import TYPE_NAMES
from shared.domain.complaint import Channel, Complaint, ReportType, Status
from shared.projections.inbox import InboxStore, position


def events() -> list:  # type: ignore[type-arg]
    complaint = Complaint(
        tracking_id="QWERTY2345",
        report_type=ReportType.COMPLAINT,
        title="Sekolah pungli",
        description="Pungutan liar",
        category="pendidikan-menengah",
        region_code="32.04",
        channel=Channel.WEB,
        confidential=True,
    )
    complaint.route("pemprov-jawa-barat", "sekolah-menengah-jabar@v1", "rule")
    return complaint.new_events()


def test_the_inbox_shows_a_routed_complaint_once_even_when_events_are_redelivered(
    tmp_path: Path,
) -> None:
    store = InboxStore(tmp_path / "read.sqlite3")
    filed, routed = events()
    assert store.apply(filed, TYPE_NAMES[type(filed)], position("complaints.events", 3, 0))
    assert store.apply(routed, TYPE_NAMES[type(routed)], position("complaints.events", 3, 1))
    # Redelivery after a crash: the same positions again change nothing.
    assert not store.apply(filed, TYPE_NAMES[type(filed)], position("complaints.events", 3, 0))
    assert not store.apply(routed, TYPE_NAMES[type(routed)], position("complaints.events", 3, 1))

    (entry,) = store.inbox("pemprov-jawa-barat")
    assert entry.tracking_id == "QWERTY2345"
    assert entry.status is Status.DISPOSED_NOT_FOLLOWED_UP
    view = store.complaint("QWERTY2345")
    assert view is not None and [t.sequence for t in view.timeline] == [1, 2]
    assert view.confidential


def test_the_store_resumes_after_the_last_applied_offset(tmp_path: Path) -> None:
    store = InboxStore(tmp_path / "read.sqlite3")
    assert store.resume_offset("complaints.events", 3) is None
    filed, _ = events()
    store.apply(filed, TYPE_NAMES[type(filed)], position("complaints.events", 3, 41))
    reopened = InboxStore(tmp_path / "read.sqlite3")
    assert reopened.resume_offset("complaints.events", 3) == 42
    assert reopened.resume_offset("complaints.events", 4) is None
