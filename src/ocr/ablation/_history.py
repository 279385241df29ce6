"""A run's metric history: every value a metric logger wrote, with its epoch and step.

The reference trainer (any trainer using Lightning's ``CSVLogger`` the way
``ocr.train`` does) writes ``logs/metrics.csv``: a header ``epoch,step,<metric>...``
and one row per logging call, with the metrics not logged by that call left
empty. A legacy run holds the same file in ``lightning_logs/version_<k>/``; a
run resumed in a new version continues it, so the versions are read in order.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

__all__ = ["MetricHistory", "MetricPoint", "Mode", "best_point", "read_metric_history"]

Mode = Literal["max", "min"]
_EPOCH: Final = "epoch"
_STEP: Final = "step"


class MetricPoint(NamedTuple):
    """One logged value of a metric.

    Args:
        value: The value (NaN when the run diverged).
        epoch: The epoch it was logged in, when known.
        step: The step it was logged at, as the logger wrote it, when known.
    """

    value: float
    epoch: int | None = None
    step: int | None = None


@dataclass(frozen=True)
class MetricHistory:
    """Every logged value of every metric of one run, in logging order.

    Args:
        series: Metric name -> its points.
        sources: The files the history was read from.
    """

    series: Mapping[str, tuple[MetricPoint, ...]] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()

    def points(self, metric: str) -> tuple[MetricPoint, ...]:
        """The points of a metric; Lightning's ``<metric>_epoch`` when only that exists.

        A metric logged per step and per epoch is written as ``<metric>_step``
        and ``<metric>_epoch``; asking for ``<metric>`` gives the per-epoch values.

        Args:
            metric: The metric's name, e.g. ``val/hmean``.

        Returns:
            Its points, oldest first (empty when it was never logged).
        """
        found = self.series.get(metric)
        if found is None:
            found = self.series.get(f"{metric}_epoch", ())
        return found

    @property
    def metrics(self) -> frozenset[str]:
        """The metric names the history holds (with the ``_epoch`` names also plain)."""
        plain = {name.removesuffix("_epoch") for name in self.series if name.endswith("_epoch")}
        return frozenset(self.series) | plain


def read_metric_history(files: Iterable[Path], *, renames: Mapping[str, str]) -> MetricHistory:
    """Read metric CSV files (Lightning's ``CSVLogger`` shape), one after the other.

    Args:
        files: The ``metrics.csv`` files, oldest first (a resumed run's versions).
        renames: Column name -> the name to file it under (legacy metric names).

    Returns:
        The history; columns that hold no number in a row are skipped there.

    Raises:
        OSError: A file cannot be read.
        ValueError: A file is not CSV text with an ``epoch`` or ``step`` column.
    """
    series: dict[str, list[MetricPoint]] = {}
    sources = []
    for path in files:
        _read_one(path, renames, series)
        sources.append(path)
    return MetricHistory({name: tuple(points) for name, points in series.items()}, tuple(sources))


def _read_one(path: Path, renames: Mapping[str, str], series: dict[str, list[MetricPoint]]) -> None:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{str(path)!r} is not UTF-8 text") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or (_EPOCH not in header and _STEP not in header):
        raise ValueError(f"{str(path)!r} has no 'epoch' or 'step' column")
    epoch_at = header.index(_EPOCH) if _EPOCH in header else None
    step_at = header.index(_STEP) if _STEP in header else None
    columns = [
        (index, sys.intern(renames.get(name, name)))  # one string per name across runs
        for index, name in enumerate(header)
        if index not in (epoch_at, step_at)
    ]
    for row in reader:
        epoch = _integer(row, epoch_at)
        step = _integer(row, step_at)
        for index, name in columns:
            value = _number(row, index)
            if value is not None:
                series.setdefault(name, []).append(MetricPoint(value, epoch, step))


def _number(row: list[str], index: int | None) -> float | None:
    if index is None or index >= len(row) or not row[index]:
        return None
    try:
        return float(row[index])
    except ValueError:
        return None  # a cell that is not a number holds no value of the metric


def _integer(row: list[str], index: int | None) -> int | None:
    value = _number(row, index)
    return int(value) if value is not None and math.isfinite(value) else None


def best_point(points: Iterable[MetricPoint], mode: Mode) -> MetricPoint | None:
    """The best finite point (the first of equals: the earliest time it was reached).

    Args:
        points: A metric's points.
        mode: ``max`` when higher is better, ``min`` when lower is.

    Returns:
        The best point, or ``None`` when no point is a finite number.
    """
    best: MetricPoint | None = None
    for point in points:
        if not math.isfinite(point.value):
            continue
        if best is None or (
            point.value > best.value if mode == "max" else point.value < best.value
        ):
            best = point
    return best
