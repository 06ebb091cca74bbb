"""What people do to a complaint, by role: the national admin, the agency, the reporter.

Intake checks who asks (an admin or agency key, or the reporter token) and hands a
command to the complaint's owner, the router, which checks it against the
complaint's state and records the events (docs/decisions/0001). An agency's action
on a complaint the read model shows it neither holding nor copied on is answered
404 at once, as an unknown tracking id is, and sends nothing. Intake waits for
the router's verdict: 200 with the new status, or 409 with the reason and nothing
recorded. Two actions at the same moment are decided one after the other, so one
of two conflicting actions is refused. A verdict that takes longer than
PINTU_ACTION_WAIT_SECONDS leaves the action accepted (202): the timeline tells.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from services.intake.access import (
    AGENCY_ID_MAX,
    AGENCY_ID_PATTERN,
    AgencyAdmin,
    AgencyIdPath,
    NationalAdmin,
    ReporterTokenDep,
    SettingsDep,
    TrackingIdPath,
    unknown_complaint,
)
from services.intake.complaints import DirectoryDep, FilingDep, ReadModelDep, proves_reporter
from services.intake.outcomes import Outcomes
from services.intake.rules import Refusal, RulesDocument, RulesRefused, put_in_force
from services.intake.schemas import Problem
from services.intake.views import ComplaintViewsDep
from shared import clock
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.publisher import Record
from shared.contracts.commands import (
    Acknowledge,
    Action,
    Archive,
    Command,
    Decline,
    FollowUp,
    Postpone,
    Rate,
    Reassign,
    Reopen,
    Reply,
    RequestInformation,
    Resolve,
    Verify,
    encode_command,
)
from shared.domain.deadlines import Tier
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import ComplaintFilter, ComplaintView, Scope

router = APIRouter(tags=["actions of the national admin, agencies and reporters"])
NATIONAL_ADMIN = "national-admin"


# Free text a person reads later: long enough to mean something, short enough to read.
Text = Annotated[str, Field(min_length=10, max_length=2000)]


class DeclineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(
        description="why this is not the agency's authority, in words the next agency can use",
        examples=[
            "Ruas jalan ini jalan provinsi (SK Gubernur Sumsel 2023), bukan jalan kabupaten."
        ],
    )


class ReassignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: str = Field(
        pattern=AGENCY_ID_PATTERN,
        max_length=AGENCY_ID_MAX,
        description="an agency in the directory in force (422 for any other)",
        examples=["kemen-pu"],
    )
    reason: Text = Field(
        description="why it goes there",
        examples=["Ruas ini jalan nasional; wewenang Kementerian PU."],
    )


class ReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(
        description="the reason, kept in the complaint's history",
        examples=["Laporan tidak memuat lokasi; menunggu keterangan pelapor."],
    )


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier = Field(
        default=Tier.STANDARD,
        description="how much work completion takes: sederhana 5 WD, "
        "tanpa_peninjauan_lapangan 14 WD, peninjauan_lapangan 60 days",
        examples=[Tier.FIELD_INSPECTION],
    )


class QuestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(
        description="what the agency needs from the reporter; the clocks pause until the answer",
        examples=["Mohon kirimkan foto lokasi dan nama desa tempat jalan rusak."],
    )


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Text = Field(
        description="the text the reporter reads",
        examples=["Tim dinas PUPR telah meninjau lokasi; penambalan dijadwalkan pekan depan."],
    )


class RatingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: StrictInt = Field(ge=1, le=5, examples=[4])
    comment: str | None = Field(default=None, max_length=2000, examples=["Cepat ditangani."])


class ActionResult(BaseModel):
    command_id: uuid.UUID
    tracking_id: str
    outcome: str = Field(description="accepted (recorded) or pending (the router is busy)")
    status: str | None = Field(description="the complaint's status afterwards, when known")
    status_url: str
    detail: str


def outcomes(request: Request) -> Outcomes:
    return request.app.state.outcomes  # type: ignore[no-any-return]


OutcomesDep = Annotated[Outcomes, Depends(outcomes)]
FORBIDDEN = {"model": Problem, "description": "the key is not this agency's (or an admin's)"}
ANSWERS: dict[int | str, dict[str, object]] = {
    202: {"model": ActionResult, "description": "accepted; the router has not answered yet"},
    401: {"model": Problem, "description": "no credential sent"},
    403: FORBIDDEN,
    404: {
        "model": Problem,
        "description": "no such complaint, or none the caller may see (the same answer)",
    },
    409: {"model": Problem, "description": "not allowed in the complaint's state; the reason"},
    503: {"model": Problem, "description": "Kafka unreachable; nothing recorded"},
}
REPORTER_ANSWERS: dict[int | str, dict[str, object]] = {
    **{code: answer for code, answer in ANSWERS.items() if code != 403},
    404: {
        "model": Problem,
        "description": "no such complaint, or a reporter token that is not its reporter's "
        "(the same answer)",
    },
}


def _complaint(views: ComplaintViewsDep, tracking_id: str) -> ComplaintView:
    # As its status URL does: a complaint acted on the moment its 201 was sent is there.
    view = views.complaint(tracking_id) if is_tracking_id(tracking_id) else None
    if view is None:
        raise unknown_complaint(tracking_id)
    return view


# Who acts, proven, and on which complaint: one dependency per role.
def admins_complaint(
    tracking_id: TrackingIdPath, views: ComplaintViewsDep, _: NationalAdmin
) -> ComplaintView:
    return _complaint(views, tracking_id)


def agencys_complaint(
    tracking_id: TrackingIdPath, views: ComplaintViewsDep, store: ReadModelDep, agency: AgencyAdmin
) -> ComplaintView:
    """A complaint the read model shows the agency holding or copied on; any other is answered
    at once as an unknown one, with no command sent. Waiting for the router's verdict on it
    would answer 202 while the router is slow, where an unknown tracking id is 404 at once.

    The router stays the authority on what it is sent (its "not held" verdict is answered as
    an unknown tracking id is, Actions.submit). A read model that has not yet seen a transfer
    to the agency answers 404 until it catches up: nothing is recorded, and a retry succeeds.
    """
    view = _complaint(views, tracking_id)
    if not store.readable_by(agency, tracking_id):
        raise unknown_complaint(tracking_id)
    return view


def reporters_complaint(
    tracking_id: TrackingIdPath, token: ReporterTokenDep, views: ComplaintViewsDep
) -> ComplaintView:
    view = _complaint(views, tracking_id)
    if not proves_reporter(view, token):
        raise unknown_complaint(tracking_id)  # a rahasia complaint is not even confirmed
    return view


AdminsComplaint = Annotated[ComplaintView, Depends(admins_complaint)]
AgencysComplaint = Annotated[ComplaintView, Depends(agencys_complaint)]
ReportersComplaint = Annotated[ComplaintView, Depends(reporters_complaint)]


class Actions:
    """Send a command to the complaint's owner and answer with its verdict."""

    def __init__(
        self,
        filing: FilingDep,
        waiting: OutcomesDep,
        config: SettingsDep,
        store: ReadModelDep,
        response: Response,
    ) -> None:
        self.filing = filing
        self.waiting = waiting
        self.config = config
        self.store = store
        self.response = response

    async def submit(self, view: ComplaintView, action: Action) -> ActionResult:
        command = Command(
            id=uuid.uuid4(),
            complaint_id=uuid.UUID(view.complaint_id),
            issued_at=clock.now(),
            action=action,
        )
        verdict = self.waiting.expect(command.id)
        await self.filing.publisher.publish(Record(topics.COMMANDS, *encode_command(command)))
        outcome = await self.waiting.wait(command.id, verdict, self.config.action_wait_seconds)
        status_url = f"{self.filing.base_url}/v1/complaints/{view.tracking_id}"
        if outcome is None:
            self.response.status_code = status.HTTP_202_ACCEPTED
            return ActionResult(
                command_id=command.id,
                tracking_id=view.tracking_id,
                outcome="pending",
                status=None,
                status_url=status_url,
                detail="Accepted: the complaint's timeline shows the outcome shortly.",
            )
        if outcome.refusal == "not_held":
            self._refuse_not_held(view, action)
        if not outcome.accepted:
            raise HTTPException(
                409, f"Not done: {outcome.reason}. Nothing was recorded for {view.tracking_id}."
            )
        return ActionResult(
            command_id=command.id,
            tracking_id=view.tracking_id,
            outcome="accepted",
            status=outcome.status,
            status_url=status_url,
            detail="Recorded: the complaint's timeline shows it within seconds.",
        )

    def _refuse_not_held(self, view: ComplaintView, action: Action) -> None:
        """A copy (tembusan) is the agency's to read, not to act on; any other complaint it
        does not hold is answered as an unknown one."""
        agency_id = getattr(action, "agency_id", None)
        if agency_id is not None:
            seen = self.store.complaints(
                Scope(agency_id), ComplaintFilter(tracking_id=view.tracking_id)
            )
            if any(entry.tembusan for entry in seen.entries):
                raise HTTPException(
                    409,
                    "Not done: a copy (tembusan) is for information; only the agency that "
                    f"holds the complaint acts on it. Nothing was recorded for {view.tracking_id}.",
                )
        raise unknown_complaint(view.tracking_id)


ActionsDep = Annotated[Actions, Depends()]


def actions_of(request: Request) -> Actions:
    """The API's one path for commands, for a page's form (which has no `ActionsDep`)."""
    state = request.app.state
    return Actions(state.filing, state.outcomes, state.settings, state.read_model, Response())


# -- the national admin (KemenPANRB) -----------------------------------------------------

ADMIN = "/v1/admin/complaints/{tracking_id}"


@router.post(
    f"{ADMIN}/verify",
    summary="Verify a complaint; the router disposes it at once (when verification applies)",
    responses=ANSWERS,
)
async def verify(view: AdminsComplaint, act: ActionsDep) -> ActionResult:
    return await act.submit(view, Verify(admin=NATIONAL_ADMIN))


@router.post(
    f"{ADMIN}/reassign",
    summary="The national admin sends a complaint to an agency by hand",
    responses={**ANSWERS, 422: {"model": Problem, "description": "unknown agency"}},
)
async def reassign(
    body: ReassignRequest, view: AdminsComplaint, act: ActionsDep, in_force: DirectoryDep
) -> ActionResult:
    if body.agency_id not in in_force.agencies:
        raise HTTPException(422, f"There is no agency {body.agency_id!r} in the directory.")
    action = Reassign(agency_id=body.agency_id, admin=NATIONAL_ADMIN, reason=body.reason.strip())
    return await act.submit(view, action)


@router.post(
    f"{ADMIN}/postpone",
    summary="Tunda: wait for the reporter, with the clocks paused",
    responses=ANSWERS,
)
async def postpone(body: ReasonRequest, view: AdminsComplaint, act: ActionsDep) -> ActionResult:
    return await act.submit(view, Postpone(admin=NATIONAL_ADMIN, reason=body.reason.strip()))


@router.post(
    f"{ADMIN}/archive", summary="Archive a complaint (arsip), with the reason", responses=ANSWERS
)
async def archive(body: ReasonRequest, view: AdminsComplaint, act: ActionsDep) -> ActionResult:
    return await act.submit(view, Archive(admin=NATIONAL_ADMIN, reason=body.reason.strip()))


# -- the agency holding the complaint (its admin or pejabat penghubung) ------------------

AGENCY = "/v1/agencies/{agency_id}/complaints/{tracking_id}"


@router.post(
    f"{AGENCY}/decline",
    summary="Bukan wewenang: the complaint is not this agency's authority",
    description="The complaint goes to the next competent agency, never back to this one; "
    "after three declines the national admin decides.",
    responses=ANSWERS,
)
async def decline(
    agency_id: AgencyIdPath, body: DeclineRequest, view: AgencysComplaint, act: ActionsDep
) -> ActionResult:
    return await act.submit(view, Decline(agency_id=agency_id, reason=body.reason.strip()))


@router.post(
    f"{AGENCY}/acknowledge",
    summary="Take the complaint up (sedang diproses) and say how much work it takes",
    responses=ANSWERS,
)
async def acknowledge(
    agency_id: AgencyIdPath, body: AcknowledgeRequest, view: AgencysComplaint, act: ActionsDep
) -> ActionResult:
    return await act.submit(view, Acknowledge(agency_id=agency_id, tier=body.tier))


@router.post(
    f"{AGENCY}/request-information",
    summary="Ask the reporter for information; the clocks pause until the answer",
    responses=ANSWERS,
)
async def request_information(
    agency_id: AgencyIdPath, body: QuestionRequest, view: AgencysComplaint, act: ActionsDep
) -> ActionResult:
    question = body.question.strip()
    return await act.submit(view, RequestInformation(agency_id=agency_id, question=question))


@router.post(
    f"{AGENCY}/follow-up", summary="Post a tindak lanjut for the reporter", responses=ANSWERS
)
async def follow_up(
    agency_id: AgencyIdPath, body: MessageRequest, view: AgencysComplaint, act: ActionsDep
) -> ActionResult:
    return await act.submit(view, FollowUp(agency_id=agency_id, message=body.message.strip()))


@router.post(
    f"{AGENCY}/resolve",
    summary="The work is done (terdisposisi selesai); the reporter may reopen for a while",
    responses=ANSWERS,
)
async def resolve(
    agency_id: AgencyIdPath, body: MessageRequest, view: AgencysComplaint, act: ActionsDep
) -> ActionResult:
    return await act.submit(view, Resolve(agency_id=agency_id, message=body.message.strip()))


# -- the reporter (pelapor), proven by the reporter token -------------------------------

REPORTER = "/v1/complaints/{tracking_id}"


@router.post(
    f"{REPORTER}/reply",
    summary="The reporter answers a question or a follow-up",
    responses=REPORTER_ANSWERS,
)
async def reply(body: MessageRequest, view: ReportersComplaint, act: ActionsDep) -> ActionResult:
    return await act.submit(view, Reply(message=body.message.strip()))


@router.post(
    f"{REPORTER}/reopen",
    summary="The reporter is not satisfied: the agency works on (within the reply window)",
    responses=REPORTER_ANSWERS,
)
async def reopen(body: ReasonRequest, view: ReportersComplaint, act: ActionsDep) -> ActionResult:
    return await act.submit(view, Reopen(reason=body.reason.strip()))


@router.post(
    f"{REPORTER}/rating",
    summary="The reporter rates the answer, 1 to 5",
    responses=REPORTER_ANSWERS,
)
async def rate(body: RatingRequest, view: ReportersComplaint, act: ActionsDep) -> ActionResult:
    return await act.submit(view, Rate(score=body.score, comment=body.comment))


# -- routing rules ----------------------------------------------------------------------


class RulesPublished(BaseModel):
    directory_version: int
    rules_version: int
    detail: str


@router.put(
    "/v1/admin/routing-rules",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Publish a new version of the routing rules (national admin)",
    description="The rules apply to complaints routed from now on; complaints already "
    "routed keep the decision of the rules in force then, and a replay reproduces it.",
    responses={
        401: {"model": Problem},
        403: FORBIDDEN,
        409: {"model": Problem, "description": "not newer than the version in force"},
        422: {"model": Problem, "description": "rules that do not load"},
        503: {"model": Problem, "description": "Kafka unreachable, or no routing in force yet"},
    },
)
async def publish_rules(
    body: RulesDocument,
    config: SettingsDep,
    filing: FilingDep,
    _: NationalAdmin,
) -> RulesPublished:
    codes = {Refusal.NOTHING_IN_FORCE: 503, Refusal.NOT_NEWER: 409, Refusal.DOES_NOT_LOAD: 422}
    kafka = KafkaConnection.from_settings(config)
    try:
        published = await put_in_force(kafka, body, "national-admin", filing.base_url)
    except RulesRefused as refused:
        raise HTTPException(codes[refused.why], refused.detail) from refused
    return RulesPublished(
        directory_version=published.versions[0],
        rules_version=body.version,
        detail="Published: the router applies these rules to complaints routed from now on.",
    )
