"""What an agency receives on its topic `complaints.routed.<agency_id>`.

The message is the ComplaintRouted CloudEvent, with the complaint as the agency
may see it under `data.complaint` (never the reporter's identity).
"""

from datetime import date

from pydantic import BaseModel

from shared.contracts.cloudevents import CloudEvent, to_cloudevent
from shared.domain.complaint import Channel, Complaint, ReportType


class ComplaintForAgency(BaseModel):
    tracking_id: str
    report_type: ReportType
    title: str
    description: str
    category: str
    region_code: str
    channel: Channel
    incident_date: date | None
    agency_hint: str | None
    anonymous: bool
    confidential: bool


def routed_message(
    complaint: Complaint, routed: Complaint.Routed, source: str, base_url: str
) -> CloudEvent:
    envelope = to_cloudevent(routed, source, base_url)
    view = ComplaintForAgency.model_validate(complaint, from_attributes=True)
    envelope.data["complaint"] = view.model_dump(mode="json")
    return envelope
