"""The picker's filters, turned into one catalog query.

The sidebar's widgets fill a :class:`PickerFilters`; :meth:`PickerFilters.query`
makes the :class:`~ocr.catalog.CheckpointQuery` the catalog answers, so the
picker filters exactly as ``ocr catalog`` does (flags, ``--where``,
``best(...)``, sorting). "Best per run" and "best per group" become one
``best(metrics.<rank>, by=[run_dir, ...])``.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from ocr.catalog import CatalogFilter, CheckpointQuery

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ocr.catalog import CatalogEntry

__all__ = [
    "GROUP_KEYS",
    "PickerFilters",
    "facet_values",
    "is_lower_better",
    "metric_key",
    "metric_names",
    "most_monitored",
]

GROUP_KEYS: Final = (
    "model.architecture",
    "model.encoder",
    "model.decoder",
    "model.head",
    "name",
    "config_hash",
)
_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_/\-]+")
_LOWER_IS_BETTER: Final = re.compile(r"loss|error|(?:^|[/_])cer$|(?:^|[/_])wer$")


@dataclass(frozen=True)
class PickerFilters:
    """What the picker's widgets ask for; empty values ask for nothing.

    Args:
        search: Text looked for in the path, name and model names.
        where: A ``--where`` expression.
        architecture: Exact architecture.
        encoder: Exact encoder.
        decoder: Exact decoder.
        head: Exact head.
        since: Created on or after this day (local time).
        until: Created on or before this day (local time).
        min_metric: A metric and its lowest accepted value.
        status: The run's registry status.
        tags: Tags the run must all have.
        rank_by: The metric to sort by and to pick the best with.
        higher_is_better: Whether a higher ``rank_by`` is better.
        best_per_run: Keep each run's best checkpoint.
        group_by: Keep the best checkpoint of each group of these keys.
    """

    search: str = ""
    where: str = ""
    architecture: str | None = None
    encoder: str | None = None
    decoder: str | None = None
    head: str | None = None
    since: date | None = None
    until: date | None = None
    min_metric: tuple[str, float] | None = None
    status: str | None = None
    tags: tuple[str, ...] = ()
    rank_by: str | None = None
    higher_is_better: bool = True
    best_per_run: bool = False
    group_by: tuple[str, ...] = field(default=())

    def query(self) -> CheckpointQuery:
        """The catalog query these filters make.

        Returns:
            The query, sorted by ``rank_by`` (best first).

        Raises:
            CatalogQueryError: ``where`` cannot be parsed (the message names
                the column and the fix).
        """
        filters = CatalogFilter(
            architecture=self.architecture,
            encoder=self.encoder,
            decoder=self.decoder,
            head=self.head,
            since=_start_of(self.since),
            until=_start_of(self.until + timedelta(days=1)) if self.until else None,
            min_metrics=dict([self.min_metric]) if self.min_metric else {},
            status=self.status,
            tags=self.tags,
            search=self.search.strip() or None,
        )
        return CheckpointQuery(
            filters=filters,
            where=self.where.strip() or None,
            best=self.best(),
            best_mode="max" if self.higher_is_better else "min",
            sort=self.rank_by,
            descending=self.higher_is_better,
        )

    def best(self) -> str | None:
        """The ``best(...)`` expression of the two toggles, ``None`` when both are off."""
        by = (["run_dir"] if self.best_per_run else []) + list(self.group_by)
        if self.rank_by is None or not by:
            return None
        return f"best({metric_key(self.rank_by)}, by=[{', '.join(by)}])"


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time()).astimezone()


def metric_key(name: str) -> str:
    """A metric's key in the query language, quoted when it needs it.

    >>> metric_key("val/hmean"), metric_key("val hmean")
    ('metrics.val/hmean', 'metrics.`val hmean`')
    """
    if _PLAIN_KEY.fullmatch(name):
        return f"metrics.{name}"
    return "metrics.`" + name.replace("`", "``") + "`"


def is_lower_better(metric: str) -> bool:
    """Whether a metric's name says lower is better (a loss or an error rate)."""
    return _LOWER_IS_BETTER.search(metric.casefold()) is not None


def most_monitored(entries: Iterable[CatalogEntry]) -> str | None:
    """The metric the entries' runs monitored most often."""
    counts = Counter(entry.monitor for entry in entries if entry.monitor)
    return counts.most_common(1)[0][0] if counts else None


def metric_names(entries: Iterable[CatalogEntry]) -> list[str]:
    """Every metric name any entry holds, sorted."""
    return sorted(set().union(*(entry.metrics for entry in entries)))


def facet_values(
    entries: Sequence[CatalogEntry], name: str, *, keep: str | None = None
) -> list[str]:
    """The distinct known values of one entry field, sorted, for a filter's choices.

    Args:
        entries: The entries shown.
        name: The field (``encoder``, ``status``, ``tags``, ...).
        keep: A value to list even when no entry has it (the current choice).

    Returns:
        The values.
    """
    read = operator.attrgetter(name)
    if name == "tags":
        values: set[str] = set().union(*map(read, entries))
    else:
        values = set(map(read, entries))
        values.discard(None)  # an unknown value is no choice
    if keep is not None:
        values.add(keep)
    return sorted(values)
