"""The SLA service's due-deadline check: its cost as the open deadlines not yet due grow.

    .venv/bin/python -m bench.sla_check [--open 100000] [--due 1000] [--runs 5]

In one process, with the service's own code (services/sla/timers.py): tables of N and
10 N complaints, each with the two clocks a routing starts, none due yet, plus the same
D complaints whose warning time has come. Each run times one check at that moment:

- `index`: the service's check (`came_due`): the due-time index, then the table for
  each reminder it gives;
- `scan`, the baseline: every open deadline looked at (`questions` over the whole table),
  as the check did before the index.

The index's cost should not grow with N (the ratio 10 N / N near 1); the scan's grows
tenfold. Figures go to .pintu/bench/sla-check-<time>.json.
"""

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bench.router import REPO, RESULTS, git_revision
from bench.stats import machine
from services.sla.timers import (
    DueIndex,
    OpenClock,
    OpenDeadlines,
    came_due,
    next_moment,
    questions,
    spelled,
)

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def tables(open_: int, due: int) -> tuple[dict[str, OpenDeadlines], list[str]]:
    """`open_` complaints with clocks still to run, and `due` whose warning time has come."""
    later = spelled(
        {
            "first_follow_up": OpenClock(NOW + timedelta(days=5), NOW + timedelta(days=4), False),
            "completion": OpenClock(NOW + timedelta(days=20), NOW + timedelta(days=17), False),
        }
    )
    soon = spelled(
        {"first_follow_up": OpenClock(NOW + timedelta(days=1), NOW - timedelta(hours=1), False)}
    )
    table = {f"open-{n:08d}": later for n in range(open_)}
    came = [f"due-{n:06d}" for n in range(due)]
    table.update(dict.fromkeys(came, soon))
    return table, came


def timed_index(table: dict[str, OpenDeadlines], came: list[str], runs: int) -> list[float]:
    index = DueIndex()
    index.rebuild({key: next_moment(value) for key, value in table.items()})
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        asked = came_due(index, table, NOW)
        seconds.append(time.perf_counter() - start)
        assert len(asked) == len(came), "the index missed a due deadline"
        for key in came:  # due again next run, as an unanswered question is
            index.remind(key, NOW - timedelta(hours=1))
    return seconds


def timed_scan(table: dict[str, OpenDeadlines], came: list[str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        asked = [q for key, value in table.items() for q in questions(key, value, NOW)]
        seconds.append(time.perf_counter() - start)
        assert len(asked) == len(came), "the scan missed a due deadline"
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sla_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--open", type=int, default=100_000, help="N, complaints not yet due")
    parser.add_argument("--due", type=int, default=1000, help="complaints come due")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    figures: dict[str, dict[str, float]] = {}
    for label, size in (("N", args.open), ("10N", 10 * args.open)):
        table, came = tables(size, args.due)
        index = statistics.median(timed_index(table, came, args.runs))
        scan = statistics.median(timed_scan(table, came, max(1, args.runs // 2)))
        figures[label] = {"open_deadlines": 2 * size, "index_seconds": index, "scan_seconds": scan}
        print(
            f"{2 * size:>10,} open deadlines, {args.due:,} due: "
            f"index {index * 1e3:8.2f} ms, scan {scan * 1e3:9.1f} ms ({scan / index:,.0f}x)"
        )
        del table
    growth = {
        kind: figures["10N"][f"{kind}_seconds"] / figures["N"][f"{kind}_seconds"]
        for kind in ("index", "scan")
    }
    print(
        f"10x the open deadlines: the index's check x{growth['index']:.2f}, "
        f"the scan's x{growth['scan']:.1f}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"sla-check-{stamp}.json"
    document = {
        "benchmark": "sla-check",
        "at": datetime.now(UTC).isoformat(),
        "revision": git_revision(),
        "due": args.due,
        "runs": args.runs,
        "machine": machine(),
        "figures": figures,
        "growth_with_10x_open": growth,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
