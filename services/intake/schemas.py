"""The intake API's request and response bodies."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.complaint import Channel, ReportType

REGION_CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"


class ComplaintSubmission(BaseModel):
    """A report (laporan) as a citizen or a partner channel files it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "report_type": "pengaduan",
                    "title": "Jalan kabupaten rusak parah di Martapura",
                    "description": "Sejak Januari jalan penghubung desa berlubang dan tergenang; "
                    "dua pengendara motor jatuh minggu lalu.",
                    "category": "jalan-daerah",
                    "region_code": "16.08",
                    "incident_date": "2026-11-10",
                    "channel": "web",
                }
            ]
        },
    )

    report_type: ReportType = ReportType.COMPLAINT
    title: str = Field(min_length=5, max_length=200)
    description: str = Field(min_length=10, max_length=10_000)
    category: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9-]+$")
    region_code: str = Field(
        pattern=REGION_CODE_PATTERN, description="Kemendagri region code, e.g. 16.08 (OKU Timur)"
    )
    incident_date: date | None = None
    agency_hint: str | None = Field(default=None, max_length=80)
    channel: Channel = Channel.WEB
    anonymous: bool = Field(default=False, description="anonim: the agency never sees who reported")
    confidential: bool = Field(default=False, description="rahasia: never shown publicly")


class ComplaintReceipt(BaseModel):
    tracking_id: str
    complaint_id: str
    status: str
    status_url: str


class TimelineItem(BaseModel):
    sequence: int
    event_type: str
    at: datetime
    detail: dict[str, object]


class ComplaintStatusView(BaseModel):
    tracking_id: str
    status: str
    status_label: str
    agency_id: str | None
    deadline_at: datetime | None = Field(description="when the current stage is due")
    timeline: list[TimelineItem]


class InboxItem(BaseModel):
    tracking_id: str
    title: str
    category: str
    region_code: str
    status: str
    filed_at: datetime
    routing_rule: str | None
    deadline_at: datetime | None


class Problem(BaseModel):
    """An error in plain words (RFC 9457 problem details)."""

    title: str
    status: int
    detail: str
