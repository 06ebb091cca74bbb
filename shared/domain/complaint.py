"""The complaint (laporan) aggregate and its events, in SP4N-LAPOR! terms."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event
from pydantic import BaseModel, ConfigDict

from shared.domain.model import Aggregate
from shared.privacy import SealedIdentity

# Complaint ids derive from tracking ids, so a tracking id alone finds the event stream.
COMPLAINT_NAMESPACE = UUID("6c1f6b52-3a51-4a39-9a0e-3f3c0c2b7d10")


def complaint_id_for(tracking_id: str) -> UUID:
    return uuid5(COMPLAINT_NAMESPACE, tracking_id)


class ReportType(StrEnum):
    """Jenis laporan."""

    COMPLAINT = "pengaduan"
    ASPIRATION = "aspirasi"
    INFORMATION_REQUEST = "permintaan_informasi"


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    SMS = "sms"
    SOCIAL = "social"
    PARTNER_API = "partner_api"


class Status(StrEnum):
    """The statuses a reporter sees in LAPOR!."""

    UNVERIFIED = "belum_terverifikasi"
    DISPOSED_NOT_FOLLOWED_UP = "terdisposisi_belum_ditindaklanjuti"
    DISPOSED_IN_PROGRESS = "terdisposisi_sedang_diproses"
    DISPOSED_DONE = "terdisposisi_selesai"
    POSTPONED = "tertunda"
    ARCHIVED = "arsip"


class InvalidTransition(Exception):
    """An action the complaint's current status does not allow; nothing is recorded."""


class Attachment(BaseModel):
    """A file the reporter attached, by reference: Pintu stores no file bodies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    media_type: str
    size_bytes: int
    sha256: str


class AgencyView(BaseModel):
    """The complaint as the agency that must act sees it: never who reported it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tracking_id: str
    report_type: ReportType
    title: str
    description: str
    category: str
    region_code: str
    address: str | None
    latitude: float | None
    longitude: float | None
    channel: Channel
    incident_date: date | None
    agency_hint: str | None
    attachments: tuple[Attachment, ...]
    anonymous: bool
    confidential: bool


class Complaint(Aggregate):
    """A report (laporan) from its filing to its archive; every change is one of its events."""

    class Filed(Aggregate.Created):
        # v2 added the address, coordinates, attachments and the sealed reporter identity.
        class_version: ClassVar[int] = 2

        tracking_id: str
        report_type: ReportType
        title: str
        description: str
        category: str
        region_code: str
        channel: Channel
        incident_date: date | None = None
        agency_hint: str | None = None
        anonymous: bool = False
        confidential: bool = False
        address: str | None
        latitude: float | None
        longitude: float | None
        attachments: tuple[Attachment, ...]
        reporter: SealedIdentity | None
        # sha256 of the reporter token: proves the reporter without revealing who they are.
        reporter_token_hash: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(
                address=None,
                latitude=None,
                longitude=None,
                attachments=(),
                reporter=None,
                reporter_token_hash=None,
            )

    class Routed(Aggregate.Event):
        # v2 carries the complaint as the agency sees it, so the event alone is the agency's
        # message; v3 the whole decision: tembusan, candidates, the verdict on the hint;
        # v4 the directory and rules versions that decided, so a replay can re-decide.
        class_version: ClassVar[int] = 4

        agency_id: str
        rule_id: str
        reason: str
        complaint: AgencyView | None
        copies: tuple[str, ...]  # tembusan: agencies that receive the complaint for information
        candidates: tuple[str, ...]  # what the matching rules named, best first
        hint_used: bool
        hint_reason: str | None
        directory_version: int | None  # the directory and rules that decided (None: by hand)
        rules_version: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["complaint"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state.update(copies=[], candidates=[], hint_used=False, hint_reason=None)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state.update(directory_version=None, rules_version=None)

    class Declined(Aggregate.Event):
        """Bukan wewenang: the agency says the complaint is not its authority, and why."""

        agency_id: str
        reason: str

    class DeadlineScheduled(Aggregate.Event):
        stage: str
        due_at: datetime
        calendar: str

    @event(Filed)
    def __init__(
        self,
        tracking_id: str,
        report_type: ReportType,
        title: str,
        description: str,
        category: str,
        region_code: str,
        channel: Channel,
        incident_date: date | None = None,
        agency_hint: str | None = None,
        anonymous: bool = False,
        confidential: bool = False,
        address: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        attachments: tuple[Attachment, ...] = (),
        reporter: SealedIdentity | None = None,
        reporter_token_hash: str | None = None,
    ) -> None:
        self.tracking_id = tracking_id
        self.report_type = report_type
        self.title = title
        self.description = description
        self.category = category
        self.region_code = region_code
        self.channel = channel
        self.incident_date = incident_date
        self.agency_hint = agency_hint
        self.anonymous = anonymous
        self.confidential = confidential
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
        self.attachments = attachments
        self.reporter = reporter
        self.reporter_token_hash = reporter_token_hash
        self.status = Status.UNVERIFIED
        self.agency_id: str | None = None
        self.declined_by: tuple[str, ...] = ()  # never routed back to any of these
        self.deadlines: dict[str, datetime] = {}

    @staticmethod
    def create_id(tracking_id: str) -> UUID:
        # eventsourcing calls this with the filing's arguments: the id follows the tracking id.
        return complaint_id_for(tracking_id)

    def route(
        self,
        agency_id: str,
        rule_id: str,
        reason: str,
        *,
        copies: tuple[str, ...] = (),
        candidates: tuple[str, ...] = (),
        hint_used: bool = False,
        hint_reason: str | None = None,
        directory_version: int | None = None,
        rules_version: int | None = None,
    ) -> None:
        """Dispose the complaint to the agency that must act (disposisi), with tembusan."""
        if self.status is not Status.UNVERIFIED:
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be routed")
        if agency_id in self.declined_by:
            raise InvalidTransition(f"{agency_id} already declined this complaint")
        view = AgencyView.model_validate(self, from_attributes=True)
        self._routed(
            agency_id=agency_id,
            rule_id=rule_id,
            reason=reason,
            complaint=view,
            copies=copies,
            candidates=candidates,
            hint_used=hint_used,
            hint_reason=hint_reason,
            directory_version=directory_version,
            rules_version=rules_version,
        )

    def reassign(self, agency_id: str, admin: str, reason: str) -> None:
        """The national admin disposes the complaint by hand, overriding any rule or decline."""
        if self.status in (Status.DISPOSED_DONE, Status.ARCHIVED):
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be reassigned")
        if agency_id == self.agency_id:
            raise InvalidTransition(f"the complaint is already with {agency_id}")
        view = AgencyView.model_validate(self, from_attributes=True)
        self._routed(
            agency_id=agency_id,
            rule_id="manual",
            reason=f"reassigned by {admin}: {reason}",
            complaint=view,
            copies=(),
            candidates=(),
            hint_used=False,
            hint_reason=None,
            directory_version=None,
            rules_version=None,
        )

    def decline(self, agency_id: str, reason: str) -> None:
        """Bukan wewenang: back to routing, never to this agency again."""
        if self.status not in (Status.DISPOSED_NOT_FOLLOWED_UP, Status.DISPOSED_IN_PROGRESS):
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be declined")
        if agency_id != self.agency_id:
            raise InvalidTransition(f"only {self.agency_id}, which holds it, can decline it")
        if not reason.strip():
            raise InvalidTransition("a decline needs the reason it is not this agency's authority")
        self._declined(agency_id=agency_id, reason=reason.strip())

    @event(Declined)
    def _declined(self, agency_id: str, reason: str) -> None:
        self.declined_by = (*self.declined_by, agency_id)
        self.agency_id = None
        self.status = Status.UNVERIFIED

    @event(Routed)
    def _routed(
        self,
        agency_id: str,
        rule_id: str,
        reason: str,
        complaint: AgencyView,
        copies: tuple[str, ...],
        candidates: tuple[str, ...],
        hint_used: bool,
        hint_reason: str | None,
        directory_version: int | None,
        rules_version: int | None,
    ) -> None:
        self.agency_id = agency_id
        self.status = Status.DISPOSED_NOT_FOLLOWED_UP
        self.deadlines = {}  # a new agency, new clocks

    def schedule_deadline(self, stage: str, due_at: datetime, calendar: str) -> None:
        if stage in self.deadlines:
            raise InvalidTransition(f"the {stage} deadline is already scheduled")
        self._deadline_scheduled(stage=stage, due_at=due_at, calendar=calendar)

    @event(DeadlineScheduled)
    def _deadline_scheduled(self, stage: str, due_at: datetime, calendar: str) -> None:
        self.deadlines[stage] = due_at


STATUS_LABELS: dict[str, dict[Status, str]] = {
    "id": {
        Status.UNVERIFIED: "Belum Terverifikasi",
        Status.DISPOSED_NOT_FOLLOWED_UP: "Terdisposisi Belum Ditindaklanjuti",
        Status.DISPOSED_IN_PROGRESS: "Terdisposisi Sedang Diproses",
        Status.DISPOSED_DONE: "Terdisposisi Selesai",
        Status.POSTPONED: "Tertunda",
        Status.ARCHIVED: "Arsip",
    },
    "en": {
        Status.UNVERIFIED: "Not yet verified",
        Status.DISPOSED_NOT_FOLLOWED_UP: "Assigned, not yet followed up",
        Status.DISPOSED_IN_PROGRESS: "Assigned, in progress",
        Status.DISPOSED_DONE: "Assigned, completed",
        Status.POSTPONED: "Postponed",
        Status.ARCHIVED: "Archived",
    },
}
