"""Selecting catalog entries: flag-style filters, and sorting by a metric."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ocr.errors import CatalogQueryError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from ocr.catalog._entry import CatalogEntry

__all__ = ["CatalogFilter", "select_entries", "sort_by_metric"]

_MISSING: Final = float("nan")  # a metric an entry lacks fails every minimum


@dataclass(frozen=True)
class CatalogFilter:
    """Flag-style filters; every given one must hold.

    Args:
        architecture: Exact architecture name.
        encoder: Exact encoder name.
        decoder: Exact decoder name.
        head: Exact head name.
        since: Created at or after (timezone-aware).
        until: Created before (timezone-aware).
        min_metrics: Metric name -> lowest accepted value (entries lacking it, or
            whose value is NaN, fail).
        status: The run's registry status.
        task: The run's task (``task_name`` in its record).
        tags: Tags the run must all have.
        search: Case-insensitive text looked for in the path, name and model names.
    """

    architecture: str | None = None
    encoder: str | None = None
    decoder: str | None = None
    head: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_metrics: dict[str, float] = field(default_factory=dict)
    status: str | None = None
    task: str | None = None
    tags: tuple[str, ...] = ()
    search: str | None = None

    def __post_init__(self) -> None:
        # Fail fast: a NaN threshold would compare false with everything and filter nothing.
        for metric, lowest in self.min_metrics.items():
            if math.isnan(lowest):
                raise CatalogQueryError(
                    f"the minimum of {metric!r} is NaN, which no value is at least",
                    fix="Give a number, e.g. val/hmean=0.9",
                    value=lowest,
                )

    def __call__(self, entry: CatalogEntry) -> bool:
        """Whether ``entry`` passes every filter."""
        exact = {
            "architecture": self.architecture,
            "encoder": self.encoder,
            "decoder": self.decoder,
            "head": self.head,
            "status": self.status,
            "task": self.task,
        }
        if any(want is not None and getattr(entry, key) != want for key, want in exact.items()):
            return False
        created = entry.created_at
        if self.since is not None and (created is None or created < self.since):
            return False
        if self.until is not None and (created is None or created >= self.until):
            return False
        # "not >=": a NaN value (a diverged run) is below every threshold.
        if any(not entry.metrics.get(k, _MISSING) >= v for k, v in self.min_metrics.items()):
            return False
        if not set(self.tags) <= set(entry.tags):
            return False
        return self.search is None or self.search.casefold() in _haystack(entry)


def _haystack(entry: CatalogEntry) -> str:
    words = [entry.path, entry.name, entry.architecture, entry.encoder, entry.decoder, entry.head]
    return " ".join(word for word in words if word).casefold()


def select_entries(
    entries: Sequence[CatalogEntry],
    *predicates: Callable[[CatalogEntry], bool],
    sort: str | None = None,
    descending: bool = True,
) -> list[CatalogEntry]:
    """The entries that pass every predicate, optionally sorted by a metric.

    Args:
        entries: Scanned entries (as :meth:`CheckpointCatalog.scan` returns them,
            or filled in further, e.g. by ``read_weights``).
        *predicates: Filters.
        sort: A metric name to sort by (:func:`sort_by_metric`).
        descending: Highest value first (the default) or lowest first.

    Returns:
        The selected entries.
    """
    found = [entry for entry in entries if all(p(entry) for p in predicates)]
    return found if sort is None else sort_by_metric(found, sort, descending=descending)


def sort_by_metric(
    entries: Sequence[CatalogEntry], metric: str, *, descending: bool = True
) -> list[CatalogEntry]:
    """Entries sorted by one metric; those without it (or with NaN) come last, in their order.

    Args:
        entries: The entries.
        metric: The metric name (``val/hmean``).
        descending: Highest value first (the default) or lowest first.

    Returns:
        The sorted entries.
    """

    def ranked(entry: CatalogEntry) -> bool:
        value = entry.metrics.get(metric)
        return value is not None and not math.isnan(value)

    with_metric = sorted(
        filter(ranked, entries), key=lambda e: e.metrics[metric], reverse=descending
    )
    return with_metric + [e for e in entries if not ranked(e)]
