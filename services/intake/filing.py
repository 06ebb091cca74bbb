"""Filing a complaint: the one path every door (the API, Open311) goes through."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from services.intake.schemas import ComplaintReceipt, ComplaintSubmission
from services.intake.store import IntakeStore
from services.intake.uploads import StoredFile
from shared import metrics
from shared.adapters.kafka import topics
from shared.adapters.kafka.publisher import Publisher, Record
from shared.adapters.sql.reporter_keys import KeyStore, fresh_key, seal_under
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Attachment, Complaint
from shared.logs import about_complaint

SOURCE = "/pintu/intake"


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different complaint."""


class IdempotencyInProgress(Exception):
    """A request with this Idempotency-Key is being filed right now; retry in a moment."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Filing:
    publisher: Publisher
    keys: KeyStore
    store: IntakeStore
    base_url: str

    async def file(
        self,
        submission: ComplaintSubmission,
        idempotency_key: str | None,
        links: Sequence[Attachment] = (),
        uploads: Sequence[StoredFile] = (),
    ) -> ComplaintReceipt:
        """Append ComplaintFiled; returns only once Kafka acknowledged it (acks=all) and
        intake recorded it, so the status URL answers at once on every replica.

        `links`: files a door passes on as bare links (Open311's media_url); `uploads`: files
        it received into the upload store, served at /berkas/<tracking id>/<sha256>. Both are
        attached after the submission's own."""
        reporter_token = secrets.token_urlsafe(24)
        body = ""
        if idempotency_key is not None:
            sent = submission.model_dump_json() + "".join(f.sha256 for f in uploads)
            body = hashlib.sha256(sent.encode()).hexdigest()
        reporter = submission.reporter
        reporter_key = fresh_key() if reporter else None
        # One write before the publish and one after (committed with others: group commit).
        claim = await self.store.write(
            self.store.reserve, idempotency_key, body, reporter_token, reporter_key
        )
        if claim.body_sha256 != body:
            raise IdempotencyConflict(
                "This Idempotency-Key was already used for a different complaint; "
                "use a new key for a new complaint."
            )
        if claim.receipt is not None:
            return ComplaintReceipt.model_validate_json(claim.receipt)
        if not claim.mine:
            raise IdempotencyInProgress(
                "A complaint with this Idempotency-Key is being filed right now; "
                "retry in a moment to get its answer."
            )
        # A retry after a failed publish files the same complaint (same tracking id, token and
        # event id), so even a first attempt whose commit did land is not doubled.
        tracking_id, reporter_token = claim.tracking_id, claim.reporter_token
        sealed = seal_under(reporter, *reporter_key) if reporter and reporter_key else None
        complaint = Complaint(
            tracking_id=tracking_id,
            report_type=submission.report_type,
            title=submission.title,
            description=submission.description,
            category=submission.category,
            region_code=submission.location.region_code,
            address=submission.location.address,
            latitude=submission.location.latitude,
            longitude=submission.location.longitude,
            channel=submission.channel,
            incident_date=submission.incident_date,
            agency_hint=submission.agency_hint,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            attachments=(
                *submission.attachments,
                *links,
                *(
                    Attachment(
                        url=f"{self.base_url}/berkas/{tracking_id}/{f.sha256}",
                        media_type=f.media_type,
                        size_bytes=f.size_bytes,
                        sha256=f.sha256,
                    )
                    for f in uploads
                ),
            ),
            reporter=sealed,
            reporter_token_hash=token_hash(reporter_token),
        )
        records = [
            Record(topics.EVENTS, *encode(event, SOURCE, self.base_url))
            for event in complaint.new_events()
        ]
        with about_complaint(complaint.id):
            try:
                await self.publisher.publish(*records)
            except BaseException:
                if idempotency_key is not None:
                    await self.store.write(self.store.release, idempotency_key)
                raise
        metrics.COMPLAINTS_FILED.labels(
            channel=complaint.channel.value, report_type=complaint.report_type.value
        ).inc()
        receipt = ComplaintReceipt(
            tracking_id=tracking_id,
            complaint_id=str(complaint.id),
            status=complaint.status.value,
            reporter_token=reporter_token,
            status_url=f"{self.base_url}/v1/complaints/{tracking_id}",
        )
        # Before the 201: the filer's next GET, on any replica, finds it here until the read
        # model has it (services/intake/views.py). A new complaint has one event.
        (filed,) = records
        await self.store.write(
            self.store.filed,
            tracking_id,
            str(complaint.id),
            filed.value,
            idempotency_key,
            receipt.model_dump_json(),
        )
        return receipt
