"""What Pintu counts, in the domain's words: served as /metrics on every process's port.

Each process increments the counters of what happens in it (the others stay at zero
there); Prometheus sums them across pods. Labels are few and bounded: channels, report
types, agency ids from the directory, event types, services.
"""

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.exposition import choose_encoder

# intake
COMPLAINTS_FILED = Counter(
    "pintu_complaints_filed",
    "Complaints accepted at intake: ComplaintFiled acknowledged by Kafka (acks=all).",
    ["channel", "report_type"],
)
PUBLISH_FAILURES = Counter(
    "pintu_publish_failures",
    "Publishes Kafka did not acknowledge; the caller was told (intake answered 503).",
    ["client"],
)
REQUESTS_SHED = Counter(
    "pintu_requests_shed",
    "Requests answered 503 at once because intake had as many in the works as it takes.",
)
# router
COMPLAINTS_ROUTED = Counter(
    "pintu_complaints_routed",
    "Complaints routed: ComplaintRouted recorded, by the agency that must act.",
    ["agency_id"],
)
TAKEOVER_RECORDS = Counter(
    "pintu_router_takeover_records",
    "Records read to take a partition over: of its state topic (source=state), or, where that"
    " state was in an older format, of the log itself (source=log).",
    ["source"],
)
RECALLS = Counter(
    "pintu_router_recalls",
    "Complaints closed for good read back from the log because a late command named one.",
)
FANOUT_DELIVERED = Counter(
    "pintu_fanout_delivered",
    "Routed complaints committed onto their agency's topic complaints.routed.<agency_id>.",
    ["agency_id"],
)
DEAD_LETTERS = Counter(
    "pintu_dead_letters",
    "Messages set aside on complaints.dlq.<service>, with the reason in a header.",
    ["service"],
)
DEADLINES_SCHEDULED = Counter(
    "pintu_deadlines_scheduled",
    "Deadlines recorded (by DeadlineScheduled or ComplaintRouted), by stage.",
    ["stage"],
)
# sla
DEADLINES_TRACKED = Counter(
    "pintu_deadlines_tracked",
    "Deadlines the SLA service holds for its timers, by stage.",
    ["stage"],
)
# notifier
NOTIFICATIONS_SENT = Counter(
    "pintu_notifications_sent",
    "Notifications accepted by their endpoint, by channel (webhook, email, sms).",
    ["channel"],
)
NOTIFICATIONS_FAILED = Counter(
    "pintu_notifications_failed",
    "Notifications dead-lettered after the last try or a refusal, by channel.",
    ["channel"],
)
# projections
EVENTS_PROJECTED = Counter(
    "pintu_events_projected",
    "Events applied to the read models (inboxes, timelines), by CloudEvents type.",
    ["type"],
)
# every process: outages of what it depends on (shared/outages.py)
OUTAGES = Counter(
    "pintu_dependency_outages",
    "Times a dependency (kafka, database) became unreachable from this process.",
    ["dependency"],
)
UNREACHABLE = Gauge(
    "pintu_dependency_unreachable",
    "1 while this process cannot reach the dependency (kafka, database), else 0.",
    ["dependency"],
)
RETRY_LINES_FOLDED = Counter(
    "pintu_dependency_retry_lines_folded",
    "Connection-retry log lines of the client libraries folded into an outage's summary.",
    ["dependency"],
)


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The registry in the format the scraper asked for (Prometheus text unless it asks for
    OpenMetrics), and its content type."""
    encode, content_type = choose_encoder(accept or "")
    return encode(REGISTRY), content_type
