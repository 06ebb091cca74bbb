"""The benchmarks' arithmetic, table, plots and inputs (bench/stats.py, bench/sla.py,
bench/national.py); the benchmarks themselves are never tests."""

from pathlib import Path

import pytest

from bench.national import PANELS, Point, by_complaint, figure, growth, plan, plot
from bench.sla import deadline_records, status_bytes
from bench.stats import GIB, Footprint, Summary, grid, ratio, table
from services.router.lifecycle import rebuild
from services.sla.timers import OpenDeadlines, mirrored, opened
from shared.contracts.cloudevents import decode
from shared.domain.complaint import complaint_id_for
from tests.support.histories import mixed_histories


def test_rates_follow_the_runs_and_the_median_is_the_middle_run() -> None:
    summary = Summary(items=1000, seconds=(2.0, 1.0, 4.0))
    assert summary.rates == (500.0, 1000.0, 250.0)
    assert summary.median_rate == 500.0
    assert summary.median_seconds == 2.0
    assert (summary.min_rate, summary.max_rate) == (250.0, 1000.0)
    assert summary.spread == pytest.approx(1.5)  # (1000 - 250) / 500


def test_an_even_number_of_runs_takes_the_mean_of_the_two_middle_rates() -> None:
    assert Summary(items=100, seconds=(1.0, 0.5)).median_rate == pytest.approx(150.0)


def test_one_run_has_no_spread() -> None:
    assert Summary(items=10, seconds=(0.5,)).spread == 0.0


@pytest.mark.parametrize("seconds", [(), (1.0, 0.0), (-1.0,)])
def test_a_summary_refuses_no_runs_and_non_positive_durations(seconds: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        Summary(items=10, seconds=seconds)


def test_the_ratio_compares_median_rates() -> None:
    router = Summary(items=1000, seconds=(4.0, 4.0))
    passthrough = Summary(items=1000, seconds=(1.0, 2.0, 1.0))
    assert ratio(router, passthrough) == pytest.approx(0.25)
    assert ratio(passthrough, passthrough) == 1.0


def test_the_table_has_one_line_per_thing_and_one_ratio_column_per_baseline() -> None:
    baseline = Summary(items=1000, seconds=(1.0,))
    router = Summary(items=1000, seconds=(2.0, 4.0))
    lines = table(
        [("passthrough", baseline), ("router", router)], [("acks", baseline)]
    ).splitlines()
    assert lines[0].split() == ["complaints/s", "min-max", "spread", "seconds", "x", "acks"]
    assert set(lines[1]) == {"-"}
    assert lines[2].split() == ["passthrough", "1,000", "1,000-1,000", "0%", "1.00", "1.00"]
    assert lines[3].split() == ["router", "375", "250-500", "67%", "3.00", "0.38"]


def test_the_summary_serialises_what_it_measured() -> None:
    document = Summary(items=100, seconds=(0.5, 1.0)).as_dict()
    assert document["seconds"] == [0.5, 1.0]
    assert document["rates_per_second"] == [200.0, 100.0]
    assert document["median_rate_per_second"] == 150.0


def test_the_table_names_the_unit_it_counts() -> None:
    baseline = Summary(items=300, seconds=(1.0,))
    assert table([("sla", baseline)], [("txn", baseline)], unit="events/s").split()[0] == (
        "events/s"
    )


def test_a_footprint_charges_the_growth_to_the_items_and_counts_them_per_gib() -> None:
    footprint = Footprint(items=200_000, idle_bytes=100 * 2**20, after_bytes=100 * 2**20 + GIB // 4)
    assert footprint.grown_bytes == GIB // 4
    assert footprint.bytes_per_item == pytest.approx(GIB / 4 / 200_000)
    assert footprint.items_per_gib == pytest.approx(800_000)  # 200,000 in a quarter GiB
    assert footprint.as_dict()["items_per_gib"] == 800_000


@pytest.mark.parametrize("after", [100, 99])
def test_a_footprint_that_did_not_grow_has_no_figure_per_item(after: int) -> None:
    footprint = Footprint(items=10, idle_bytes=100, after_bytes=after)
    assert footprint.bytes_per_item is None
    assert footprint.items_per_gib is None
    assert footprint.as_dict()["bytes_per_item"] is None


@pytest.mark.parametrize(("items", "idle", "after"), [(0, 1, 2), (1, -1, 2), (1, 1, -2)])
def test_a_footprint_refuses_no_items_and_negative_sizes(items: int, idle: int, after: int) -> None:
    with pytest.raises(ValueError):
        Footprint(items=items, idle_bytes=idle, after_bytes=after)


def test_memory_is_read_from_the_kb_lines_of_proc_status() -> None:
    status = "Name:\tpython\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t4\n"
    assert status_bytes(status, "VmRSS") == 100 * 2**20
    assert status_bytes(status, "VmHWM") == 200 * 2**20
    assert status_bytes(status, "VmSwap") is None


def test_each_benchmarked_complaint_opens_two_deadlines_in_the_sla_table() -> None:
    records = deadline_records(2, first=7, run="T")
    assert len(records) == 2
    events = [decode(value) for _, value in records]
    assert [type(e).__name__ for e in events] == ["Routed"] * 2
    tables: dict[bytes, OpenDeadlines] = {}
    for (key, _), event in zip(records, events, strict=True):
        changed = mirrored(tables.get(key, ""), event)
        assert changed is not None
        tables[key] = changed
    assert len(tables) == 2  # two complaints, keyed by complaint id
    assert [sorted(opened(v)) for v in tables.values()] == [["completion", "first_follow_up"]] * 2
    assert {e.originator_id for e in events} == {
        complaint_id_for("BT000000007"),
        complaint_id_for("BT000000008"),
    }


def test_the_national_plan_reaches_each_fraction_with_the_open_complaints_first() -> None:
    steps = plan(1000, 50, [0.1, 0.5, 1.0])
    assert [s.complaints for s in steps] == [100, 500, 1000]
    assert [s.open_added for s in steps] == [50, 0, 0]
    assert [s.closed_added for s in steps] == [50, 400, 500]
    assert sum(s.open_added + s.closed_added for s in steps) == 1000


@pytest.mark.parametrize(
    ("complaints", "open_complaints", "fractions"),
    [
        (1000, 200, [0.1, 1.0]),  # 10% holds fewer than the open ones
        (1000, 10, [0.5, 0.1]),  # not increasing
        (1000, 10, [0.5, 0.5]),
        (1000, 10, [0.0, 1.0]),
        (1000, 10, [0.5, 1.5]),
        (1000, 0, [1.0]),
        (1000, 10, []),
    ],
)
def test_a_national_plan_refuses_sizes_it_cannot_build(
    complaints: int, open_complaints: int, fractions: list[float]
) -> None:
    with pytest.raises(ValueError):
        plan(complaints, open_complaints, fractions)


def point(complaints: int, takeover: float, rss: int) -> Point:
    return Point(
        complaints=complaints,
        events=10 * complaints,
        open_complaints=50,
        takeover_seconds=takeover,
        takeover_runs_seconds=[takeover],
        router_rss_bytes=rss,
        router_ready_seconds=1.0,
        router_takeover_records={"state": 62.0},
        sla_rss_bytes=2 * rss,
        sla_catch_up_seconds=3.0,
        replay_seconds=complaints / 1000,
    )


def test_growth_is_the_largest_size_over_the_smallest() -> None:
    points = [point(100, 0.5, 100), point(500, 0.6, 110), point(1000, 0.55, 120)]
    assert growth(points, "takeover_seconds") == pytest.approx(1.1)
    assert growth(points, "router_rss_bytes") == pytest.approx(1.2)
    assert growth(points, "replay_seconds") == pytest.approx(10.0)


def test_the_national_plot_has_one_series_per_figure_over_every_size(tmp_path: Path) -> None:
    points = [point(100, 0.5, 100 * 1024**2), point(1000, 0.55, 120 * 1024**2)]
    drawn = figure(points)
    assert [a.get_title() for a in drawn.axes] == [title for _, title, _, _ in PANELS]
    for axes in drawn.axes:
        (line,) = axes.get_lines()
        assert list(line.get_xdata()) == [100, 1000]
    assert list(drawn.axes[1].get_lines()[0].get_ydata()) == [100.0, 120.0]  # MiB
    path = plot(points, tmp_path / "national.png")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_closed_histories_are_all_closed_for_good_and_open_ones_mostly_not() -> None:
    closed, _ = mixed_histories(300, first=1000, closed=True)
    opened, _ = mixed_histories(300, first=1000)
    assert all(rebuild(events).settled for events in by_complaint(closed).values())
    settled = sum(rebuild(events).settled for events in by_complaint(opened).values())
    assert settled < 300 * 0.1  # only the archived among them
    assert len(by_complaint(closed)) == len(by_complaint(opened)) == 300


def test_the_grid_aligns_columns_under_the_header() -> None:
    assert grid(["", "n"], [["a", "1"], ["bb", "100"]]).splitlines() == [
        "      n",
        "-------",
        "a     1",
        "bb  100",
    ]
