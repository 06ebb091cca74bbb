"""The router's snapshot of a complaint: the whole aggregate, back as it was, in one format."""

import copy

from services.router import state
from shared.contracts.chain import link_of
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Attachment, Channel, Complaint, ReportType, Status
from shared.domain.deadlines import REPLY_WINDOW
from shared.domain.identity import SealedIdentity
from shared.domain.model import Aggregate, DomainEvent
from tests.unit.test_cloudevents import events_of_a_long_life

BASE = ("/pintu/test", "http://t")


def lives() -> list[list[DomainEvent]]:
    """A long life through most event types, and a filing with every optional field set."""
    full = Complaint(
        tracking_id="SNAPSHOT22",
        report_type=ReportType.INFORMATION_REQUEST,
        title="Informasi anggaran",
        description="Mohon rincian",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.SMS,
        agency_hint="pemkab-oku-timur",
        anonymous=True,
        confidential=True,
        address="Jl. Merdeka 1",
        latitude=-4.1,
        longitude=104.2,
        attachments=(Attachment(url="https://x/a.jpg", media_type="image/jpeg", size_bytes=3),),
        reporter=SealedIdentity(key_id="k1", nonce="n", ciphertext="c"),
        reporter_token_hash="h" * 64,
    )
    return [events_of_a_long_life(), full.new_events()]


def states_along(events: list[DomainEvent]) -> list[tuple[Complaint, str]]:
    """The complaint after each of its events, with its last event's hash."""
    out, complaint, previous = [], None, None
    for event in events:
        assert isinstance(event, Aggregate.Event)
        complaint = event.mutate(complaint)
        _, value = encode(event, *BASE, previous)
        previous = link_of(value)
        assert isinstance(complaint, Complaint)
        out.append((copy.deepcopy(complaint), previous.hash))  # events mutate it in place
    return out


def attributes(complaint: Complaint) -> dict[str, object]:
    return {k: v for k, v in vars(complaint).items() if k != "_pending_events"}


def test_a_snapshot_holds_every_attribute_the_events_set() -> None:
    seen = {
        name
        for life in lives()
        for complaint, _ in states_along(life)
        for name in vars(complaint)
        if not name.startswith("_")
    }
    assert seen == set(state.FIELDS)


def test_a_complaint_comes_back_from_its_snapshot_as_it_was_at_every_step() -> None:
    for life in lives():
        for complaint, last_hash in states_along(life):
            back, back_hash = state.restored(state.taken(complaint, last_hash))
            assert back_hash == last_hash
            assert attributes(back) == attributes(complaint)
            assert {type(v) for v in vars(back).values()} == {
                type(v) for v in vars(complaint).values()
            }


def test_a_restored_complaint_decides_as_the_original_would() -> None:
    life = events_of_a_long_life()
    before_rating = next(i for i, e in enumerate(life) if isinstance(e, Complaint.Rated))
    complaint, last_hash = states_along(life[:before_rating])[-1]
    back, _ = state.restored(state.taken(complaint, last_hash))
    back.rate(4, None)
    (rated,) = back.new_events()
    assert isinstance(rated, Complaint.Rated)
    assert rated.originator_version == life[before_rating].originator_version


def test_only_a_complaint_closed_for_good_is_settled() -> None:
    steps = states_along(events_of_a_long_life())
    closed = (Status.DISPOSED_DONE, Status.ARCHIVED)
    for complaint, _ in steps:
        if complaint.status not in closed or REPLY_WINDOW in complaint.deadlines:
            assert not complaint.settled  # open, or selesai with its reply window open
    assert any(c.status is Status.DISPOSED_DONE and not c.settled for c, _ in steps)
    assert steps[-1][0].status is Status.ARCHIVED and steps[-1][0].settled


def test_the_format_is_recognised_and_another_is_not() -> None:
    complaint, last_hash = states_along(events_of_a_long_life())[0]
    snapshot = state.taken(complaint, last_hash)
    assert state.in_format(snapshot) and state.in_format(state.partition_header())
    older = snapshot.replace(state.FORMAT_ID.encode(), b"0" * len(state.FORMAT_ID), 1)
    assert not state.in_format(older)
