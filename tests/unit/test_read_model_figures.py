"""The agency scores and public statistics, after thousands of mixed lifecycle events, on
SQLite and PostgreSQL: each figure against what the histories add up to."""

from statistics import median, quantiles

import pytest
from sqlalchemy import Engine

from shared.contracts.cloudevents import TYPE_NAMES
from shared.projections.inbox import Applied, InboxStore, Scope, position
from shared.projections.statistics import public_statistics, scores
from tests.support.histories import AGENCIES, Expected, mixed_histories


@pytest.fixture
def database(either_database: Engine) -> Engine:
    return either_database


def project_all(store: InboxStore, count: int) -> Expected:
    events, expected = mixed_histories(count)
    batch = [
        Applied(event, TYPE_NAMES[type(event)], position("complaints.events", n % 3, n // 3))
        for n, event in enumerate(events)
    ]
    for start in range(0, len(batch), 500):
        store.apply_all(batch[start : start + 500])
    return expected


def assert_figures(database: Engine, expected: Expected) -> None:
    """Every agency's scores as the histories add them up."""
    for agency in AGENCIES:
        figures = scores(database, agency)
        statuses = {s: n for (a, s), n in expected.status.items() if a == agency}
        assert {s: n for s, n in figures.by_status.items() if n} == statuses, agency
        assert figures.held == expected.held[agency]
        assert figures.followed_up == expected.followed_up[agency]
        assert figures.followed_up_share == pytest.approx(
            expected.followed_up[agency] / expected.held[agency]
        )
        hours = sorted(expected.response_hours[agency])
        assert figures.first_response_hours_median == pytest.approx(median(hours))
        p90 = quantiles(hours, n=10, method="inclusive")[8]
        assert figures.first_response_hours_p90 == pytest.approx(p90)
        assert figures.transferred_away == expected.transferred_away[agency]
        assert figures.ratings == len(expected.ratings[agency])
        assert figures.rating_mean == pytest.approx(
            sum(expected.ratings[agency]) / len(expected.ratings[agency])
        )
        assert figures.overdue == expected.overdue_open[agency]
    national = scores(database, None)
    assert sum(national.by_status.values()) == expected.complaints
    assert national.unverified == sum(n for (a, s), n in expected.status.items() if a is None)


def test_a_few_thousand_mixed_events_add_up_to_each_agencys_scores(database: Engine) -> None:
    store = InboxStore(database)
    expected = project_all(store, 500)
    assert expected.events > 3000
    assert_figures(database, expected)


def test_redelivered_batches_change_no_figure(database: Engine) -> None:
    store = InboxStore(database)
    expected = project_all(store, 300)
    events, _ = mixed_histories(300)
    again = [
        Applied(event, TYPE_NAMES[type(event)], position("complaints.events", n % 3, n // 3))
        for n, event in enumerate(events)
    ]
    assert store.apply_all(again[:700]) == 0  # every position already applied
    assert_figures(database, expected)


def test_public_statistics_count_no_rahasia_complaint(database: Engine) -> None:
    store = InboxStore(database)
    expected = project_all(store, 300)
    by_agency = public_statistics(database, "agency")
    assert sum(f.total for f in by_agency) == expected.complaints - expected.confidential
    by_province = {f.key: f.total for f in public_statistics(database, "province")}
    assert set(by_province) <= {"16", "32", "31"}
    assert sum(by_province.values()) == expected.complaints - expected.confidential


def test_an_agency_reads_its_own_complaints_and_its_copies_only(database: Engine) -> None:
    store = InboxStore(database)
    expected = project_all(store, 300)
    mine = store.complaints(Scope("kemen-pu"), page_size=500)
    held = [e for e in mine.entries if not e.tembusan]
    assert len(held) == expected.held["kemen-pu"]
    assert mine.total == len(mine.entries) > len(held)  # copies (tembusan) too
    everyone = store.complaints(Scope(None), page_size=500)
    assert everyone.total == expected.complaints
    other = next(
        e for e in everyone.entries if e.tracking_id not in {m.tracking_id for m in mine.entries}
    )
    assert not store.readable_by("kemen-pu", other.tracking_id)
    assert store.readable_by("kemen-pu", held[0].tracking_id)
