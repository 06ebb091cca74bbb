"""Tamper evidence for complaints.events: each event sealed, and chained to the one before it.

Every event of a complaint carries two CloudEvents extension attributes
(docs/contract.md, "Tamper evidence"; docs/decisions/0004):

- `hash`: sha256, in lowercase hex, of the RFC 8785 (JCS) canonical JSON of the whole
  envelope without `hash` itself (so `prevhash` and `data` are covered);
- `prevhash`: the `hash` of the same complaint's previous event; absent on its filing
  (sequence 1).

Changing one byte of an event's meaning breaks its `hash`; changing it and sealing it
again breaks its successor's `prevhash`; removing an event leaves a gap in `sequence`.

Pure: record values in, findings out. The verifier reads each value with `json.loads`
and nothing of Pintu's models, so it checks what is on the log, not what our classes
make of it, and an auditor can re-implement it from the contract alone.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

import orjson
import rfc8785

HASH = "hash"
PREVHASH = "prevhash"
FILED = "pintu.complaint.filed"


class ChainError(ValueError):
    """A writer was asked to chain an event to something that is not its predecessor."""


def digest(envelope: Mapping[str, Any]) -> str:
    """sha256 hex of the envelope's canonical JSON (RFC 8785), `hash` left out."""
    unsealed = {name: value for name, value in envelope.items() if name != HASH}
    return hashlib.sha256(canonical(unsealed)).hexdigest()


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON. The rfc8785 package is the reference; orjson writes the
    same bytes, some fifty times faster, whenever every key is ASCII and every number is one
    JCS and Python spell alike (tests/unit/test_chain.py holds the two to the same bytes),
    which is nearly every event: so the router seals at full speed."""
    if _spelled_alike(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            pass  # an integer beyond the doubles' exact ones: the reference refuses it
    return rfc8785.dumps(value)


def _spelled_alike(value: Any) -> bool:
    """Whether orjson writes `value` exactly as JCS does. Strings are escaped alike by both
    (the two-character escapes, \\u00xx for other controls, UTF-8 for the rest); keys
    sort alike when ASCII (JCS sorts by UTF-16 code unit, orjson by code point); numbers
    differ for integral floats (JCS "5", orjson "5.0"), in exponent form (JCS below 1e-6 and
    from 1e21, orjson below 1e-4 and from 1e16) and beyond the doubles' exact integers, which
    orjson is told to refuse (OPT_STRICT_INTEGER, in `canonical`), so they are not looked for
    here."""
    # A loop over a stack, not a recursion: it runs over every event the router appends.
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            if not all(map(str.isascii, item)):
                return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is float:
            if not _float_alike(item):
                return False
        else:
            return False  # anything else (subclasses too): the reference decides
    return True


def _float_alike(number: float) -> bool:
    return type(number) is not float or (not number.is_integer() and 1e-4 <= abs(number) < 1e16)


def seal(envelope: Mapping[str, Any], previous_hash: str | None) -> dict[str, Any]:
    """The envelope with `prevhash` (unless it is the complaint's first event) and `hash`."""
    sealed = {name: value for name, value in envelope.items() if name not in (HASH, PREVHASH)}
    if previous_hash is not None:
        sealed[PREVHASH] = previous_hash
    sealed[HASH] = digest(sealed)
    return sealed


def sealed_value(envelope: Mapping[str, Any], previous_hash: str | None) -> bytes:
    """The record value of an envelope (JSON-ready, without `hash` or `prevhash`), sealed: its
    canonical JSON with `prevhash` (unless it is the complaint's first event), then `hash` as
    the last member. Whatever order a reader keeps the members in, `digest` of what it reads
    gives `hash` back."""
    if previous_hash is not None:
        envelope = {**envelope, PREVHASH: previous_hash}
    body = canonical(envelope)
    seal_ = f'"{HASH}":"{hashlib.sha256(body).hexdigest()}"}}'.encode()
    return body[:-1] + (b"," if len(body) > 2 else b"") + seal_


class Link(NamedTuple):
    """What a complaint's next event is chained to: its last event's number and hash."""

    sequence: int
    hash: str


def link_of(previous: bytes) -> Link:
    """The link of a record value of the log, read whole. An event written before sealing has
    no `hash`: its digest is computed, so the first sealed event still covers the last
    unsealed one."""
    envelope = orjson.loads(previous)
    stored = envelope.get(HASH)
    return Link(envelope.get("sequence"), stored if isinstance(stored, str) else digest(envelope))


def sealed_link(value: bytes, sequence: int) -> Link:
    """The link of event number `sequence` as `sealed_value` wrote it, `hash` its last member:
    taken from its tail, without parsing it again."""
    if not value.endswith(b'"}') or value[-74:-66] != b'"' + HASH.encode() + b'":"':
        raise ValueError("not a value sealed by sealed_value")
    return Link(sequence, value[-66:-2].decode())


def chained_to(previous: Link, sequence: int) -> str:
    """What event number `sequence` carries as `prevhash`: the hash of `previous`, the
    complaint's event before it."""
    if previous.sequence != sequence - 1:
        raise ChainError(
            f"event #{sequence} cannot follow event #{previous.sequence} of its complaint"
        )
    return previous.hash


class Kind(StrEnum):
    ALTERED = "altered"
    MISSING = "missing"
    REORDERED = "reordered"
    DUPLICATE = "duplicate"
    UNSEALED = "unsealed"  # written before sealing: a note, not evidence of tampering


TAMPERING = frozenset({Kind.ALTERED, Kind.MISSING, Kind.REORDERED, Kind.DUPLICATE})


@dataclass(frozen=True)
class Finding:
    kind: Kind
    complaint_id: str
    sequence: int | None  # the event the finding is about (None: a record of no complaint)
    partition: int
    offset: int | None  # where that event is on the log; None when it is missing
    explanation: str
    tracking_id: str | None = None  # from the complaint's filing, when it was found


class LogRecord(Protocol):
    """What the verifier needs of a record (aiokafka's ConsumerRecord has it)."""

    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(slots=True)
class _Event:
    """What the verifier keeps of one event: where it is and how it is chained."""

    partition: int
    offset: int
    id: str | None  # the event id (CloudEvents `id`)
    digest: str | None  # None: its JSON cannot be canonicalised
    prevhash: str | None
    sealed: bool
    intact: bool  # its content matches its own `hash` (an unsealed event has none to match)


@dataclass(slots=True)
class _Complaint:
    complaint_id: str
    tracking_id: str | None = None
    events: dict[int, _Event] = field(default_factory=dict)
    highest: int = 0
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    events: int
    complaints: int
    findings: list[Finding]

    @property
    def intact(self) -> bool:
        """Nothing found but events written before sealing."""
        return not any(f.kind in TAMPERING for f in self.findings)


class Verifier:
    """Walks records in log order, complaint by complaint; `verdict()` once all were added.

    It keeps a few numbers per event (no values), so memory follows the events added:
    feed it one partition at a time (a complaint never leaves its partition).
    """

    def __init__(self) -> None:
        self._complaints: dict[str, _Complaint] = {}
        self._strays: list[Finding] = []  # records that belong to no complaint
        self._events = 0

    def add(self, record: LogRecord) -> None:
        self._events += 1
        where = f"partition {record.partition}, offset {record.offset}"
        key = record.key.decode(errors="replace") if record.key is not None else "(no key)"
        if record.value is None:
            self._stray(record, key, f"an empty record (tombstone) at {where}")
            return
        try:
            envelope = json.loads(record.value)
        except ValueError:
            self._stray(record, key, f"the record at {where} is not JSON")
            return
        subject = envelope.get("subject") if isinstance(envelope, dict) else None
        sequence = envelope.get("sequence") if isinstance(envelope, dict) else None
        if not isinstance(subject, str) or type(sequence) is not int or sequence < 1:
            self._stray(record, key, f"the record at {where} is not an event of a complaint")
            return
        complaint = self._complaints.get(subject)
        if complaint is None:
            complaint = self._complaints[subject] = _Complaint(subject)
        if record.key != subject.encode():
            self._find(
                complaint,
                Kind.ALTERED,
                sequence,
                record,
                f"event #{sequence} is about complaint {subject} but filed under key {key!r}",
            )
        self._event(complaint, sequence, envelope, record)

    def verdict(self) -> Verdict:
        findings = list(self._strays)
        for complaint in self._complaints.values():
            found = complaint.findings + _missing_and_unsealed(complaint)
            findings += sorted(
                (replace(f, tracking_id=complaint.tracking_id) for f in found),
                key=lambda f: (f.sequence or 0, f.offset if f.offset is not None else -1),
            )
        return Verdict(self._events, len(self._complaints), findings)

    def _event(
        self, complaint: _Complaint, sequence: int, envelope: dict[str, Any], record: LogRecord
    ) -> None:
        try:
            computed: str | None = digest(envelope)
        except (rfc8785.CanonicalizationError, TypeError, ValueError):
            computed = None
        stored, prevhash = envelope.get(HASH), envelope.get(PREVHASH)
        sealed = HASH in envelope
        event_id = envelope.get("id")
        event = _Event(
            partition=record.partition,
            offset=record.offset,
            id=event_id if isinstance(event_id, str) else None,
            digest=computed,
            prevhash=prevhash if isinstance(prevhash, str) else None,
            sealed=sealed,
            intact=not sealed or (computed is not None and stored == computed),
        )
        earlier = complaint.events.get(sequence)
        if earlier is not None:
            same = earlier.digest is not None and earlier.digest == computed
            retried = sequence == 1 and earlier.id is not None and earlier.id == event.id
            self._find(
                complaint,
                Kind.DUPLICATE,
                sequence,
                record,
                f"event #{sequence} is on the log again"
                f" ({'an identical copy' if same else 'a different event with the same number'};"
                f" the first is at partition {earlier.partition}, offset {earlier.offset})"
                + (
                    "; it has the first's event id, as a filing retried after its first"
                    " commit was lost in flight would: readers keep the first"
                    if retried and not same
                    else ""
                ),
            )
            return
        if sequence < complaint.highest:
            self._find(
                complaint,
                Kind.REORDERED,
                sequence,
                record,
                f"event #{sequence} comes after event #{complaint.highest} on the log",
            )
        complaint.events[sequence] = event
        complaint.highest = max(complaint.highest, sequence)
        if complaint.tracking_id is None and envelope.get("type") == FILED:
            data = envelope.get("data")
            tracking_id = data.get("tracking_id") if isinstance(data, dict) else None
            complaint.tracking_id = tracking_id if isinstance(tracking_id, str) else None

        if sealed and computed is None:
            self._find(
                complaint,
                Kind.ALTERED,
                sequence,
                record,
                f"event #{sequence} is not JSON that RFC 8785 can canonicalise,"
                " so it is not what was sealed",
            )
        elif not event.intact:
            self._find(
                complaint,
                Kind.ALTERED,
                sequence,
                record,
                f"event #{sequence} has been changed since it was written:"
                " its content no longer matches its own hash",
            )
        if sequence == 1 and PREVHASH in envelope:
            self._find(
                complaint,
                Kind.ALTERED,
                sequence,
                record,
                "event #1 names an event before it, but nothing comes before a complaint's first",
            )
        elif sequence > 1 and sealed and event.prevhash is None:
            self._find(
                complaint,
                Kind.ALTERED,
                sequence,
                record,
                f"event #{sequence} is sealed but not chained to event #{sequence - 1}"
                " (its prevhash was removed)",
            )
        self._link(complaint, sequence)
        self._link(complaint, sequence + 1)

    def _link(self, complaint: _Complaint, sequence: int) -> None:
        """Does event #sequence's prevhash name event #sequence-1 as it is on the log?"""
        successor = complaint.events.get(sequence)
        predecessor = complaint.events.get(sequence - 1)
        if successor is None or predecessor is None or successor.prevhash is None:
            return
        if not (successor.intact and predecessor.intact) or predecessor.digest is None:
            return  # already found altered; one finding per change
        if successor.prevhash != predecessor.digest:
            complaint.findings.append(
                Finding(
                    Kind.ALTERED,
                    complaint.complaint_id,
                    sequence - 1,
                    predecessor.partition,
                    predecessor.offset,
                    f"event #{sequence - 1} is not the event that #{sequence} was chained to"
                    f" when #{sequence} was written: #{sequence - 1} was changed (and sealed"
                    " again), or replaced",
                )
            )

    def _find(
        self,
        complaint: _Complaint,
        kind: Kind,
        sequence: int,
        record: LogRecord,
        explanation: str,
    ) -> None:
        complaint.findings.append(
            Finding(
                kind, complaint.complaint_id, sequence, record.partition, record.offset, explanation
            )
        )

    def _stray(self, record: LogRecord, key: str, explanation: str) -> None:
        self._strays.append(
            Finding(
                Kind.ALTERED,
                key,
                None,
                record.partition,
                record.offset,
                f"{explanation}: no Pintu writer puts such a record on the log",
            )
        )


def _missing_and_unsealed(complaint: _Complaint) -> list[Finding]:
    """What only the whole complaint shows: numbers never seen, and seals never made."""
    events, found = complaint.events, []
    for sequence in range(1, complaint.highest):
        if sequence not in events:
            later = next(s for s in range(sequence + 1, complaint.highest + 1) if s in events)
            found.append(
                Finding(
                    Kind.MISSING,
                    complaint.complaint_id,
                    sequence,
                    events[later].partition,
                    None,
                    f"event #{sequence} is not on the log, though event #{later} after it is"
                    f" (at offset {events[later].offset})",
                )
            )
    first_sealed = min((s for s, e in events.items() if e.sealed), default=None)
    legacy = sorted(s for s, e in events.items() if not e.sealed)
    for sequence in legacy:
        if first_sealed is not None and sequence > first_sealed:
            found.append(
                Finding(
                    Kind.ALTERED,
                    complaint.complaint_id,
                    sequence,
                    events[sequence].partition,
                    events[sequence].offset,
                    f"event #{sequence} carries no seal although event #{first_sealed} before it"
                    " does: its seal was removed (or a writer older than sealing wrote it during"
                    " an upgrade)",
                )
            )
    old = [s for s in legacy if first_sealed is None or s < first_sealed]
    if old:
        span = (
            f"event #{old[0]} carries" if len(old) == 1 else f"events #{old[0]} to #{old[-1]} carry"
        )
        found.append(
            Finding(
                Kind.UNSEALED,
                complaint.complaint_id,
                old[0],
                events[old[0]].partition,
                events[old[0]].offset,
                f"{span} no seal: written before Pintu sealed its events; their numbering is"
                " checked, their content cannot be"
                + (
                    f", but for #{old[-1]}: #{first_sealed} is chained to it"
                    if first_sealed is not None
                    and first_sealed == old[-1] + 1
                    and events[first_sealed].prevhash is not None
                    else ""
                ),
            )
        )
    return found


def verify(records: Iterable[LogRecord]) -> Verdict:
    """Every finding about `records`, read in log order."""
    verifier = Verifier()
    for record in records:
        verifier.add(record)
    return verifier.verdict()
