"""The router's decision for one filed complaint, without any I/O."""

from shared.domain.complaint import Complaint
from shared.domain.routing import Directory


def route_filed(filed: Complaint.Filed, directory: Directory) -> Complaint.Routed:
    """ComplaintRouted for a filed complaint: the agency that must act, and why."""
    complaint = filed.mutate(None)
    assert isinstance(complaint, Complaint)
    decision = directory.decide(complaint.category, complaint.region_code)
    complaint.route(decision.agency_id, decision.rule_id, decision.reason)
    (routed,) = complaint.new_events()
    assert isinstance(routed, Complaint.Routed)
    return routed
