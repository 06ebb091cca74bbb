"""The platform bench's verdicts: what a step's figures are, and which rate a run sustained."""

from bench.platform import STAGES, Sent, Step, summarise, sustained_rate


def step(offered: float, p99: float, statuses: dict[int, int], missing: int = 0) -> Step:
    return Step(offered, 10.0, statuses, 5.0, 9.0, p99 / 2, p99, missing)


def test_a_step_measures_each_complaint_from_its_request_to_the_agency_topic() -> None:
    sent = [Sent(100.0 + n, 100.1 + n, 201, f"c{n}") for n in range(100)]
    sent.append(Sent(300.0, 300.01, 503, None))
    arrived = {f"c{n}": 100.0 + n + (n + 1) / 1000 for n in range(99)}  # 1..99 ms; c99 never
    figures = summarise(50, 10.0, sent, arrived)
    assert figures.statuses == {201: 100, 503: 1}
    assert figures.missing == 1
    assert round(figures.topic_p50_ms) == 51
    assert figures.topic_p99_ms == float("inf")  # the one that never arrived is the slowest
    assert round(figures.http_p99_ms) == 100
    assert not figures.sustained


def test_a_rate_is_sustained_only_if_every_request_was_filed_and_arrived_in_time() -> None:
    steps = [
        step(25, 80, {201: 375}),
        step(50, 120, {201: 750}),
        step(75, 249, {201: 1125}),
        step(100, 90, {201: 1499, 503: 1}),  # one shed: not sustained
        step(125, 240, {201: 1875}, missing=1),  # one lost on the way: not sustained
        step(150, 400, {201: 2250}),  # too slow
    ]
    assert [s.sustained for s in steps] == [True, True, True, False, False, False]
    assert sustained_rate(steps) == 75
    assert sustained_rate(steps[3:]) == 0


def test_the_ladder_stops_once_the_platform_is_far_behind() -> None:
    assert not step(100, 400, {201: 1500}).overloaded
    assert step(100, 12_000, {201: 1500}).overloaded
    assert step(100, 200, {201: 1000, 503: 500}).overloaded


def test_the_way_to_the_topic_is_split_at_the_201_and_at_the_routers_append() -> None:
    sent = [Sent(100.0, 100.020, 201, "c1"), Sent(101.0, 101.040, 201, "c2")]
    appended = {"c1": 100.120, "c2": 101.140}  # the router wrote each 100 ms after its 201
    arrived = {"c1": 100.125, "c2": 101.150}
    figures = summarise(2, 1.0, sent, arrived, appended)
    intake, picked_up, committed = (figures.stages_ms[stage] for stage in STAGES)
    assert [round(ms) for ms in intake] == [40, 40]  # p50 and p99 of two: the slower one
    assert [round(ms) for ms in picked_up] == [100, 100]
    assert [round(ms) for ms in committed] == [10, 10]
    assert set(summarise(2, 1.0, sent, arrived).stages_ms) == set()  # no appends known
