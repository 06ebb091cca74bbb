"""What intake answers about one complaint: read-your-writes over the read model.

The read model trails the log by a moment (more under load, all of it while the projection
worker is down). A complaint it has not projected yet is answered from intake's own record
of the filing (services/intake/store.py), projected in memory by the same code, so the
answer is the one the read model gives once it catches up. That record is in the platform
database every replica shares, so a status URL answers from the moment its 201 was sent,
whichever replica the filer's next request reaches, with no waiting and no 404.
"""

from typing import Annotated

from fastapi import Depends, Request

from services.intake.store import IntakeStore
from shared.projections.inbox import ComplaintView, InboxStore, PublicRequest, just_filed


class ComplaintViews:
    def __init__(self, read_model: InboxStore, filings: IntakeStore) -> None:
        self.read_model = read_model
        self.filings = filings

    def complaint(self, tracking_id: str) -> ComplaintView | None:
        """Status and timeline, rahasia ones included (the caller checks who may see them)."""
        view = self.read_model.complaint(tracking_id)
        if view is not None:
            return view
        record = self.filings.filing(tracking_id)
        return None if record is None else just_filed(record).complaint

    def public_request(self, tracking_id: str) -> PublicRequest | None:
        """The complaint as anyone may see it; None for a rahasia one, as for none at all."""
        if self.read_model.complaint(tracking_id) is not None:
            rows = self.read_model.public_requests(tracking_ids=[tracking_id], limit=1)
            return rows[0] if rows else None
        record = self.filings.filing(tracking_id)
        return None if record is None else just_filed(record).public

    def public_request_by_complaint_id(self, complaint_id: str) -> PublicRequest | None:
        found = self.read_model.public_request_by_complaint_id(complaint_id)
        if found is not None:
            return found
        record = self.filings.filing_by_complaint_id(complaint_id)
        if record is None:
            return None
        return just_filed(record).public  # None for a rahasia one: set at filing, for good


def complaint_views(request: Request) -> ComplaintViews:
    return request.app.state.views  # type: ignore[no-any-return]


ComplaintViewsDep = Annotated[ComplaintViews, Depends(complaint_views)]
