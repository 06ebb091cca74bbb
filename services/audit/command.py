"""`pintu audit verify` and `pintu audit export <tracking_id>`: the log's chain of hashes,
checked from offset 0 (docs/contract.md, "Tamper evidence"; docs/operations.md)."""

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.errors import KafkaError
from tqdm import tqdm

from services.audit.reader import LogReader, LogUnreadable, Record
from services.audit.report import (
    Entry,
    History,
    finding_lines,
    history_html,
    history_json,
    verdict_sentence,
)
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection, KafkaSignInFailed
from shared.config import Settings
from shared.contracts.chain import FILED, Kind, Verdict, Verifier
from shared.domain.tracking import ALPHABET, is_tracking_id

CLEAN, FOUND, UNUSABLE = (
    0,
    1,
    2,
)  # exit codes: intact; tampering found (or no such complaint); usage


def arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="audit", required=True, metavar="action")
    verify = actions.add_parser(
        "verify", help="walk the whole log and report any altered, missing or reordered event"
    )
    verify.add_argument("--topic", default=topics.EVENTS, help="default: %(default)s")
    export = actions.add_parser(
        "export", help="write one complaint's whole history as <tracking_id>.json and .html"
    )
    export.add_argument(
        "tracking_id", type=_tracking_id, help="the tracking id given at filing, e.g. 5XW2KTAPJ2"
    )
    export.add_argument("--out", type=Path, default=Path("."), help="folder (default: here)")
    export.add_argument("--topic", default=topics.EVENTS, help="default: %(default)s")


def _tracking_id(text: str) -> str:
    # Checked before anything is read: it also names the files written.
    if not is_tracking_id(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tracking id (10 characters of {ALPHABET}, the last a check"
            " character); check it for a typo"
        )
    return text


def run(settings: Settings, args: argparse.Namespace) -> int:
    # aiokafka's own retries would talk over the answer; a failure is said once, below.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    connection = KafkaConnection.from_settings(settings)
    try:
        if args.audit == "verify":
            return asyncio.run(verify(connection, args.topic))
        return asyncio.run(export(connection, args.topic, args.tracking_id, args.out))
    except KafkaSignInFailed:
        raise  # the cli says why, exit 2
    except (KafkaError, LogUnreadable, OSError) as error:  # OSError: the network's
        print(
            f"pintu audit: cannot read {args.topic} at {connection.describe()}: {error}",
            file=sys.stderr,
        )
        return UNUSABLE


async def verify(connection: KafkaConnection, topic: str) -> int:
    async with LogReader(connection, topic) as reader:
        extents = await reader.extents()
        total = Verdict(events=0, complaints=0, findings=[])
        with tqdm(
            total=sum(e.size for e in extents),
            desc=f"verifying {topic}",
            unit=" offsets",
            file=sys.stderr,
            mininterval=1.0,
        ) as bar:
            # A complaint never leaves its partition: one verifier per partition bounds memory.
            for extent in extents:
                verifier = Verifier()
                async for record in reader.records(extent, bar.update):
                    verifier.add(record)
                total = _joined(total, verifier.verdict())
    print(
        f"{topic}: {total.events} records of {total.complaints} complaints on"
        f" {len(extents)} partitions, read from offset 0 to the end they had at the start"
        f" (partition:end {' '.join(f'{e.partition}:{e.end}' for e in extents)})."
    )
    tampering = [f for f in total.findings if f.kind is not Kind.UNSEALED]
    for finding in tampering:
        print(finding_lines(finding))
    unsealed = [f for f in total.findings if f.kind is Kind.UNSEALED]
    if unsealed:
        print(
            f"Note: {len(unsealed)} complaints have events written before Pintu sealed its"
            " events (unsealed): their numbering is checked, their content cannot be."
        )
    print(f"Verdict: {verdict_sentence(total)}")
    return CLEAN if total.intact else FOUND


async def export(connection: KafkaConnection, topic: str, tracking_id: str, out: Path) -> int:
    async with LogReader(connection, topic) as reader:
        extents = await reader.extents()
        found = None
        for extent in extents:  # its filing names the tracking id, and so the complaint
            async with aclosing(reader.records(extent)) as records:
                async for record in records:
                    complaint_id = _filing_of(record, tracking_id)
                    if complaint_id is not None:
                        found = (extent, complaint_id)
                        break
            if found is not None:
                break
        if found is None:
            print(
                f"pintu audit: no complaint with tracking id {tracking_id!r} on {topic}",
                file=sys.stderr,
            )
            return FOUND
        extent, complaint_id = found
        verifier, entries = Verifier(), []
        async for record in reader.records(extent):
            if _about(record, complaint_id):
                verifier.add(record)  # it also reports what is not an event
                with contextlib.suppress(ValueError):
                    value = json.loads(record.value or b"null")
                    if isinstance(value, dict):
                        entries.append(Entry(record.partition, record.offset, value))
    history = History(tracking_id, complaint_id, topic, entries, verifier.verdict())
    now = datetime.now(UTC)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{tracking_id}.json").write_text(history_json(history, now), encoding="utf-8")
        (out / f"{tracking_id}.html").write_text(history_html(history, now), encoding="utf-8")
    except OSError as error:
        print(f"pintu audit: cannot write the export into {out}: {error}", file=sys.stderr)
        return UNUSABLE
    print(f"{tracking_id}: {len(entries)} events written to {out / tracking_id}.json and .html")
    print(f"Verdict: {verdict_sentence(history.verdict)}")
    return CLEAN if history.verdict.intact else FOUND


def _filing_of(record: Record, tracking_id: str) -> str | None:
    """The complaint id, when the record is the filing with that tracking id."""
    if record.value is None or tracking_id.encode() not in record.value:
        return None  # most records: no need to read them
    try:
        envelope = json.loads(record.value)
    except ValueError:
        return None
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if envelope.get("type") != FILED or not isinstance(data, dict):
        return None
    subject = envelope.get("subject")
    return subject if data.get("tracking_id") == tracking_id and isinstance(subject, str) else None


def _about(record: Record, complaint_id: str) -> bool:
    """Keyed to the complaint, or naming it as its subject under another key."""
    if record.key == complaint_id.encode():
        return True
    if record.value is None or complaint_id.encode() not in record.value:
        return False
    try:
        envelope = json.loads(record.value)
    except ValueError:
        return False
    return isinstance(envelope, dict) and envelope.get("subject") == complaint_id


def _joined(first: Verdict, second: Verdict) -> Verdict:
    return Verdict(
        first.events + second.events,
        first.complaints + second.complaints,
        first.findings + second.findings,
    )
