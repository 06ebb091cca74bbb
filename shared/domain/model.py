"""Base classes binding `eventsourcing` aggregates to pydantic events.

Pydantic gives every event a schema we can publish and validate; eventsourcing
gives the aggregate mechanics (versions, mutation, reconstruction).
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict

from shared import clock


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime

    @staticmethod
    def create_timestamp() -> datetime:
        # Time is injected: events take their time from the one clock.
        return clock.now()


class Aggregate(BaseAggregate[UUID]):
    class Event(DomainEvent, CanMutateAggregate[UUID]):
        def apply(self, aggregate: Any) -> None:
            """Events without a decorated method body override this."""

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str

    def new_events(self) -> list[DomainEvent]:
        """The events recorded since the last call, ready to append to the log."""
        events = self.collect_events()
        assert all(isinstance(e, DomainEvent) for e in events)
        return [e for e in events if isinstance(e, DomainEvent)]
