"""A refusal reveals nothing: another agency's complaint, rahasia or not, is answered on every
agency route exactly as a tracking id that does not exist, and nothing is recorded, even while
the router is down."""

import asyncio
import time
import uuid

import httpx

from shared.adapters.kafka import topics
from shared.contracts.commands import decode_command
from shared.domain.tracking import new_tracking_id
from tests.e2e.test_complaint_journey import poll
from tests.e2e.test_transfers import ADMIN_KEY, AGENCY_KEY, EXTORTION_IN_OKU_TIMUR
from tests.support.platform import Platform
from tests.support.topics import read_all

HOLDER = "pemkab-oku-timur"
OTHER = "kemen-pu"  # a real agency in the directory, which does not hold the complaints
MESSAGE = {"message": "Tim kami sudah meninjau lokasi dan mencatat laporannya."}
ACTIONS = {
    "decline": {"reason": "Bukan wewenang kami menurut pembagian urusan."},
    "acknowledge": {"tier": "sederhana"},
    "request-information": {"question": "Mohon kirimkan foto lokasi kejadian."},
    "follow-up": MESSAGE,
    "resolve": MESSAGE,
}


def file_held(intake: httpx.Client, confidential: bool) -> tuple[str, str, str]:
    """A complaint the read model shows HOLDER holding: tracking id, complaint id, token."""
    filed = intake.post(
        "/v1/complaints", json={**EXTORTION_IN_OKU_TIMUR, "confidential": confidential}
    )
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    token = {"X-Reporter-Token": receipt["reporter_token"]}
    poll(
        lambda: intake.get(f"/v1/complaints/{receipt['tracking_id']}", headers=token),
        lambda r: r.status_code == 200 and r.json()["agency_id"] == HOLDER,
    )
    return receipt["tracking_id"], receipt["complaint_id"], receipt["reporter_token"]


def answers(intake: httpx.Client, tracking_id: str) -> dict[str, tuple[int, str, str]]:
    """Every agency route's answer to OTHER about `tracking_id`, the id itself blanked out."""
    base = f"/v1/agencies/{OTHER}/complaints/{tracking_id}"
    responses = {"read": intake.get(base, headers=AGENCY_KEY)}
    for action, body in ACTIONS.items():
        responses[action] = intake.post(f"{base}/{action}", json=body, headers=AGENCY_KEY)
    return {
        route: (r.status_code, r.headers["content-type"], r.text.replace(tracking_id, "<id>"))
        for route, r in responses.items()
    }


async def test_another_agencys_complaint_is_answered_as_one_that_does_not_exist(
    platform: Platform, kafka: str
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=20)
    public = file_held(intake, confidential=False)
    rahasia = file_held(intake, confidential=True)
    before = await read_all(kafka, topics.EVENTS)

    unknown = answers(intake, new_tracking_id())
    assert {status for status, _, _ in unknown.values()} == {404}
    assert {kind for _, kind, _ in unknown.values()} == {"application/problem+json"}
    for tracking_id, _, _ in (public, rahasia):
        assert answers(intake, tracking_id) == unknown

    after = await read_all(kafka, topics.EVENTS)
    for _, complaint_id, _ in (public, rahasia):
        key = complaint_id.encode()
        assert [r.value for r in after if r.key == key] == [r.value for r in before if r.key == key]
    timeline = intake.get(f"/v1/complaints/{public[0]}").json()["timeline"]
    assert not any(item["event_type"].endswith(("declined", "acknowledged")) for item in timeline)


async def test_a_reporter_action_without_the_token_is_401_and_with_a_wrong_one_404(
    platform: Platform,
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=20)
    tracking_id, _, _ = file_held(intake, confidential=True)
    reply = {"message": "Foto lokasi sudah saya kirimkan lewat surel."}
    path = f"/v1/complaints/{tracking_id}/reply"
    missing = intake.post(path, json=reply)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = intake.post(path, json=reply, headers={"X-Reporter-Token": "tebakan"})
    unknown_id = new_tracking_id()
    unknown = intake.post(
        f"/v1/complaints/{unknown_id}/reply", json=reply, headers={"X-Reporter-Token": "tebakan"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.text.replace(tracking_id, "<id>") == unknown.text.replace(unknown_id, "<id>")


async def test_while_the_router_is_down_another_agency_is_refused_at_once_and_sends_nothing(
    platform: Platform, kafka: str
) -> None:
    """Waiting for the router's verdict would answer another agency 202 while the router is
    slow, where an unknown tracking id is 404 at once: intake refuses it up front instead."""
    intake = httpx.Client(base_url=platform.intake_url, timeout=30)
    tracking_id, complaint_id, token = file_held(intake, confidential=True)
    base = f"/v1/agencies/{HOLDER}/complaints/{tracking_id}"
    platform.kill("router")
    try:
        started = time.monotonic()
        unknown = answers(intake, new_tracking_id())
        not_ours = answers(intake, tracking_id)
        # Every one answered at once, far within the wait for a verdict (10 s each).
        assert time.monotonic() - started < 5
        assert not_ours == unknown
        assert {status for status, _, _ in unknown.values()} == {404}

        # Those who may act are heard as before: the command is sent, the verdict pending.
        async with httpx.AsyncClient(base_url=platform.intake_url, timeout=30) as client:
            sent = await asyncio.gather(
                client.post(f"{base}/acknowledge", json={"tier": "sederhana"}, headers=AGENCY_KEY),
                client.post(f"/v1/admin/complaints/{tracking_id}/verify", headers=ADMIN_KEY),
                client.post(
                    f"/v1/complaints/{tracking_id}/rating",
                    json={"score": 4},
                    headers={"X-Reporter-Token": token},
                ),
            )
        assert [(r.status_code, r.json()["outcome"]) for r in sent] == [(202, "pending")] * 3
    finally:
        platform.start("router")

    key = complaint_id.encode()
    commands = [r for r in await read_all(kafka, topics.COMMANDS) if r.key == key]
    assert sorted(decode_command(r.value).id for r in commands) == sorted(
        uuid.UUID(r.json()["command_id"]) for r in sent
    )
    # The router decides them once it is back: the holder's acknowledgement is recorded
    # (verifying a routed complaint, or rating one not done, is refused), nothing of OTHER's.
    token_header = {"X-Reporter-Token": token}
    status = poll(
        lambda: intake.get(f"/v1/complaints/{tracking_id}", headers=token_header),
        lambda r: any(i["event_type"].endswith("acknowledged") for i in r.json()["timeline"]),
    )
    assert status.json()["agency_id"] == HOLDER
    events = [r for r in await read_all(kafka, topics.EVENTS) if r.key == key]
    assert not any(OTHER.encode() in r.value for r in events)
