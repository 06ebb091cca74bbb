"""The intake API's request and response bodies, with their rules in plain words."""

import re
from datetime import date, datetime
from typing import Annotated

from lokal import parse_phone
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)

from shared import clock
from shared.domain.calendar import WIB
from shared.domain.catalogue import categories, region_name
from shared.domain.complaint import Attachment, Channel, ReportType
from shared.domain.identity import ReporterIdentity

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
ATTACHMENT_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/pdf",
    "video/mp4",
    "audio/mpeg",
)


_RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc_3339(value: object) -> object:
    if isinstance(value, str) and not _RFC_3339.fullmatch(value):
        raise ValueError("expected a date and time with its offset, e.g. 2026-11-10T08:00:00+07:00")
    return value


# A moment as the document states it (RFC 3339 date-time), not a number nor a bare date.
Moment = Annotated[AwareDatetime, BeforeValidator(_rfc_3339)]


def _calendar_day(value: object) -> object:
    if not isinstance(value, str | date) or (
        isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    ):
        raise ValueError("expected a date as YYYY-MM-DD, e.g. 2026-11-10")
    return value


# A calendar day as the document states it (RFC 3339 full-date), not a number.
Day = Annotated[date, BeforeValidator(_calendar_day)]


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(
        max_length=13,
        description="Kemendagri region code: province (16), kabupaten/kota (16.08), "
        "kecamatan (16.08.01) or desa/kelurahan; a code not in Kemendagri's list is refused "
        "with 422",
        examples=["16.08"],
    )
    address: str | None = Field(default=None, max_length=500)
    latitude: StrictFloat | None = Field(default=None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(default=None, ge=-180, le=180)

    @field_validator("region_code")
    @classmethod
    def known_region(cls, code: str) -> str:
        if region_name(code) is None:
            raise ValueError(f"{code!r} is not a Kemendagri region code (e.g. 16.08 for OKU Timur)")
        return code


class AttachmentReference(Attachment):
    url: str = Field(
        max_length=2000, pattern=r"^https://", description="where the file can be fetched"
    )
    media_type: str = Field(description=f"one of {', '.join(ATTACHMENT_TYPES)}")
    size_bytes: StrictInt = Field(gt=0, le=MAX_ATTACHMENT_BYTES)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex sha256 of the file")

    @field_validator("media_type")
    @classmethod
    def allowed_type(cls, media_type: str) -> str:
        if media_type not in ATTACHMENT_TYPES:
            raise ValueError(f"attachments may be {', '.join(ATTACHMENT_TYPES)}, not {media_type}")
        return media_type


class ReporterContact(ReporterIdentity):
    """Who to tell about progress. Stored only encrypted; never shown to an agency if anonim."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1, max_length=120)
    email: EmailStr | None = None
    phone: str | None = Field(
        default=None, max_length=30, description="Indonesian number, any common form"
    )

    @field_validator("phone")
    @classmethod
    def indonesian_phone(cls, phone: str | None) -> str | None:
        if phone is None:
            return None
        parsed = parse_phone(phone)
        if not parsed.valid or parsed.e164 is None:
            raise ValueError(f"{phone!r} is not a valid Indonesian phone number")
        return parsed.e164


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
                    "location": {"region_code": "16.08.01", "address": "Jl. Lintas Desa Terukis"},
                    "incident_date": "2026-11-10",
                    "channel": "web",
                    "reporter": {
                        "name": "Siti Aminah",
                        "email": "siti@example.id",
                        "phone": "0812-3456-7890",
                    },
                }
            ]
        },
    )

    report_type: ReportType = ReportType.COMPLAINT
    title: str = Field(min_length=5, max_length=200)
    description: str = Field(min_length=10, max_length=10_000, description="the chronology")
    category: str = Field(
        min_length=1,
        max_length=80,
        description="a code from GET /v1/categories; any other is refused with 422",
    )
    location: Location
    incident_date: Day | None = None
    agency_hint: str | None = Field(
        default=None, max_length=80, description="the agency the citizen thinks is responsible"
    )
    channel: Channel = Channel.WEB
    attachments: list[AttachmentReference] = Field(default_factory=list, max_length=10)
    anonymous: StrictBool = Field(
        default=False, description="anonim: agencies never see who reported"
    )
    confidential: StrictBool = Field(default=False, description="rahasia: never shown publicly")
    reporter: ReporterContact | None = None

    @field_validator("category")
    @classmethod
    def published_category(cls, code: str) -> str:
        if code not in categories():
            raise ValueError(f"unknown category {code!r}; GET /v1/categories lists them")
        return code

    @field_validator("incident_date")
    @classmethod
    def not_in_the_future(cls, day: date | None) -> date | None:
        if day is not None and day > clock.now().astimezone(WIB).date():
            raise ValueError("the incident date cannot be in the future")
        return day


class ComplaintReceipt(BaseModel):
    tracking_id: str = Field(description="nomor tiket: quote it to follow the complaint")
    complaint_id: str
    status: str
    reporter_token: str = Field(description="keep it secret: it proves you are the reporter")
    status_url: str


class TimelineItem(BaseModel):
    sequence: int
    label: str = Field(description="what happened, in the reporter's language")
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
    deadline_stage: str | None = Field(description="the holder's next deadline")
    deadline_at: datetime | None
    days_left: int | None = Field(description="working days to the deadline; negative: overdue")
    overdue: bool = Field(description="a deadline of the holder's passed unmet")
    tembusan: bool = Field(description="a copy sent to this agency for information")


class ComplaintPage(BaseModel):
    items: list[InboxItem]
    total: int = Field(description="complaints matching the filters, on every page")
    page: int
    page_size: int


class ScoresView(BaseModel):
    """An agency's figures (the handbook's scoring), from the read model."""

    agency_id: str | None = Field(description="None: every complaint (the national admin's)")
    by_status: dict[str, int]
    held: int = Field(description="complaints the agency holds now")
    followed_up: int = Field(description="of those, answered with a tindak lanjut")
    followed_up_share: float | None
    followed_up_target: float
    meets_target: bool | None
    unverified: int = Field(description="backlog: not yet verified or routed")
    unanswered: int = Field(description="backlog: routed, no tindak lanjut yet")
    overdue: int
    first_response_hours_median: float | None
    first_response_hours_p90: float | None
    transferred_away: int = Field(description="bukan wewenang and reassignments away")
    ratings: int
    rating_mean: float | None
    rating_counts: dict[int, int]


class PublicFigureView(BaseModel):
    key: str = Field(description="the agency id, province code or region code")
    total: int
    by_status: dict[str, int]
    followed_up_share: float | None


class CategoryView(BaseModel):
    code: str
    name: str


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error in plain words (RFC 9457 problem details)."""

    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)
