"""The router's decision for one filed complaint, without any I/O."""

from dataclasses import dataclass

from shared.contracts.agency import routed_message
from shared.contracts.cloudevents import encode
from shared.domain.complaint import Complaint
from shared.domain.routing import Directory
from shared.kafka import topics
from shared.kafka.publisher import Record

SOURCE = "/pintu/router"


@dataclass(frozen=True)
class RoutingOutcome:
    agency_id: str
    records: tuple[Record, ...]


def route_filed(filed: Complaint.Filed, directory: Directory, base_url: str) -> RoutingOutcome:
    """ComplaintRouted on the log, and the complaint on the agency's topic."""
    complaint = filed.mutate(None)
    assert isinstance(complaint, Complaint)
    decision = directory.decide(complaint.category, complaint.region_code)
    complaint.route(decision.agency_id, decision.rule_id, decision.reason)
    (routed,) = complaint.new_events()
    assert isinstance(routed, Complaint.Routed)
    key, value = encode(routed, SOURCE, base_url)
    message = routed_message(complaint, routed, SOURCE, base_url)
    return RoutingOutcome(
        decision.agency_id,
        (
            Record(topics.EVENTS, key, value),
            Record(topics.routed(decision.agency_id), key, message.model_dump_json().encode()),
        ),
    )
