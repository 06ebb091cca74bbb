"""The read model on both databases Pintu runs on: SQLite (one host) and PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, select

from shared.adapters.sql.database import DatabaseSchemaError, create_tables, open_database
from shared.contracts.cloudevents import TYPE_NAMES
from shared.domain.complaint import Channel, Complaint, ReportType, Status
from shared.domain.deadlines import FIRST_FOLLOW_UP
from shared.projections.inbox import Applied, ComplaintFilter, InboxStore, Scope, position
from shared.projections.projection import insert_rows
from shared.projections.tables import TIMELINE, TRACKING
from tests.support.databases import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return open_database(f"sqlite:///{tmp_path / 'pintu.sqlite3'}")
    return open_database(fresh_database(request.getfixturevalue("postgres")))


def events() -> list:  # type: ignore[type-arg]
    complaint = Complaint(
        tracking_id="QWERTY2345",
        report_type=ReportType.COMPLAINT,
        title="Sekolah pungli",
        description="Pungutan liar",
        category="pendidikan-menengah",
        region_code="32.04",
        channel=Channel.WEB,
        confidential=True,
    )
    complaint.route("pemprov-jawa-barat", "sekolah-menengah-jabar@v1", "rule")
    return complaint.new_events()


def test_the_inbox_shows_a_routed_complaint_once_even_when_events_are_redelivered(
    database: Engine,
) -> None:
    store = InboxStore(database)
    log = events()
    _, routed = log
    for offset, event in enumerate(log):
        assert store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 3, offset))
    # Redelivery after a crash: the same positions again change nothing.
    for offset, event in enumerate(log):
        assert not store.apply(
            event, TYPE_NAMES[type(event)], position("complaints.events", 3, offset)
        )

    (entry,) = store.inbox("pemprov-jawa-barat")
    assert entry.tracking_id == "QWERTY2345"
    assert entry.status is Status.DISPOSED_NOT_FOLLOWED_UP
    # The inbox shows the step the holder owes next, not the later completion deadline.
    assert isinstance(routed, Complaint.Routed)
    first_follow_up, _ = routed.deadlines
    assert first_follow_up.stage == FIRST_FOLLOW_UP
    assert entry.deadline_at == first_follow_up.due_at
    view = store.complaint("QWERTY2345")
    assert view is not None and [t.sequence for t in view.timeline] == [1, 2]
    assert view.confidential


def test_the_store_resumes_after_the_last_applied_offset(database: Engine) -> None:
    store = InboxStore(database)
    assert store.resume_offset("complaints.events", 3) is None
    filed, *_ = events()
    store.apply(filed, TYPE_NAMES[type(filed)], position("complaints.events", 3, 41))
    reopened = InboxStore(database)
    assert reopened.resume_offset("complaints.events", 3) == 42
    assert reopened.resume_offset("complaints.events", 4) is None


def test_public_requests_filter_by_instant_status_and_category_and_never_show_rahasia(
    database: Engine,
) -> None:
    store = InboxStore(database)
    wib = timezone(timedelta(hours=7))
    filed_at = {
        "PUBLIC0001": datetime(2026, 11, 10, 9, 0, tzinfo=wib),  # 02:00 UTC
        "PUBLIC0002": datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
        "RAHASIA001": datetime(2026, 11, 11, 9, 0, tzinfo=UTC),
    }
    for n, (tracking_id, moment) in enumerate(filed_at.items()):
        complaint = Complaint(
            tracking_id=tracking_id,
            report_type=ReportType.COMPLAINT,
            title="Lampu jalan padam",
            description="Sebulan padam",
            category="penerangan-jalan" if n else "jalan-daerah",
            region_code="16.08",
            channel=Channel.WEB,
            confidential=tracking_id.startswith("RAHASIA"),
        )
        (filed,) = complaint.new_events()
        dated = filed.model_copy(update={"timestamp": moment})
        store.apply(dated, TYPE_NAMES[type(filed)], position("complaints.events", n, 0))

    def found(**filters: object) -> list[str]:
        return [r.tracking_id for r in store.public_requests(**filters)]  # type: ignore[arg-type]

    assert found() == ["PUBLIC0002", "PUBLIC0001"]  # newest first, no rahasia
    # 02:30 UTC is after 09:00 WIB on the same day: instants compare, not wall clocks.
    assert found(filed_from=datetime(2026, 11, 10, 2, 30, tzinfo=UTC)) == ["PUBLIC0002"]
    assert found(filed_to=datetime(2026, 11, 10, 9, 0, tzinfo=wib)) == ["PUBLIC0001"]
    assert found(categories=["jalan-daerah"]) == ["PUBLIC0001"]
    assert found(statuses=[Status.UNVERIFIED], tracking_ids=["PUBLIC0002"]) == ["PUBLIC0002"]
    assert found(statuses=[Status.ARCHIVED]) == []
    assert store.public_request_by_complaint_id(str(complaint.id)) is None  # the rahasia one
    (first,) = store.public_requests(tracking_ids=["PUBLIC0001"])
    assert first.filed_at == filed_at["PUBLIC0001"]


def test_a_declined_complaint_leaves_the_agencys_inbox_for_the_next_one(database: Engine) -> None:
    store = InboxStore(database)
    complaint = Complaint(
        tracking_id="DECLINE002",
        report_type=ReportType.COMPLAINT,
        title="Jalan rusak",
        description="Jalan provinsi rusak",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.WEB,
    )
    complaint.route("pemkab-oku-timur", "jalan-daerah-oku-timur@v1", "rule")
    complaint.decline("pemkab-oku-timur", "jalan provinsi")
    events = complaint.new_events()
    for offset, event in enumerate(events):
        store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 5, offset))
    assert store.inbox("pemkab-oku-timur") == []
    view = store.complaint("DECLINE002")
    assert view is not None and view.status is Status.UNVERIFIED and view.agency_id is None
    assert view.deadline_at is None  # the decline stopped the agency's clocks

    complaint.route("pemprov-sumatera-selatan", "jalan-provinsi@v1", "rule")
    for offset, event in enumerate(complaint.new_events(), start=len(events)):
        store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 5, offset))
    assert [e.tracking_id for e in store.inbox("pemprov-sumatera-selatan")] == ["DECLINE002"]


def test_a_rebuild_empties_the_views_and_forgets_every_position(database: Engine) -> None:
    store = InboxStore(database)
    log = events()
    for offset, event in enumerate(log):
        store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 3, offset))
    store.rebuild()
    assert store.resume_offset("complaints.events", 3) is None  # the worker starts at 0
    assert store.complaint("QWERTY2345") is None
    # Replaying the log brings the same view back.
    for offset, event in enumerate(log):
        assert store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 3, offset))
    (entry,) = store.inbox("pemprov-jawa-barat")
    assert entry.tracking_id == "QWERTY2345"


def test_a_table_of_an_older_shape_is_refused_at_start_naming_what_is_missing(
    database: Engine,
) -> None:
    old = MetaData()
    Table("ledger_of_old", old, Column("event_id", String(36), primary_key=True))
    create_tables(database, old)
    new = MetaData()
    Table(
        "ledger_of_old",
        new,
        Column("event_id", String(36), primary_key=True),
        Column("holder", String(120)),
    )
    with pytest.raises(DatabaseSchemaError, match=r"ledger_of_old .* lacks holder"):
        create_tables(database, new)


def test_read_models_of_an_older_shape_rebuild_themselves(database: Engine) -> None:
    with database.begin() as c:
        c.exec_driver_sql("CREATE TABLE complaints (complaint_id VARCHAR(36) PRIMARY KEY)")
        c.exec_driver_sql("INSERT INTO complaints VALUES ('x')")
    store = InboxStore(database)  # no error: the worker rebuilds these
    assert store.ensure_schema() is True
    assert store.complaint("QWERTY2345") is None
    assert store.ensure_schema() is False  # once


def test_a_complaints_timeline_never_runs_ahead_of_its_status(database: Engine) -> None:
    """The row and its timeline are read one after the other: a projection committing in
    between (here, a timeline row written ahead of its complaint row) is not shown half."""
    store = InboxStore(database)
    filed, routed = events()
    store.apply(filed, TYPE_NAMES[type(filed)], position("complaints.events", 3, 0))
    with database.begin() as c:
        c.execute(
            TIMELINE.insert().values(
                complaint_id=str(routed.originator_id),
                sequence=routed.originator_version,
                event_type=TYPE_NAMES[type(routed)],
                at=routed.timestamp,
                detail="{}",
            )
        )
    view = store.complaint("QWERTY2345")
    assert view is not None and view.status is Status.UNVERIFIED
    assert [t.sequence for t in view.timeline] == [1]


def routed_complaints(store: InboxStore) -> None:
    """Four complaints of one agency: two categories, two regions; the words differ."""
    facts = [
        ("AAAAAAAAA1", "jalan-daerah", "16.08", "Jalan berlubang", "Lubang besar di 100% ruas"),
        ("AAAAAAAAA2", "jalan-daerah", "16.71", "Jembatan retak", "Retak sejak banjir"),
        ("AAAAAAAAA3", "kependudukan", "16.08", "KTP tak kunjung jadi", "Sudah tiga bulan"),
        ("AAAAAAAAA4", "kependudukan", "16.08.01", "Akta lahir", "Jalan ke kantor capil jauh"),
    ]
    offset = 0
    for tracking_id, category, region, title, description in facts:
        complaint = Complaint(
            tracking_id=tracking_id,
            report_type=ReportType.COMPLAINT,
            title=title,
            description=description,
            category=category,
            region_code=region,
            channel=Channel.WEB,
        )
        complaint.route("pemkab-oku-timur", "rule@v1", "rule")
        for event in complaint.new_events():
            store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 0, offset))
            offset += 1


def shown(store: InboxStore, scope: Scope, filters: ComplaintFilter | None = None) -> set[str]:
    return {e.tracking_id for e in store.complaints(scope, filters).entries}


def test_a_liaisons_unit_narrows_the_agencys_complaints_and_assignments_widen_it(
    database: Engine,
) -> None:
    store = InboxStore(database)
    routed_complaints(store)
    oku = "pemkab-oku-timur"
    assert len(shown(store, Scope(oku))) == 4
    assert shown(store, Scope(oku, categories=("kependudukan",))) == {"AAAAAAAAA3", "AAAAAAAAA4"}
    assert shown(store, Scope(oku, regions=("16.08",))) == {
        "AAAAAAAAA1",
        "AAAAAAAAA3",
        "AAAAAAAAA4",
    }
    assert shown(store, Scope(oku, ("jalan-daerah",), ("16.08",))) == {"AAAAAAAAA1"}
    assert shown(store, Scope(oku, ("jalan-daerah",), ("16.08",), ("AAAAAAAAA4",))) == {
        "AAAAAAAAA1",
        "AAAAAAAAA4",
    }
    # Assigned or not, another agency's complaint is never read.
    assert shown(store, Scope("pemkot-bandung", ("jalan-daerah",), (), ("AAAAAAAAA1",))) == set()


def test_words_are_found_in_the_title_or_the_chronology_in_any_case(database: Engine) -> None:
    store = InboxStore(database)
    routed_complaints(store)
    oku = Scope("pemkab-oku-timur")
    assert shown(store, oku, ComplaintFilter(words=("jalan",))) == {"AAAAAAAAA1", "AAAAAAAAA4"}
    assert shown(store, oku, ComplaintFilter(words=("RETAK", "banjir"))) == {"AAAAAAAAA2"}
    assert shown(store, oku, ComplaintFilter(words=("retak", "ktp"))) == set()
    assert shown(store, oku, ComplaintFilter(words=("100%",))) == {"AAAAAAAAA1"}
    assert shown(store, oku, ComplaintFilter(words=("%",))) == {"AAAAAAAAA1"}  # not a wildcard
    assert shown(store, oku, ComplaintFilter(tracking_ids=())) == set()


def test_a_partition_keeps_one_tracking_row_its_last_applied_offset(database: Engine) -> None:
    store = InboxStore(database)
    log = events()
    batch = [
        Applied(event, TYPE_NAMES[type(event)], position("complaints.events", p, 10 + offset))
        for p in (3, 4)
        for offset, event in enumerate(log)
        if p == 3 or offset == 0
    ]
    # Partition 4's filing is a duplicate on the log: its position is applied, as a no-op.
    assert store.apply_all(batch) == 3
    assert _tracking(database) == [("complaints.events:3", 11), ("complaints.events:4", 10)]
    assert store.resume_offset("complaints.events", 3) == 12
    # Redelivered, with one more offset of partition 4 (an event applied before: it changes
    # only the position).
    again = [
        *batch,
        Applied(log[1], TYPE_NAMES[type(log[1])], position("complaints.events", 4, 11)),
    ]
    assert store.apply_all(again) == 1
    assert _tracking(database) == [("complaints.events:3", 11), ("complaints.events:4", 11)]


def test_a_store_that_kept_a_tracking_row_per_event_is_left_one_per_partition(
    database: Engine,
) -> None:
    store = InboxStore(database)
    store.ensure_schema()
    with database.begin() as c:
        c.execute(
            TRACKING.insert(),
            [{"application_name": "complaints.events:3", "notification_id": n} for n in range(5)]
            + [{"application_name": "complaints.events:4", "notification_id": 7}],
        )
    assert not InboxStore(database).ensure_schema()
    assert _tracking(database) == [("complaints.events:3", 4), ("complaints.events:4", 7)]
    assert store.resume_offset("complaints.events", 3) == 5


def test_rows_written_in_bulk_are_stored_as_sqlalchemy_stores_them(database: Engine) -> None:
    InboxStore(database)
    at = datetime(2026, 3, 2, 1, 0, 0, 120, tzinfo=UTC)
    detail = '{"text": "tab\there, a line\\nbreak, back\\\\slash, sekolah \u00e9"}'
    row = {"complaint_id": "a", "sequence": 1, "event_type": "t", "at": at, "detail": detail}
    with database.begin() as c:
        insert_rows(c, TIMELINE, [row])
        c.execute(TIMELINE.insert(), [{**row, "complaint_id": "b"}])
    with database.connect() as c:
        # Raw, past SQLAlchemy's result processing: SQLite keeps datetimes as text.
        stored = c.exec_driver_sql("SELECT * FROM timeline ORDER BY complaint_id").all()
    assert [tuple(r)[1:] for r in stored] == [tuple(stored[1])[1:]] * 2
    assert stored[0][0] == "a" and stored[0][-1] == detail


def _tracking(database: Engine) -> list[tuple[str, int]]:
    with database.connect() as c:
        rows = c.execute(select(TRACKING).order_by(TRACKING.c.application_name))
        return [(stream, int(offset)) for stream, offset in rows]
