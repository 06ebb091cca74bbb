"""The benchmark's arithmetic and table (bench/stats.py); the benchmark itself is never a test."""

import pytest

from bench.stats import Summary, ratio, table


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
