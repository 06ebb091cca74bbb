"""Tamper evidence: every event sealed and chained; the verifier names what was changed."""

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts.chain import (
    ChainError,
    Finding,
    Kind,
    canonical,
    chained_to,
    digest,
    link_of,
    seal,
    verify,
)
from shared.contracts.cloudevents import CloudEvent, decode, encode
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.deadlines import STANDARD_POLICY, Tier

BASE = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Rec:
    """A record as read from the log (the verifier needs no more of aiokafka's)."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def complaint_events(
    tracking_id: str, latitude: float | None = -4.3236, longitude: float | None = 104.3558
) -> list[Any]:
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title="Jalan kabupaten berlubang",
        description="Jalan penghubung desa rusak berat; dua pengendara jatuh.",
        category="jalan-daerah",
        region_code="16.08",
        latitude=latitude,
        longitude=longitude,
        channel=Channel.WEB,
    )
    complaint.route("pemkab-oku-timur", "jalan-daerah@v1", "rule")
    complaint.acknowledge("pemkab-oku-timur", Tier.SIMPLE, STANDARD_POLICY)
    complaint.archive("admin", "Laporan ganda; lihat laporan sebelumnya.")
    # filed, routed (its two clocks in it), acknowledged, completion rescheduled, 2 stopped,
    # archived
    return list(complaint.new_events())


def written(tracking_id: str = "TRACK00001", events: list[Any] | None = None) -> list[bytes]:
    """A complaint's record values as the real writers encode them: each chained to the last."""
    values: list[bytes] = []
    for event in events if events is not None else complaint_events(tracking_id):
        values.append(
            encode(event, "/pintu/test", BASE, link_of(values[-1]) if values else None)[1]
        )
    return values


def on_log(values: list[bytes | None], partition: int = 0) -> list[Rec]:
    records = []
    for offset, value in enumerate(values):
        try:
            key = json.loads(value or b"")["subject"].encode()
        except ValueError:
            key = b"?"
        records.append(Rec(partition, offset, key, value))
    return records


def edit(value: bytes | None, change: Any) -> bytes:
    assert value is not None
    envelope = json.loads(value)
    change(envelope)
    return json.dumps(envelope).encode()


def kinds(findings: list[Finding]) -> list[tuple[Kind, int | None]]:
    return [(f.kind, f.sequence) for f in findings]


def test_each_event_carries_the_sha256_of_its_canonical_json_chained_to_the_one_before() -> None:
    values = written()
    envelopes = [json.loads(v) for v in values]
    assert "prevhash" not in envelopes[0]
    for before, envelope in itertools.pairwise(envelopes):
        assert envelope["prevhash"] == before["hash"]
    for envelope in envelopes:
        without = {k: v for k, v in envelope.items() if k != "hash"}
        assert envelope["hash"] == hashlib.sha256(rfc8785.dumps(without)).hexdigest()
    # The same digest an auditor gets without Pintu's code (no floats in this envelope:
    # RFC 8785 is then sorted, compact, UTF-8 JSON).
    routed = {k: v for k, v in envelopes[1].items() if k != "hash"}
    plain = json.dumps(routed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert envelopes[1]["hash"] == hashlib.sha256(plain.encode()).hexdigest()


def test_the_writer_chains_to_what_a_full_read_of_the_previous_event_says() -> None:
    # link_of reads a sealed value whole; text that looks like its members must not fool it.
    tricky = ',"sequence":99,"hash":"' + "a" * 64 + '"}'
    complaint = Complaint(
        tracking_id="TRACK0000T",
        report_type=ReportType.COMPLAINT,
        title=tricky,
        description=tricky,
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.WEB,
    )
    complaint.route("pemkab-oku-timur", "jalan-daerah@v1", tricky)
    complaint.archive(tricky, tricky)
    values = written(events=list(complaint.new_events()))
    for before, value in itertools.pairwise(values):
        previous = json.loads(before)
        assert json.loads(value)["prevhash"] == previous["hash"]
        assert chained_to(link_of(before), previous["sequence"] + 1) == previous["hash"]
        with pytest.raises(ChainError, match="cannot follow"):
            chained_to(link_of(before), previous["sequence"] + 2)
    # Written before sealing, or by another hand: read whole, its digest computed.
    plain = unsealed(values[2])
    assert chained_to(link_of(plain), 4) == digest(json.loads(plain))


def test_a_sealed_event_still_decodes_to_the_same_domain_event() -> None:
    events = complaint_events("TRACK00002")
    values = written(events=events)
    assert [decode(v) for v in values] == events
    envelope = CloudEvent.model_validate_json(values[1])
    assert envelope.prevhash == json.loads(values[0])["hash"]
    assert envelope.hash == json.loads(values[1])["hash"]


def test_an_envelope_without_a_seal_serialises_without_empty_attributes() -> None:
    envelope = CloudEvent.model_validate_json(
        edit(written()[0], lambda e: (e.pop("hash"), e.pop("prevhash", None)))
    )
    assert {"hash", "prevhash"}.isdisjoint(json.loads(envelope.model_dump_json()))


def test_a_writer_cannot_chain_an_event_to_one_that_is_not_its_predecessor() -> None:
    events = complaint_events("TRACK00003")
    values = written(events=events)
    with pytest.raises(ChainError, match="event #3 cannot follow event #1"):
        encode(events[2], "/pintu/test", BASE, link_of(values[0]))


def test_an_untouched_log_verifies_clean() -> None:
    verdict = verify(on_log([*written("TRACK00004")]))
    assert verdict.intact
    assert verdict.findings == []
    assert (verdict.events, verdict.complaints) == (7, 1)


def test_altered_data_names_the_complaint_and_the_event() -> None:
    values: list[bytes | None] = [*written("TRACK00005")]
    values[3] = edit(values[3], lambda e: e["data"].update(due_at="2099-01-01T00:00:00+07:00"))
    verdict = verify(on_log(values))
    assert not verdict.intact
    (finding,) = verdict.findings
    assert (finding.kind, finding.sequence, finding.offset) == (Kind.ALTERED, 4, 3)
    assert finding.tracking_id == "TRACK00005"
    assert finding.complaint_id == json.loads(written("TRACK00005")[0])["subject"]


def test_altered_and_sealed_again_is_found_through_its_successor() -> None:
    values: list[bytes | None] = [*written()]
    forged = edit(values[1], lambda e: e["data"].update(agency_id="kemen-pu"))
    values[1] = json.dumps(seal(json.loads(forged), json.loads(forged)["prevhash"])).encode()
    (finding,) = verify(on_log(values)).findings
    assert (finding.kind, finding.sequence, finding.offset) == (Kind.ALTERED, 2, 1)
    assert "#3 was chained to" in finding.explanation


def test_an_altered_hash_is_found() -> None:
    values: list[bytes | None] = [*written()]
    values[2] = edit(values[2], lambda e: e.update(hash="0" * 64))
    assert kinds(verify(on_log(values)).findings) == [(Kind.ALTERED, 3)]


def test_the_last_event_altered_without_sealing_again_is_found() -> None:
    values: list[bytes | None] = [*written()]
    values[-1] = edit(values[-1], lambda e: e["data"].update(reason="Sudah selesai."))
    assert kinds(verify(on_log(values)).findings) == [(Kind.ALTERED, 7)]


def test_a_deleted_middle_event_is_found_missing() -> None:
    values: list[bytes | None] = [*written("TRACK00006")]
    del values[2]
    (finding,) = verify(on_log(values)).findings
    assert (finding.kind, finding.sequence, finding.offset) == (Kind.MISSING, 3, None)
    assert finding.tracking_id == "TRACK00006"


def test_a_deleted_filing_is_found_missing_though_the_tracking_id_is_gone_with_it() -> None:
    values: list[bytes | None] = [*written()]
    del values[0]
    (finding,) = verify(on_log(values)).findings
    assert (finding.kind, finding.sequence, finding.tracking_id) == (Kind.MISSING, 1, None)


def test_reordered_events_are_found_and_not_called_missing() -> None:
    values: list[bytes | None] = [*written()]
    values[3], values[4] = values[4], values[3]
    assert kinds(verify(on_log(values)).findings) == [(Kind.REORDERED, 4)]


def test_a_duplicate_is_found() -> None:
    values: list[bytes | None] = [*written()]
    values.insert(4, values[1])
    (finding,) = verify(on_log(values)).findings
    assert (finding.kind, finding.sequence, finding.offset) == (Kind.DUPLICATE, 2, 4)
    assert "identical copy" in finding.explanation


def test_a_different_event_under_a_number_already_taken_is_a_duplicate_too() -> None:
    values: list[bytes | None] = [*written()]
    values.append(edit(values[-1], lambda e: e["data"].update(reason="lain")))
    assert kinds(verify(on_log(values)).findings) == [(Kind.DUPLICATE, 7)]
    assert "a different event" in verify(on_log(values)).findings[0].explanation


def test_a_filing_written_twice_is_a_duplicate_that_says_readers_keep_the_first() -> None:
    # A retry after a commit lost in flight files the same complaint (same event id) anew.
    again = encode(complaint_events("TRACK00001")[0], "/pintu/intake", BASE)[1]
    values: list[bytes | None] = [*written(), again]
    (finding,) = verify(on_log(values)).findings
    assert (finding.kind, finding.sequence) == (Kind.DUPLICATE, 1)
    assert "readers keep the first" in finding.explanation


def unsealed(value: bytes) -> bytes:
    """As the writers wrote before sealing: no hash, no prevhash."""
    return edit(value, lambda e: (e.pop("hash"), e.pop("prevhash", None)))


def test_events_written_before_sealing_are_reported_unsealed_not_tampered() -> None:
    values: list[bytes | None] = [unsealed(v) for v in written("TRACK00007")]
    verdict = verify(on_log(values))
    assert verdict.intact
    (finding,) = verdict.findings
    assert (finding.kind, finding.sequence, finding.tracking_id) == (
        Kind.UNSEALED,
        1,
        "TRACK00007",
    )
    assert "#1 to #7" in finding.explanation


def test_a_sealed_event_after_old_ones_covers_the_last_of_them() -> None:
    events = complaint_events("TRACK00008")
    old = [unsealed(v) for v in written(events=events)[:3]]
    values: list[bytes | None] = [*old]
    for event in events[3:]:
        values.append(encode(event, "/pintu/router", BASE, link_of(values[-1]))[1])
    verdict = verify(on_log(values))
    assert verdict.intact and kinds(verdict.findings) == [(Kind.UNSEALED, 1)]
    values[2] = edit(old[2], lambda e: e["data"].update(stage="completion"))
    assert kinds(verify(on_log(values)).findings) == [(Kind.UNSEALED, 1), (Kind.ALTERED, 3)]


def test_a_seal_stripped_from_a_later_event_is_tampering() -> None:
    values: list[bytes | None] = [*written()]
    values[4] = edit(values[4], lambda e: e.pop("hash"))
    assert kinds(verify(on_log(values)).findings) == [(Kind.ALTERED, 5)]


def test_interleaved_complaints_are_told_apart() -> None:
    first, second = written("TRACK0000A"), written("TRACK0000B")
    values: list[bytes | None] = [v for pair in zip(first, second, strict=True) for v in pair]
    values[7] = edit(values[7], lambda e: e["data"].update(reason="diubah"))  # B's #4
    (finding,) = verify(on_log(values)).findings
    assert (finding.tracking_id, finding.sequence, finding.offset) == ("TRACK0000B", 4, 7)


def test_a_record_that_is_no_event_is_found() -> None:
    values: list[bytes | None] = [*written(), b"not json", None]
    assert [(f.kind, f.offset) for f in verify(on_log(values)).findings] == [
        (Kind.ALTERED, 7),
        (Kind.ALTERED, 8),
    ]


def test_an_event_under_another_complaints_key_is_found() -> None:
    records = on_log([*written()])
    records[5] = Rec(0, 5, b"someone-else", records[5].value)
    assert kinds(verify(records).findings) == [(Kind.ALTERED, 6)]


@given(index=st.integers(min_value=0, max_value=6), text=st.text(min_size=1, max_size=20))
def test_any_one_change_to_any_events_data_is_found_at_that_event(index: int, text: str) -> None:
    values: list[bytes | None] = [*written()]
    values[index] = edit(values[index], lambda e: e["data"].update(audit_probe=text))
    assert kinds(verify(on_log(values)).findings) == [(Kind.ALTERED, index + 1)]


@given(index=st.integers(min_value=1, max_value=5))
def test_any_deleted_middle_event_is_found_missing(index: int) -> None:
    values: list[bytes | None] = [*written()]
    del values[index]
    assert kinds(verify(on_log(values)).findings) == [(Kind.MISSING, index + 1)]


def test_digest_leaves_out_only_the_hash() -> None:
    envelope = json.loads(written()[1])
    assert digest(envelope) == envelope["hash"]
    assert digest({**envelope, "prevhash": "x"}) != envelope["hash"]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(value=JSON_VALUES)
def test_the_fast_canonical_json_is_byte_for_byte_rfc8785(value: Any) -> None:
    assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("number", [5.0, 0.0, -0.0, 1e-7, 0.00012, 1e16, 1.5e21, -106.8272])
def test_numbers_spelled_differently_by_json_and_jcs_still_come_out_as_jcs(number: float) -> None:
    value = {"latitude": number, "ünïcode": "\x1f\u2028é", "n": [1, True, None]}
    assert canonical(value) == rfc8785.dumps(value)


def test_an_integer_beyond_what_jcs_can_spell_is_refused_as_rfc8785_refuses_it() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical({"size_bytes": 2**53 + 1})


@given(
    latitude=st.none() | st.floats(min_value=-11.0, max_value=6.0),
    longitude=st.none() | st.floats(min_value=94.0, max_value=142.0) | st.just(0.0),
)
def test_a_sealed_event_is_rfc8785_whatever_its_coordinates(
    latitude: float | None, longitude: float | None
) -> None:
    previous = None
    for event in complaint_events("TRACK00002", latitude, longitude):
        value = encode(event, "/pintu/test", BASE, link_of(previous) if previous else None)[1]
        members = {k: v for k, v in json.loads(value).items() if k != "hash"}
        assert value.startswith(rfc8785.dumps(members)[:-1])  # then `hash` as the last member
        previous = value
