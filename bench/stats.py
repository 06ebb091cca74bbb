"""Pure helpers for the benchmarks: summaries of repeated runs, ratios, memory per item and
the printed table."""

import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

GIB = 1024**3


@dataclass(frozen=True)
class Summary:
    """Repeated timings of one measured thing, each run moving `items` items."""

    items: int
    seconds: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.seconds:
            raise ValueError("a summary needs at least one run")
        if any(s <= 0 for s in self.seconds):
            raise ValueError(f"durations must be positive: {self.seconds}")

    @property
    def rates(self) -> tuple[float, ...]:
        """Items per second of each run, in run order."""
        return tuple(self.items / s for s in self.seconds)

    @property
    def median_rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min_rate(self) -> float:
        return min(self.rates)

    @property
    def max_rate(self) -> float:
        return max(self.rates)

    @property
    def spread(self) -> float:
        """(fastest - slowest) / median, of the rates: 0.1 means the runs differ by 10%."""
        return (self.max_rate - self.min_rate) / self.median_rate

    def as_dict(self) -> dict[str, object]:
        return {
            "items": self.items,
            "seconds": list(self.seconds),
            "rates_per_second": [round(r, 1) for r in self.rates],
            "median_rate_per_second": round(self.median_rate, 1),
            "min_rate_per_second": round(self.min_rate, 1),
            "max_rate_per_second": round(self.max_rate, 1),
            "median_seconds": round(self.median_seconds, 3),
            "spread": round(self.spread, 4),
        }


def ratio(measured: Summary, baseline: Summary) -> float:
    """Median rate over the baseline's median rate: 0.5 means half the baseline's throughput."""
    return measured.median_rate / baseline.median_rate


@dataclass(frozen=True)
class Footprint:
    """What a process's memory grew by holding `items` more things: RSS idle and after, bytes.

    The growth is charged to the items alone, so per item it is an upper bound (whatever
    else grew meanwhile, buffers and the allocator's slack, counts too)."""

    items: int
    idle_bytes: int
    after_bytes: int

    def __post_init__(self) -> None:
        if self.items < 1:
            raise ValueError(f"a footprint needs at least one item, not {self.items}")
        if self.idle_bytes < 0 or self.after_bytes < 0:
            raise ValueError(f"sizes cannot be negative: {self.idle_bytes}, {self.after_bytes}")

    @property
    def grown_bytes(self) -> int:
        return self.after_bytes - self.idle_bytes

    @property
    def bytes_per_item(self) -> float | None:
        """None when the memory did not grow: too few items to see against the noise."""
        return self.grown_bytes / self.items if self.grown_bytes > 0 else None

    @property
    def items_per_gib(self) -> float | None:
        """items / (growth in GiB): how many such items one GiB holds, at this rate."""
        return self.items / (self.grown_bytes / GIB) if self.grown_bytes > 0 else None

    def as_dict(self) -> dict[str, object]:
        per_item, per_gib = self.bytes_per_item, self.items_per_gib
        return {
            "items": self.items,
            "idle_bytes": self.idle_bytes,
            "after_bytes": self.after_bytes,
            "grown_bytes": self.grown_bytes,
            "bytes_per_item": None if per_item is None else round(per_item, 1),
            "items_per_gib": None if per_gib is None else round(per_gib),
        }


def table(
    rows: Sequence[tuple[str, Summary]],
    baselines: Sequence[tuple[str, Summary]],
    unit: str = "complaints/s",
) -> str:
    """A fixed-width table: one line per measured thing, one ratio column per baseline."""
    header = ["", unit, "min-max", "spread", "seconds"]
    header += [f"x {name}" for name, _ in baselines]
    lines = [header]
    for name, summary in rows:
        line = [
            name,
            f"{summary.median_rate:,.0f}",
            f"{summary.min_rate:,.0f}-{summary.max_rate:,.0f}",
            f"{summary.spread:.0%}",
            f"{summary.median_seconds:.2f}",
        ]
        line += [f"{ratio(summary, baseline):.2f}" for _, baseline in baselines]
        lines.append(line)
    return grid(header, lines[1:])


def grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Fixed-width columns under a header and a rule: the first left-aligned, the rest right."""
    lines = [list(header), *(list(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        out.append("  ".join(cells).rstrip())
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def machine() -> dict[str, object]:
    """What a result was measured on, for the JSON report."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def ratios(
    summaries: dict[str, Summary], baselines: Sequence[tuple[str, Summary]]
) -> dict[str, float]:
    """Every measured thing against every baseline, as the JSON report keeps them."""
    return {
        f"{name} / {base}": round(ratio(s, b), 3)
        for name, s in summaries.items()
        for base, b in baselines
    }
