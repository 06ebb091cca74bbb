"""The read models' tables, on SQLite and PostgreSQL alike (SQLAlchemy Core).

Everything here is rebuilt from `complaints.events`: `pintu replay` proves it by
rebuilding them into a fresh store and comparing row for row.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# Bumped when a table changes shape: the projection worker then rebuilds from offset 0.
SCHEMA_VERSION = 5

METADATA = MetaData()
# eventsourcing's tracking records: (application_name, notification_id) = the Kafka stream
# "topic:partition" and the offset, written in the same transaction as the view change.
TRACKING = Table(
    "projection_tracking",
    METADATA,
    Column("application_name", String(255), primary_key=True),
    Column("notification_id", BigInteger, primary_key=True, autoincrement=False),
)
SCHEMA = Table(
    "projection_schema",
    METADATA,
    Column("version", Integer, primary_key=True, autoincrement=False),
)
COMPLAINTS = Table(
    "complaints",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("tracking_id", String(16), unique=True, nullable=False),
    Column("agency_id", String(120)),  # the holder; NULL while unrouted
    Column("status", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("category", String(80), nullable=False),
    Column("region_code", String(13), nullable=False),
    Column("agency_hint", String(120)),  # the reporter's guess at the agency: routing reads it
    Column("address", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("confidential", Boolean, nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("routing_rule", String(200)),
    Column("routed_at", DateTime(timezone=True)),  # to the present holder
    Column("first_response_at", DateTime(timezone=True)),  # the holder's first tindak lanjut
    Column("deadline_stage", String(40)),  # the holder's next deadline, and when it falls
    Column("deadline_at", DateTime(timezone=True)),
    # The holder's first follow-up deadline (Open311's expected_datetime), kept once met.
    Column("first_follow_up_due_at", DateTime(timezone=True)),
    Column("media_url", Text),  # the first attachment's link (Open311's media_url)
    Column("overdue", Boolean, nullable=False, default=False),
    Column("rating", Integer),
    Column("reporter_token_hash", String(64)),
    Column("anonymous", Boolean, nullable=False, default=False),
    # Who reported, sealed as on the log (a SealedIdentity's JSON): only the reporter keys
    # open it, and once its key is shredded nothing can.
    Column("reporter", Text),
    Column("version", Integer, nullable=False),  # the last event applied: a duplicate is older
    Index("complaints_by_agency", "agency_id", "filed_at"),
)
TIMELINE = Table(
    "timeline",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("event_type", String(80), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
)
# The open deadlines of each complaint, by stage: the inbox shows the holder's earliest.
DEADLINES = Table(
    "open_deadlines",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("stage", String(40), primary_key=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
)
# Every time a complaint left an agency: bukan wewenang, or reassigned by the national admin.
TRANSFERS = Table(
    "transfers",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("from_agency_id", String(120), nullable=False, index=True),
    Column("why", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
# Tembusan: agencies that receive a complaint for information, and may read it.
COPIES = Table(
    "copies",
    METADATA,
    Column("complaint_id", String(36), primary_key=True),
    Column("agency_id", String(120), primary_key=True, index=True),
)
