"""From the log to the outbox: the deliveries a batch of events owes, queued in one
transaction before the batch's offset is committed (an acknowledged event is never lost).

A batch is one partition's records of one poll, in log order: a complaint's filing is
remembered before its routing is planned, within the same transaction. Redelivered after a
crash or a rebalance, a batch queues nothing twice (the outbox's key) and writes the same
rows again (services/notifier/reports.py).
"""

from collections.abc import Sequence

from sqlalchemy import Engine

from services.notifier import plan
from services.notifier.agency import CHANGES_HOLDER, TELLS_HOLDER, new_holder, notifications
from services.notifier.outbox import Delivery, Outbox
from services.notifier.reporter import kind_of
from services.notifier.reports import Known, Reports
from shared.domain.complaint import Complaint
from shared.domain.model import DomainEvent
from shared.domain.routing import Directory

Logged = tuple[str, DomainEvent]  # the event's CloudEvent id, and the event


class Queueing:
    def __init__(self, database: Engine, reports: Reports, endpoints: plan.Endpoints) -> None:
        self._db = database
        self._reports = reports
        self._endpoints = endpoints

    def queue(self, events: Sequence[Logged], directory: Directory) -> set[str]:
        """Queue what `events` owe; the endpoints that have new deliveries to drain."""
        woken: set[str] = set()
        with self._db.begin() as c:
            for event_id, event in events:
                complaint_id = str(event.originator_id)
                if isinstance(event, Complaint.Filed):
                    self._reports.remember(
                        c, complaint_id, event.tracking_id, event.title, event.reporter
                    )
                for_reporter = kind_of(event) is not None
                tells_someone = isinstance(event, TELLS_HOLDER) or bool(notifications(event, None))
                known = None
                if for_reporter or tells_someone:  # the one read of the complaint's row
                    known = self._reports.find(c, complaint_id)
                if known is not None:
                    for delivery in self._owed(event, event_id, known, for_reporter, directory):
                        if Outbox.queue(c, delivery):
                            woken.add(delivery.endpoint)
                if isinstance(event, CHANGES_HOLDER):
                    self._reports.hand_over(c, complaint_id, new_holder(event))
        return woken

    def _owed(
        self,
        event: DomainEvent,
        event_id: str,
        known: Known,
        for_reporter: bool,
        directory: Directory,
    ) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for notification in notifications(event, known.holder):
            deliveries += plan.for_agency(
                notification, event, event_id, known.tracking_id, directory, self._endpoints
            )
        if for_reporter:
            reporter = self._reports.reporter(known)
            deliveries += plan.for_reporter(
                event, event_id, known, reporter, directory, self._endpoints
            )
        return deliveries
