"""Complaints for tests: a filing as intake writes it to the log, and a complaint routed at a
known moment, for tests of what its routing tells people."""

from datetime import UTC, datetime

from shared.contracts.cloudevents import encode
from shared.domain.complaint import Channel, Complaint, ReportType

# Monday 23 November 2026, 09:00 WIB: its first follow-up is due 30 November, its completion
# 11 December (5 and 14 working days).
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def filing_record(tracking_id: str, title: str) -> tuple[bytes, bytes]:
    """The key and value of a pothole in OKU Timur's ComplaintFiled, as intake appends it."""
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title=title,
        description="Jalan kabupaten berlubang",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.PARTNER_API,
    )
    (filed,) = complaint.new_events()
    return encode(filed, "/pintu/intake", "http://intake")


def routed_on_monday(tracking_id: str) -> Complaint.Routed:
    """A pothole in OKU Timur, routed to its kabupaten at MONDAY: the ComplaintRouted."""
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title="Jalan berlubang di Martapura",
        description="Jalan kabupaten berlubang",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.WEB,
    )
    complaint.route("pemkab-oku-timur", "jalan-daerah@v2", "rule", at=MONDAY)
    _, routed = complaint.new_events()
    assert isinstance(routed, Complaint.Routed)
    return routed
