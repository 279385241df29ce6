"""The catalog's typed entry: one checkpoint, everything known about it without loading it.

The JSON form (``ocr catalog --format json``, :meth:`CatalogEntry.as_json`) is
a contract: field names are stable, unknown values are ``null``, and a metric
that is not a finite number is the string ``"NaN"``, ``"Infinity"`` or
``"-Infinity"``, as sidecars write it (the output stays strict JSON). Entries are
typed named tuples, not Pydantic models: a warm scan rebuilds ten thousand of
them from the index, and validation would dominate it.
"""

from __future__ import annotations

import enum
import functools
import math
from datetime import datetime
from typing import Any, Final, NamedTuple

from ocr.layout import LayoutKind

__all__ = ["ENTRY_FIELDS", "CatalogEntry", "LayoutKind", "SidecarState"]


class SidecarState(enum.StrEnum):
    """The state of a checkpoint's ocr sidecar."""

    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    STALE = "stale"  # the checkpoint changed (size or mtime) since the sidecar was written


class CatalogEntry(NamedTuple):
    """One checkpoint as the catalog sees it.

    ``layout`` is a :class:`LayoutKind` value and ``sidecar`` a
    :class:`SidecarState` value (both compare equal to their enum members).
    ``sources`` says where each recovered field came from (``sidecar``,
    ``hydra_config``, ``file_name``, ...); ``problems`` lists what could not
    be read (an invalid sidecar, say); ``monitor`` is the metric the run's
    checkpointing watched (the sidecar's ``training.monitor``, or a legacy
    sidecar's), ``None`` when not known; ``task`` is the run's task
    (``task_name`` in its record: ``train``, ``eval``, ...).
    """

    path: str
    layout: str
    sidecar: str
    run_dir: str | None = None
    experiment_id: str | None = None
    name: str | None = None
    created_at: datetime | None = None
    architecture: str | None = None
    encoder: str | None = None
    decoder: str | None = None
    head: str | None = None
    epoch: int | None = None
    step: int | None = None
    metrics: dict[str, float] = {}  # noqa: RUF012 (NamedTuple defaults are never mutated here)
    is_best: bool = False
    is_last: bool = False
    size_bytes: int = 0
    config_hash: str | None = None
    status: str | None = None
    tags: tuple[str, ...] = ()
    sources: dict[str, str] = {}  # noqa: RUF012 (NamedTuple defaults are never mutated here)
    problems: tuple[str, ...] = ()
    monitor: str | None = None
    task: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The entry as JSON data (the documented ``--format json`` fields).

        Returns:
            Field name -> JSON value; times as ISO 8601, tags and problems as lists.
        """
        data = self._asdict()
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        data["metrics"] = {name: _json_number(value) for name, value in self.metrics.items()}
        data["tags"] = list(self.tags)
        data["problems"] = list(self.problems)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogEntry:
        """Rebuild an entry from :meth:`as_json` data.

        Args:
            data: The JSON data.

        Returns:
            The entry.
        """
        created = data.get("created_at")
        return cls(
            **{
                **data,
                "created_at": datetime.fromisoformat(created) if created else None,
                "metrics": {name: float(value) for name, value in data["metrics"].items()},
                "tags": tuple(data.get("tags", ())),
                "problems": tuple(data.get("problems", ())),
            }
        )

    def as_row(self) -> tuple[Any, ...]:
        """The entry as a tuple of plain values (for the index)."""
        # Enum members become their plain string values (one shared string
        # each, so the index stores it once) and the time its ISO text:
        # marshal takes only built-in types.
        row = list(self)
        row[_LAYOUT] = _PLAIN.get(self.layout, self.layout)
        row[_SIDECAR] = _PLAIN.get(self.sidecar, self.sidecar)
        row[_CREATED] = self.created_at.isoformat() if self.created_at else None
        return tuple(row)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> CatalogEntry:
        """Rebuild an entry from :meth:`as_row`.

        Args:
            row: The plain values.

        Returns:
            The entry.
        """
        values = list(row)
        created = values[_CREATED]
        if created is not None:
            values[_CREATED] = _parsed_time(created)
        # tuple.__new__ is what _make does, minus its length check and a call.
        return tuple.__new__(cls, values)


ENTRY_FIELDS: Final = CatalogEntry._fields
_CREATED: Final = ENTRY_FIELDS.index("created_at")
_LAYOUT: Final = ENTRY_FIELDS.index("layout")
_SIDECAR: Final = ENTRY_FIELDS.index("sidecar")
# Member or value -> the value (a member hashes and compares as its value).
_PLAIN: Final[dict[str, str]] = {kind: kind.value for kind in (*LayoutKind, *SidecarState)}


# The checkpoints of a run share its time: parsed once and shared (a datetime
# is immutable), which saves a parse and an object per checkpoint.
_parsed_time = functools.lru_cache(maxsize=4096)(datetime.fromisoformat)


def _json_number(value: float) -> float | str:
    """``value`` for strict JSON: non-finite floats as Pydantic's strings."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"
