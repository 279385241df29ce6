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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from ocr.catalog import LayoutKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog import CatalogEntry

__all__ = [
    "PICKER_COLUMNS",
    "Origin",
    "companion_metric",
    "monitored_score",
    "origin",
    "picker_table",
]

Origin = Literal["new", "migrated", "legacy"]

PICKER_COLUMNS: Final = (
    "created",
    "name",
    "architecture",
    "encoder",
    "decoder",
    "head",
    "epoch",
    "step",
    "monitor",
    "score",
    "precision",
    "recall",
    "sidecar",
    "origin",
    "run",
    "file",
)
_NEW_LAYOUT: Final = frozenset({LayoutKind.NEW})
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
    for name in _companion_names(entry.monitor or "", kind):
        value = _number(entry.metrics.get(name))
        if value is not None:
            return value
    return None


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
        Column name -> values; unknown values are ``None``; times are local
        wall-clock times, as the run folders are named.
    """
    local = _LocalClock()
    columns: dict[str, list[object]] = {
        "created": [local(e.created_at) for e in entries],
        "name": [e.name for e in entries],
        "architecture": [e.architecture for e in entries],
        "encoder": [e.encoder for e in entries],
        "decoder": [e.decoder for e in entries],
        "head": [e.head for e in entries],
        "epoch": [e.epoch for e in entries],
        "step": [e.step for e in entries],
        "monitor": [e.monitor for e in entries],
        "score": [monitored_score(e) for e in entries],
        "precision": [companion_metric(e, "precision") for e in entries],
        "recall": [companion_metric(e, "recall") for e in entries],
        "sidecar": [str(e.sidecar) for e in entries],
        "origin": [origin(e) for e in entries],
        "run": [e.run_dir for e in entries],
        "file": [e.path.rpartition(os.sep)[2] for e in entries],
    }
    return {name: columns[name] for name in PICKER_COLUMNS}


def _number(value: float | None) -> float | None:
    return value if value is not None and not math.isnan(value) else None


class _LocalClock:
    """Aware times as naive local wall-clock times, one ``localtime`` call per quarter hour.

    Every time zone's offset is a whole number of quarter hours and changes on
    a quarter hour, so the offset found for a quarter hour holds all through it.
    A time recorded without an offset is local time already.
    """

    def __init__(self) -> None:
        self._offsets: dict[int, float] = {}

    def __call__(self, when: datetime | None) -> datetime | None:
        if when is None or when.tzinfo is None:
            return when
        stamp = when.timestamp()
        quarter = int(stamp // _QUARTER_HOUR)
        offset = self._offsets.get(quarter)
        if offset is None:
            offset = self._offsets[quarter] = time.localtime(quarter * _QUARTER_HOUR).tm_gmtoff
        return _EPOCH + timedelta(seconds=stamp + offset)


_QUARTER_HOUR: Final = 900
_EPOCH: Final = datetime(1970, 1, 1)
