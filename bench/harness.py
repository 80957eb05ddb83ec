"""Timing helpers, result rows and the printed table."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000 if samples else float("nan")


def percentile_ms(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


@dataclass
class Row:
    """One figure of the table: a value and its baseline measured in the same run."""

    key: str
    figure: str
    value: str = "-"
    baseline: str = "-"
    ratio: str = "-"
    target: str = ""
    met: str = "skipped"
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def set(
        self,
        value: float,
        baseline: float,
        *,
        unit: str = "ms",
        met: bool | None = None,
        ratio: float | None = None,
        note: str = "",
    ) -> Row:
        self.value = fmt(value, unit)
        self.baseline = fmt(baseline, unit)
        r = ratio if ratio is not None else (value / baseline if baseline else float("nan"))
        self.ratio = "-" if r != r else f"{r:.2f}x"  # no baseline: no ratio
        self.met = "n/a" if met is None else ("yes" if met else "NO")
        self.note = note
        self.data.update(value=value, baseline=baseline, ratio=r, unit=unit)
        return self

    def skip(self, why: str) -> Row:
        self.met = "skipped"
        self.note = why
        return self

    def fail(self, why: str) -> Row:
        self.met = "error"
        self.note = why
        return self


def fmt(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "-"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 1000 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "calls/s":
        return f"{value:.1f} calls/s"
    return f"{value:g} {unit}"


COLUMNS = ("figure", "value", "baseline", "ratio", "target", "met")


def table(rows: list[Row]) -> str:
    cells = [COLUMNS, *[(r.figure, r.value, r.baseline, r.ratio, r.target, r.met) for r in rows]]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(COLUMNS))]
    lines = []
    for n, line in enumerate(cells):
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    notes = [f"- {r.figure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines) + ("\n\nNotes:\n" + "\n".join(notes) if notes else "")


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
