"""The complaint (laporan) aggregate and its events, in SP4N-LAPOR! terms."""

from datetime import date, datetime
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from eventsourcing.domain import event
from pydantic import BaseModel, ConfigDict

from shared import clock
from shared.domain.calendar import CALENDAR_VERSION
from shared.domain.deadlines import (
    AGENCY_STAGES,
    COMPLETION,
    ESCALATION,
    FIRST_FOLLOW_UP,
    REPLY_WINDOW,
    REPORTER_INFO,
    STANDARD_POLICY,
    TRIAGE,
    VERIFICATION,
    DeadlinePolicy,
    Due,
    Tier,
    due,
    resumed,
)
from shared.domain.identity import SealedIdentity
from shared.domain.model import Aggregate

NATIONAL_TRIAGE = "national-triage"  # where a person decides: no rule, or declined too often

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


class NotHolder(InvalidTransition):
    """An agency's action on a complaint it does not hold; nothing is recorded.

    Checked before the complaint's status, so the refusal tells the agency nothing about a
    complaint it may not see: intake answers it as it answers an unknown tracking id."""


class Attachment(BaseModel):
    """A file the reporter attached, by reference: the event carries its link, never its body.

    Only the URL is always known. A file uploaded through the portal is in Pintu's upload
    store and described whole, as are those Pintu's API is told about; a door that hands
    over a bare link (Open311's media_url) leaves its media type, size and sha256 unknown:
    None."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    media_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None


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


class Deadline(BaseModel):
    """A stage's clock as an event records it: started at `started_at`, warned at `warn_at`,
    due at `due_at`, in the holiday calendar `calendar`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    in_working_days: bool  # False: calendar days (a pause shifts it by elapsed days)
    calendar: str

    @classmethod
    def of(cls, stage: str, deadline: Due) -> "Deadline":
        return cls(
            stage=stage,
            started_at=deadline.started_at,
            due_at=deadline.due_at,
            warn_at=deadline.warn_at,
            in_working_days=deadline.in_working_days,
            calendar=CALENDAR_VERSION,
        )

    @cached_property  # every replay of a routing asks it again
    def due(self) -> Due:
        return Due(self.started_at, self.due_at, self.warn_at, self.in_working_days)


class Complaint(Aggregate):
    """A report (laporan) from its filing to its archive; every change is one of its events."""

    class Filed(Aggregate.Created):
        # v2 added the address, coordinates, attachments and the sealed reporter identity;
        # v3 lets an attachment be a bare URL (media type, size and sha256 null).
        class_version: ClassVar[int] = 3

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

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Every v2 attachment is described whole, as v3 allows: nothing to change."""

    class Routed(Aggregate.Event):
        # v2 carries the complaint as the agency sees it, so the event alone is the agency's
        # message; v3 the whole decision: tembusan, candidates, the verdict on the hint;
        # v4 the directory and rules versions that decided, so a replay can re-decide;
        # v5 the clocks the routing starts (before, a DeadlineScheduled followed for each),
        # so the agency's message says by when, and a routing is one record, not three;
        # v6 lets an attachment of the complaint be a bare URL, as ComplaintFiled v3.
        class_version: ClassVar[int] = 6

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
        deadlines: tuple[Deadline, ...]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["complaint"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state.update(copies=[], candidates=[], hint_used=False, hint_reason=None)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state.update(directory_version=None, rules_version=None)

        @staticmethod
        def upcast_v4_v5(state: dict[str, Any]) -> None:
            state["deadlines"] = []

        @staticmethod
        def upcast_v5_v6(state: dict[str, Any]) -> None:
            """Every v5 attachment is described whole, as v6 allows: nothing to change."""

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.agency_id = self.agency_id
            aggregate.status = Status.DISPOSED_NOT_FOLLOWED_UP
            aggregate.answered = False
            aggregate.breached = ()
            aggregate.escalation_level = 0
            # The holder's clocks, and only those (older logs stopped the others before, or,
            # older than DeadlineStopped, relied on this).
            aggregate.deadlines = {d.stage: d.due for d in self.deadlines}
            aggregate.warned = ()
            aggregate.paused = {}
            aggregate.paused_at = None
            aggregate.status_before_pause = None

    class Declined(Aggregate.Event):
        """Bukan wewenang: the agency says the complaint is not its authority, and why."""

        agency_id: str
        reason: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.declined_by = (*aggregate.declined_by, self.agency_id)
            aggregate.agency_id = None
            aggregate.status = Status.UNVERIFIED

    # Deadlines: every change to one is an event, so the SLA service only mirrors the log.
    class DeadlineScheduled(Aggregate.Event):
        """A stage's clock runs: due at `due_at`, warned at `warn_at`. Replaces an open one."""

        # v2: when its clock started, the warning time, and whether a pause moves it by
        # working or calendar days.
        class_version: ClassVar[int] = 2

        stage: str
        started_at: datetime | None
        due_at: datetime
        warn_at: datetime | None
        in_working_days: bool
        calendar: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(started_at=None, warn_at=None, in_working_days=True)

        @property
        def deadline(self) -> Deadline:
            return Deadline(
                stage=self.stage,
                started_at=self.started_at or self.timestamp,
                due_at=self.due_at,
                warn_at=self.warn_at or self.due_at,
                in_working_days=self.in_working_days,
                calendar=self.calendar,
            )

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.deadlines[self.stage] = self.deadline.due
            aggregate.warned = tuple(s for s in aggregate.warned if s != self.stage)

    class DeadlineWarned(Aggregate.Event):
        """Most of a stage's time has passed (peringatan)."""

        stage: str
        due_at: datetime

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.warned = (*aggregate.warned, self.stage)

    class DeadlineBreached(Aggregate.Event):
        """A stage's deadline passed with its step not done (terlambat)."""

        stage: str
        due_at: datetime
        ombudsman_route: bool = False  # the reporter is told they may go to the Ombudsman

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.deadlines.pop(self.stage, None)
            aggregate.breached = (*aggregate.breached, self.stage)

    class DeadlineStopped(Aggregate.Event):
        """A stage's clock stops: its step was done (met), the clock paused (tunda), or the
        complaint moved on (cancelled)."""

        stage: str
        why: Literal["met", "paused", "cancelled"]

        def apply(self, aggregate: "Complaint") -> None:
            stopped = aggregate.deadlines.pop(self.stage, None)
            if self.why == "paused" and stopped is not None:
                aggregate.paused[self.stage] = stopped

    class Escalated(Aggregate.Event):
        """A breach goes up the hierarchy: level 1 the parent agency, level 2 the national
        admin (eskalasi)."""

        stage: str
        to_agency_id: str
        level: int

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.escalation_level = self.level

    class Verified(Aggregate.Event):
        """The national admin verified the report (verifikasi); routing follows."""

        admin: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.verified = True

    class Acknowledged(Aggregate.Event):
        """The agency took the complaint up and said how much work it takes."""

        agency_id: str
        tier: Tier

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.status = Status.DISPOSED_IN_PROGRESS
            aggregate.tier = self.tier

    class FollowedUp(Aggregate.Event):
        """The agency posted a tindak lanjut for the reporter."""

        agency_id: str
        message: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.status = Status.DISPOSED_IN_PROGRESS
            aggregate.answered = True

    class InformationRequested(Aggregate.Event):
        """The agency asks the reporter for information; the clocks pause (tertunda)."""

        agency_id: str
        question: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.pause(self.timestamp)

    class Postponed(Aggregate.Event):
        """Tunda by the national admin, waiting for the reporter; the clocks pause."""

        admin: str
        reason: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.pause(self.timestamp)

    class ReporterReplied(Aggregate.Event):
        """The reporter answered: a paused complaint resumes where it was."""

        message: str
        resumed_status: Status | None  # where a paused complaint resumes; None: not paused

        def apply(self, aggregate: "Complaint") -> None:
            if self.resumed_status is not None:
                aggregate.status = self.resumed_status
                aggregate.status_before_pause = None
                aggregate.paused = {}  # rescheduled right after, moved on by the pause

    class Resolved(Aggregate.Event):
        """The agency finished (terdisposisi selesai)."""

        agency_id: str
        message: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.status = Status.DISPOSED_DONE
            aggregate.answered = True

    class AutoClosed(Aggregate.Event):
        """The reporter did not answer a follow-up within the reply window: selesai."""

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.status = Status.DISPOSED_DONE

    class Reopened(Aggregate.Event):
        """The reporter is not satisfied with the answer; the agency works on."""

        reason: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.status = Status.DISPOSED_IN_PROGRESS
            aggregate.answered = False  # the reporter wants another answer

    class Rated(Aggregate.Event):
        """The reporter's rating of the answer, 1 to 5 (penilaian)."""

        score: int
        comment: str | None

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.rating = self.score

    class Archived(Aggregate.Event):
        """Arsip, with the reason: by the national admin, or a tunda never answered."""

        by: str
        reason: str

        def apply(self, aggregate: "Complaint") -> None:
            aggregate.status = Status.ARCHIVED
            aggregate.paused = {}

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
        self.verified = False
        self.tier = Tier.SIMPLE if report_type is ReportType.INFORMATION_REQUEST else Tier.STANDARD
        self.answered = False  # a follow-up or a resolution the reporter may rate
        self.deadlines: dict[str, Due] = {}  # the open ones, by stage
        self.warned: tuple[str, ...] = ()  # open stages already warned about
        self.breached: tuple[str, ...] = ()  # since the complaint reached its agency
        self.escalation_level = 0
        self.paused: dict[str, Due] = {}  # deadlines stopped by a tunda, by stage
        self.paused_at: datetime | None = None
        self.status_before_pause: Status | None = None
        self.rating: int | None = None

    @staticmethod
    def create_id(tracking_id: str) -> UUID:
        # eventsourcing calls this with the filing's arguments: the id follows the tracking id.
        return complaint_id_for(tracking_id)

    # -- routing: the router's decisions and the national admin's -------------------------

    def await_verification(self, at: datetime, policy: DeadlinePolicy) -> None:
        """Where the national admin verifies first, the verification clock starts."""
        self._schedule(VERIFICATION, due(policy, VERIFICATION, at))

    def verify(self, admin: str) -> None:
        if self.verified or self.agency_id is not None or self.declined_by:
            raise InvalidTransition("the complaint is already verified and disposed")
        if self.status is not Status.UNVERIFIED:
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be verified")
        self._stop(VERIFICATION, "met")
        self.trigger_event(Complaint.Verified, admin=admin)

    def route(
        self,
        agency_id: str,
        rule_id: str,
        reason: str,
        *,
        at: datetime | None = None,
        policy: DeadlinePolicy = STANDARD_POLICY,
        copies: tuple[str, ...] = (),
        candidates: tuple[str, ...] = (),
        hint_used: bool = False,
        hint_reason: str | None = None,
        directory_version: int | None = None,
        rules_version: int | None = None,
    ) -> None:
        """Dispose the complaint to the agency that must act (disposisi), with tembusan,
        and start that agency's clocks."""
        if self.status is not Status.UNVERIFIED:
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be routed")
        if agency_id in self.declined_by:
            raise InvalidTransition(f"{agency_id} already declined this complaint")
        self._stop_all("met")  # verification or triage: routing was their step
        view = AgencyView.model_validate(self, from_attributes=True)
        self.trigger_event(
            Complaint.Routed,
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
            deadlines=self._clocks(agency_id, at or clock.now(), policy),
        )

    def reassign(
        self,
        agency_id: str,
        admin: str,
        reason: str,
        *,
        at: datetime | None = None,
        policy: DeadlinePolicy = STANDARD_POLICY,
    ) -> None:
        """The national admin disposes the complaint by hand, overriding any rule or decline."""
        if self.status in (Status.DISPOSED_DONE, Status.ARCHIVED):
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be reassigned")
        if agency_id == self.agency_id:
            raise InvalidTransition(f"the complaint is already with {agency_id}")
        self._stop_all("cancelled")
        view = AgencyView.model_validate(self, from_attributes=True)
        self.trigger_event(
            Complaint.Routed,
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
            deadlines=self._clocks(agency_id, at or clock.now(), policy),
        )

    def decline(self, agency_id: str, reason: str) -> None:
        """Bukan wewenang: back to routing, never to this agency again."""
        self._require_holder(agency_id, "decline", "declined")
        if not reason.strip():
            raise InvalidTransition("a decline needs the reason it is not this agency's authority")
        self._stop_all("cancelled")
        self.trigger_event(Complaint.Declined, agency_id=agency_id, reason=reason.strip())

    def _clocks(self, agency_id: str, at: datetime, policy: DeadlinePolicy) -> tuple[Deadline, ...]:
        """What a routing to `agency_id` starts: the triage clock, or the agency's two."""
        return _clocks_started(agency_id == NATIONAL_TRIAGE, at, policy, self.tier)

    # -- the agency that holds the complaint ------------------------------------------------

    def acknowledge(self, agency_id: str, tier: Tier, policy: DeadlinePolicy) -> None:
        self._require_holder(
            agency_id, "acknowledge", "acknowledged", (Status.DISPOSED_NOT_FOLLOWED_UP,)
        )
        previous = self.tier
        self.trigger_event(Complaint.Acknowledged, agency_id=agency_id, tier=tier)
        completion = self.deadlines.get(COMPLETION)
        if tier is not previous and completion is not None:
            self._schedule(COMPLETION, due(policy, COMPLETION, completion.started_at, tier))

    def follow_up(self, agency_id: str, message: str, at: datetime, policy: DeadlinePolicy) -> None:
        """A tindak lanjut: meets the first follow-up, and opens the reporter's reply window."""
        self._require_holder(agency_id, "follow up", "followed up")
        self.trigger_event(Complaint.FollowedUp, agency_id=agency_id, message=message)
        self._stop(FIRST_FOLLOW_UP, "met")
        self._stop(ESCALATION, "met")
        self._schedule(REPLY_WINDOW, due(policy, REPLY_WINDOW, at))

    def request_information(
        self, agency_id: str, question: str, at: datetime, policy: DeadlinePolicy
    ) -> None:
        self._require_holder(agency_id, "ask about", "asked about")
        self._pause_clocks()
        self.trigger_event(Complaint.InformationRequested, agency_id=agency_id, question=question)
        self._schedule(REPORTER_INFO, due(policy, REPORTER_INFO, at))

    def resolve(self, agency_id: str, message: str, at: datetime, policy: DeadlinePolicy) -> None:
        self._require_holder(agency_id, "resolve", "resolved")
        self._stop_all("met")
        self.trigger_event(Complaint.Resolved, agency_id=agency_id, message=message)
        self._schedule(REPLY_WINDOW, due(policy, REPLY_WINDOW, at))

    # -- the national admin -----------------------------------------------------------------

    def postpone(self, admin: str, reason: str, at: datetime, policy: DeadlinePolicy) -> None:
        """Tunda: wait for the reporter, clocks paused."""
        if self.status not in (Status.UNVERIFIED, *HOLDING):
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be postponed")
        self._pause_clocks()
        self.trigger_event(Complaint.Postponed, admin=admin, reason=reason)
        self._schedule(REPORTER_INFO, due(policy, REPORTER_INFO, at))

    def archive(self, by: str, reason: str) -> None:
        if self.status is Status.ARCHIVED:
            raise InvalidTransition("the complaint is already archived")
        self._stop_all("cancelled")
        self.trigger_event(Complaint.Archived, by=by, reason=reason)

    # -- the reporter (pelapor) -------------------------------------------------------------

    def reply(self, message: str, at: datetime) -> None:
        """An answer to a question (the clocks resume, moved on by the pause), or to a
        follow-up (the reply window closes: the agency works on)."""
        if self.status is Status.POSTPONED:
            self._stop(REPORTER_INFO, "met")
            paused, paused_at = dict(self.paused), self.paused_at or at
            resumed_status = self.status_before_pause or Status.UNVERIFIED
            self.trigger_event(
                Complaint.ReporterReplied, message=message, resumed_status=resumed_status
            )
            for stage, deadline in paused.items():
                self._schedule(stage, resumed(deadline, paused_at, at))
        elif self.status is Status.DISPOSED_IN_PROGRESS and REPLY_WINDOW in self.deadlines:
            self.trigger_event(Complaint.ReporterReplied, message=message, resumed_status=None)
            self._stop(REPLY_WINDOW, "met")
        else:
            raise InvalidTransition("nobody is waiting for the reporter's reply now")

    def reopen(self, reason: str, at: datetime, policy: DeadlinePolicy) -> None:
        if self.status is not Status.DISPOSED_DONE or REPLY_WINDOW not in self.deadlines:
            raise InvalidTransition("only a completed complaint, within its reply window, reopens")
        self._stop(REPLY_WINDOW, "met")
        self.trigger_event(Complaint.Reopened, reason=reason)
        self._schedule(FIRST_FOLLOW_UP, due(policy, FIRST_FOLLOW_UP, at))

    def rate(self, score: int, comment: str | None) -> None:
        if self.status not in (Status.DISPOSED_DONE, Status.ARCHIVED) or not self.answered:
            raise InvalidTransition("only an answered, completed complaint can be rated")
        if self.rating is not None:
            raise InvalidTransition("the answer is already rated")
        if not 1 <= score <= 5:
            raise InvalidTransition("a rating is 1 to 5")
        self.trigger_event(Complaint.Rated, score=score, comment=comment)

    # -- deadlines falling due (the SLA service's commands) ---------------------------------

    def deadline_passed(
        self,
        stage: str,
        due_at: datetime,
        warning: bool,
        *,
        at: datetime,
        policy: DeadlinePolicy,
        parent_agency: str | None,
    ) -> None:
        """A warning or a breach, each once per scheduled deadline; what a breach sets off
        (`parent_agency`: the holder's parent in the directory, the first to escalate to)."""
        open_deadline = self.deadlines.get(stage)
        if open_deadline is None or open_deadline.due_at != due_at:
            raise InvalidTransition(f"no open {stage} deadline due at {due_at.isoformat()}")
        if warning:
            if stage in self.warned:
                raise InvalidTransition(f"the {stage} warning was already given")
            if at < open_deadline.warn_at:
                raise InvalidTransition(f"the {stage} warning is not due yet")
            self.trigger_event(Complaint.DeadlineWarned, stage=stage, due_at=due_at)
            return
        if at < due_at:
            raise InvalidTransition(f"the {stage} deadline has not passed yet")
        field = stage == COMPLETION and self.tier is Tier.FIELD_INSPECTION
        self.trigger_event(
            Complaint.DeadlineBreached, stage=stage, due_at=due_at, ombudsman_route=field
        )
        if stage in AGENCY_STAGES:
            self._escalate(stage, parent_agency, at, policy)
        elif stage == ESCALATION or stage in (VERIFICATION, TRIAGE):
            self._escalate_to_national_admin(stage)
        elif stage == REPORTER_INFO and policy.archive_when_reporter_silent:
            self.archive("pintu", "the reporter did not answer within the time given")
        elif stage == REPLY_WINDOW and self.status is Status.DISPOSED_IN_PROGRESS:
            self.trigger_event(Complaint.AutoClosed)

    def _escalate(
        self, stage: str, parent: str | None, at: datetime, policy: DeadlinePolicy
    ) -> None:
        """Up the hierarchy once per hop: the parent agency, then the national admin."""
        if self.escalation_level == 0 and parent is not None and parent != NATIONAL_TRIAGE:
            self.trigger_event(Complaint.Escalated, stage=stage, to_agency_id=parent, level=1)
            self._schedule(ESCALATION, due(policy, ESCALATION, at))
        else:
            self._escalate_to_national_admin(stage)

    def _escalate_to_national_admin(self, stage: str) -> None:
        if self.escalation_level < 2:
            self.trigger_event(
                Complaint.Escalated, stage=stage, to_agency_id=NATIONAL_TRIAGE, level=2
            )

    @property
    def settled(self) -> bool:
        """Closed for good: selesai or arsip, with no clock left to run. Only a rating, or an
        archive of a selesai complaint, can still follow; nothing falls due."""
        return (
            self.status in (Status.DISPOSED_DONE, Status.ARCHIVED)
            and not self.deadlines
            and not self.paused
        )

    # -- shared steps -----------------------------------------------------------------------

    def _require_holder(
        self, agency_id: str, what: str, done: str, statuses: tuple[Status, ...] = ()
    ) -> None:
        if agency_id != self.agency_id:
            raise NotHolder(f"only the agency that holds the complaint can {what} it")
        if self.status not in (statuses or HOLDING):
            raise InvalidTransition(f"a complaint that is {self.status.value} cannot be {done}")

    def _schedule(self, stage: str, deadline: Due) -> None:
        self.trigger_event(Complaint.DeadlineScheduled, **Deadline.of(stage, deadline).model_dump())

    def _stop(self, stage: str, why: Literal["met", "paused", "cancelled"]) -> None:
        if stage in self.deadlines:
            self.trigger_event(Complaint.DeadlineStopped, stage=stage, why=why)

    def _stop_all(self, why: Literal["met", "paused", "cancelled"]) -> None:
        for stage in list(self.deadlines):
            self._stop(stage, why)

    def _pause_clocks(self) -> None:
        self._stop_all("paused")

    def pause(self, at: datetime) -> None:
        """Applied by a pausing event: remember where the complaint was."""
        self.status_before_pause = self.status
        self.status = Status.POSTPONED
        self.paused_at = at


HOLDING = (Status.DISPOSED_NOT_FOLLOWED_UP, Status.DISPOSED_IN_PROGRESS)


@lru_cache(maxsize=64)
def _clocks_started(
    triage: bool, at: datetime, policy: DeadlinePolicy, tier: Tier
) -> tuple[Deadline, ...]:
    """The clocks a routing at `at` starts. Remembered: the router decides a round of
    complaints at one moment (services/router/owner.py), so they share them (frozen)."""
    if triage:
        return (Deadline.of(TRIAGE, due(policy, TRIAGE, at)),)
    return (
        Deadline.of(FIRST_FOLLOW_UP, due(policy, FIRST_FOLLOW_UP, at)),
        Deadline.of(COMPLETION, due(policy, COMPLETION, at, tier)),
    )


def deadlines_started(event: object) -> tuple[Deadline, ...]:
    """The clocks an event starts (each replacing its stage's open one): a DeadlineScheduled's
    one, or a routing's (ComplaintRouted v5; a DeadlineScheduled followed older ones)."""
    if isinstance(event, Complaint.DeadlineScheduled):
        return (event.deadline,)
    if isinstance(event, Complaint.Routed):
        return event.deadlines
    return ()
