"""The rules preview against a replay: on a seeded history routed by the router's own
lifecycle and projected into the read model, the preview names exactly the complaints that
routing them again with the new rules sends elsewhere, and only those of the last 90 days."""

import contextvars
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from services.router.lifecycle import on_filed, rebuild
from shared import clock
from shared.contracts.cloudevents import TYPE_NAMES
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.deadlines import STANDARD_POLICY
from shared.domain.model import DomainEvent
from shared.domain.routing import Directory, bundled_documents, default_directory, directory_from
from shared.domain.rules_change import LOOKED_BACK, preview
from shared.projections.inbox import Applied, InboxStore, position
from tests.support.histories import tracking_id_of

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
DAYS = 120  # a history longer than the preview looks back
CATEGORIES = ("listrik", "jalan-daerah", "narkoba", "layanan-kesehatan", "bantuan-sosial")
REGIONS = ("16.08", "16.71", "32.73", "31.71", "11.01")
HINTS = (None, None, None, "pln", "pemprov-sumatera-selatan", "kemenkes", "bnn")


def proposed() -> Directory:
    """Electricity in Sumatera Selatan to the province first; regional roads in West Java to
    the province; drug reports to the police alone."""
    agencies, rules = bundled_documents()
    kept = [r for r in rules["rules"] if r["id"] != "narkoba"]
    added = [
        {"id": "listrik-sumsel", "category": "listrik", "region_prefix": "16",
         "agency": "pemprov-sumatera-selatan"},
        {"id": "jalan-daerah-jabar", "category": "jalan-daerah", "region_prefix": "32",
         "government": "province"},
    ]  # fmt: skip
    return directory_from(agencies, {"version": rules["version"] + 1, "rules": kept + added})


def seeded_history(in_force: Directory, count: int, seed: int) -> list[DomainEvent]:
    """`count` filings spread over DAYS days, each routed as the router routes it."""
    rng = random.Random(seed)
    events: list[DomainEvent] = []
    for n in range(count):
        at: datetime = START + timedelta(days=DAYS) * n / count
        clock.use_clock(lambda: at)  # noqa: B023 (used at once, in this round)
        complaint = Complaint(
            tracking_id=tracking_id_of(n),
            report_type=ReportType.COMPLAINT,
            title=f"Laporan nomor {n}",
            description="Sudah dua minggu tidak ada perbaikan dari petugas setempat.",
            category=rng.choice(CATEGORIES),
            region_code=rng.choice(REGIONS),
            channel=Channel.WEB,
            agency_hint=rng.choice(HINTS),
        )
        events += on_filed(complaint, in_force, STANDARD_POLICY, verification=False, at=at)
    return events


def replayed_elsewhere(events: list[DomainEvent], rules: Directory, since: datetime) -> set[str]:
    """Tracking ids of the complaints filed since `since` that a replay of their filing with
    `rules` routes to another agency than the log records."""
    routed = {e.originator_id: e.agency_id for e in events if isinstance(e, Complaint.Routed)}
    moved = set()
    for filed in events:
        if not isinstance(filed, Complaint.Filed) or filed.timestamp < since:
            continue
        again = on_filed(rebuild([filed]), rules, STANDARD_POLICY, verification=False, at=since)
        agency = next(e.agency_id for e in again if isinstance(e, Complaint.Routed))
        if agency != routed[filed.originator_id]:
            moved.add(filed.tracking_id)
    return moved


@pytest.mark.parametrize("seed", [3, 11])
def test_the_preview_counts_exactly_what_a_replay_with_the_new_rules_routes_elsewhere(
    either_database: Engine, seed: int
) -> None:
    in_force, new = default_directory(), proposed()
    events = contextvars.copy_context().run(seeded_history, in_force, 600, seed)
    store = InboxStore(either_database)
    store.apply_all(
        [
            Applied(e, TYPE_NAMES[type(e)], position("complaints.events", 0, n))
            for n, e in enumerate(events)
        ]
    )
    now = START + timedelta(days=DAYS)
    since = now - LOOKED_BACK

    shown = preview(store.routing_facts(since), in_force, new)
    named = {
        tracking_id
        for change in shown.changes
        for tracking_id, _title in store.with_facts(change.facts, since)
    }

    expected = replayed_elsewhere(events, new, since)
    assert 50 < len(expected) < shown.considered  # the change moves some, not all
    assert named == expected
    assert shown.moved == len(expected)
    filed_since = [e for e in events if isinstance(e, Complaint.Filed) and e.timestamp >= since]
    assert shown.considered == len(filed_since) < 600  # the older ones are not decided again
    # Each change says where the new rules send it, as a replay does.
    assert {(a, b) for a, b, _n in shown.flows()} >= {
        ("pln", "pemprov-sumatera-selatan"),
        ("bnn", "polri"),
    }


def test_rules_that_change_nothing_preview_no_move(either_database: Engine) -> None:
    in_force = default_directory()
    events = contextvars.copy_context().run(seeded_history, in_force, 200, 5)
    store = InboxStore(either_database)
    store.apply_all(
        [
            Applied(e, TYPE_NAMES[type(e)], position("complaints.events", 0, n))
            for n, e in enumerate(events)
        ]
    )
    agencies, rules = bundled_documents()
    same = directory_from(agencies, {**rules, "version": rules["version"] + 1})
    shown = preview(store.routing_facts(START), in_force, same)
    assert shown.considered == 200 and shown.moved == 0 and shown.changes == ()
