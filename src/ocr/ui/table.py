"""The picker's table: one row of plain values per checkpoint, never a loaded file.

Each row shows what the catalog knows: when and in which run, the model's
parts, epoch and step, the metric the run's checkpointing monitored (each
entry's own ``monitor``, not a fixed name) with precision and recall beside it
where they were logged, the sidecar's state and where the checkpoint comes
from: ``new`` (written by ocr), ``migrated`` (moved by ``ocr migrate``) or
``legacy`` (an old tree, read through ``ocr.compat``).
"""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import TYPE_CHECKING, Final, Literal

from ocr.catalog import LayoutKind

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

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
    monitor = entry.monitor or ""
    prefix = monitor[: max(monitor.rfind("/"), monitor.rfind("_")) + 1]
    for name in dict.fromkeys((f"{prefix}{kind}", kind)):
        value = _number(entry.metrics.get(name))
        if value is not None:
            return value
    return None


def picker_table(entries: Sequence[CatalogEntry]) -> dict[str, list[object]]:
    """The picker's columns (:data:`PICKER_COLUMNS`), one value per entry, in order.

    Args:
        entries: The checkpoints to show.

    Returns:
        Column name -> values; unknown values are ``None``.
    """
    columns: dict[str, list[object]] = {name: [] for name in PICKER_COLUMNS}
    for entry in entries:
        row: tuple[object, ...] = (
            _naive(entry.created_at),
            entry.name,
            entry.architecture,
            entry.encoder,
            entry.decoder,
            entry.head,
            entry.epoch,
            entry.step,
            entry.monitor,
            monitored_score(entry),
            companion_metric(entry, "precision"),
            companion_metric(entry, "recall"),
            str(entry.sidecar),
            origin(entry),
            entry.run_dir,
            PurePath(entry.path).name,
        )
        for values, value in zip(columns.values(), row, strict=True):
            values.append(value)
    return columns


def _number(value: float | None) -> float | None:
    return value if value is not None and not math.isnan(value) else None


def _naive(when: datetime | None) -> datetime | None:
    # The table shows local wall-clock times, as the run folders name them.
    return None if when is None else when.astimezone().replace(tzinfo=None)
