"""The picker's table: one row of plain values per checkpoint, never a loaded file.

Each row shows what the catalog knows: when and in which run, the model's
parts, epoch and step, the metric the run's checkpointing monitored (each
entry's own ``monitor``, not a fixed name) with precision and recall beside it
where they were logged, the sidecar's state and where the checkpoint comes
from: ``new`` (written by ocr), ``migrated`` (moved by ``ocr migrate``) or
``legacy`` (an old tree, read through ``ocr.compat``).
"""

from __future__ import annotations

import functools
import math
import os
import time
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import pyarrow as pa

from ocr.catalog import LayoutKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog import CatalogEntry

__all__ = [
    "PICKER_COLUMNS",
    "Origin",
    "arrow_table",
    "companion_metric",
    "monitored_score",
    "origin",
    "picker_table",
]

Origin = Literal["new", "migrated", "legacy"]

PICKER_COLUMNS: Final = (
    "created",
    "name",
    "monitor",
    "score",
    "precision",
    "recall",
    "architecture",
    "encoder",
    "decoder",
    "head",
    "epoch",
    "step",
    "origin",
    "sidecar",
    "file",
    "run",
)
_NEW_LAYOUT: Final = frozenset({LayoutKind.NEW})
_ARROW_TYPES: Final = {
    "created": pa.timestamp("us"),
    "epoch": pa.int64(),
    "step": pa.int64(),
    "score": pa.float64(),
    "precision": pa.float64(),
    "recall": pa.float64(),
}
_MIGRATION_SOURCE: Final = "migration"


def origin(entry: CatalogEntry) -> Origin:
    """Where a checkpoint comes from.

    Args:
        entry: The checkpoint's entry.

    Returns:
        ``legacy`` for an old layout, ``migrated`` for a checkpoint ``ocr
        migrate`` moved (its sidecar says the migration filled it in), else ``new``.
    """
    if entry.layout not in _NEW_LAYOUT:
        return "legacy"
    return "migrated" if _MIGRATION_SOURCE in entry.sources.values() else "new"


def monitored_score(entry: CatalogEntry) -> float | None:
    """The value of the metric the run's checkpointing monitored, when known and a number."""
    return None if entry.monitor is None else _number(entry.metrics.get(entry.monitor))


def companion_metric(entry: CatalogEntry, kind: Literal["precision", "recall"]) -> float | None:
    """Precision or recall logged beside the monitored metric.

    ``val/hmean`` goes with ``val/precision``; a checkpoint that logged only
    the bare names (legacy CLEval metrics) gives ``precision``.

    Args:
        entry: The checkpoint's entry.
        kind: Which one.

    Returns:
        The value, or ``None`` when neither name was logged.
    """
    return _first_number(entry.metrics, _companion_names(entry.monitor or "", kind))


@functools.cache
def _companion_names(monitor: str, kind: str) -> tuple[str, ...]:
    prefix = monitor[: max(monitor.rfind("/"), monitor.rfind("_")) + 1]
    return tuple(dict.fromkeys((f"{prefix}{kind}", kind)))


def picker_table(entries: Sequence[CatalogEntry]) -> dict[str, list[object]]:
    """The picker's columns (:data:`PICKER_COLUMNS`), one value per entry, in order.

    Built column by column: the picker shows ten thousand rows, and one pass
    per column is several times faster than one tuple per row.

    Args:
        entries: The checkpoints to show.

    Returns:
        Column name -> values; unknown values are ``None``; ``created`` is the
        local wall-clock time (as run folders are named) in microseconds since
        1970-01-01, as an Arrow timestamp holds it.
    """
    scores, precisions, recalls = (
        zip(*map(_scores, entries), strict=True) if entries else ((), (), ())
    )
    columns: dict[str, list[object]] = {
        "created": _local_micros([e.created_at for e in entries]),
        "name": [e.name for e in entries],
        "architecture": [e.architecture for e in entries],
        "encoder": [e.encoder for e in entries],
        "decoder": [e.decoder for e in entries],
        "head": [e.head for e in entries],
        "epoch": [e.epoch for e in entries],
        "step": [e.step for e in entries],
        "monitor": [e.monitor for e in entries],
        "score": list(scores),
        "precision": list(precisions),
        "recall": list(recalls),
        "sidecar": [str(e.sidecar) for e in entries],
        "origin": [origin(e) for e in entries],
        "run": [e.run_dir for e in entries],
        "file": [e.path.rpartition(os.sep)[2] for e in entries],
    }
    return {name: columns[name] for name in PICKER_COLUMNS}


def arrow_table(columns: dict[str, list[object]]) -> pa.Table:
    """The picker's columns as an Arrow table, typed column by column.

    Streamlit sends tables to the browser as Arrow; building it straight from
    the lists skips pandas, which took most of the page's time on 10,000 rows.

    Args:
        columns: :func:`picker_table`'s columns.

    Returns:
        The table, with the columns' types (times, integers, floats, strings).
    """
    return pa.table(
        {
            name: pa.array(values, type=_ARROW_TYPES.get(name, pa.string()))
            for name, values in columns.items()
        }
    )


def _number(value: float | None) -> float | None:
    return value if value is not None and not math.isnan(value) else None


def _scores(entry: CatalogEntry) -> tuple[float | None, float | None, float | None]:
    """The monitored score, precision and recall of one entry, in one call (the table's hot loop)."""
    metrics, monitor = entry.metrics, entry.monitor
    if not metrics:
        return None, None, None
    precision_names, recall_names = _companions(monitor or "")
    score = _number(metrics.get(monitor)) if monitor is not None else None
    return score, _first_number(metrics, precision_names), _first_number(metrics, recall_names)


def _first_number(metrics: dict[str, float], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = metrics.get(name)
        if value is not None and not math.isnan(value):
            return value
    return None


@functools.cache
def _companions(monitor: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _companion_names(monitor, "precision"), _companion_names(monitor, "recall")


def _local_micros(times: Sequence[datetime | None]) -> list[object]:
    """Times as local wall-clock microseconds since 1970-01-01 (what an Arrow timestamp holds).

    A time recorded without an offset is local time already. For the others,
    one ``localtime`` call per distinct quarter hour gives the offset: every
    time zone's offset is a whole number of quarter hours and changes on a
    quarter hour. No ``datetime`` is made per row, and the arithmetic is
    numpy's: on 10,000 rows a per-row conversion took a quarter of the page.
    """
    # Seconds since the epoch: an instant for an aware time, the wall clock itself for a naive one.
    stamps = np.array(
        [
            np.nan if t is None else t.timestamp() if t.tzinfo else (t - _EPOCH).total_seconds()
            for t in times
        ],
        dtype=np.float64,
    )
    aware = np.array([t is not None and t.tzinfo is not None for t in times], dtype=bool)
    quarters = np.floor_divide(stamps[aware], _QUARTER_HOUR).astype(np.int64)
    lookup = {q: time.localtime(q * _QUARTER_HOUR).tm_gmtoff for q in np.unique(quarters).tolist()}
    offsets = np.zeros_like(stamps)
    offsets[aware] = [lookup[q] for q in quarters.tolist()]
    micros = np.rint((stamps + offsets) * 1_000_000)
    return [None if math.isnan(value) else int(value) for value in micros.tolist()]


_QUARTER_HOUR: Final = 900
_EPOCH: Final = datetime(1970, 1, 1)
