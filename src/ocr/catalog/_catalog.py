"""CheckpointCatalog: every checkpoint under some roots, filtered and sorted."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr.catalog._describe import Describer
from ocr.catalog._index import scan_root
from ocr.compat import LegacyFolders, is_legacy_enabled

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from ocr._typing import StrPath
    from ocr.catalog._entry import CatalogEntry

__all__ = ["CatalogFilter", "CheckpointCatalog", "select_entries", "sort_by_metric"]


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
        min_metrics: Metric name -> lowest accepted value (entries lacking it fail).
        status: The run's registry status.
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
    tags: tuple[str, ...] = ()
    search: str | None = None

    def __call__(self, entry: CatalogEntry) -> bool:
        """Whether ``entry`` passes every filter."""
        exact = {
            "architecture": self.architecture,
            "encoder": self.encoder,
            "decoder": self.decoder,
            "head": self.head,
            "status": self.status,
        }
        if any(want is not None and getattr(entry, key) != want for key, want in exact.items()):
            return False
        created = entry.created_at
        if self.since is not None and (created is None or created < self.since):
            return False
        if self.until is not None and (created is None or created >= self.until):
            return False
        if any(entry.metrics.get(k, float("-inf")) < v for k, v in self.min_metrics.items()):
            return False
        if not set(self.tags) <= set(entry.tags):
            return False
        return self.search is None or self.search.casefold() in _haystack(entry)


def _haystack(entry: CatalogEntry) -> str:
    words = [entry.path, entry.name, entry.architecture, entry.encoder, entry.decoder, entry.head]
    return " ".join(word for word in words if word).casefold()


class CheckpointCatalog:
    """Finds the checkpoints under one or more output roots, new and legacy alike.

    Discovery never unpickles a checkpoint. Each root keeps an incremental
    index in ``<root>/.ocr/catalog.index``; the legacy ``multirun/`` and
    ``wandb/`` folders beside a root are scanned with it (unless legacy
    support is off, ``OCR_LEGACY=0``).

    Args:
        roots: The output roots.
        legacy: The legacy sweep and W&B folders to scan with every root,
            instead of those beside it (``None`` in a field: no such folder).
            A root's index remembers which folders it was made with, and is
            rebuilt when they change.

    >>> import tempfile
    >>> CheckpointCatalog([tempfile.mkdtemp()]).scan()
    []
    """

    def __init__(self, roots: Sequence[StrPath], *, legacy: LegacyFolders | None = None) -> None:
        self.roots = [Path(root).expanduser().resolve() for root in roots]
        self.legacy = legacy

    def scan(self, *, rescan: bool = False, index: bool = True) -> list[CatalogEntry]:
        """Every checkpoint under the roots, in path order.

        Args:
            rescan: Ignore the indexes and describe every checkpoint again.
            index: Use (read and update) the roots' indexes; ``False`` reads
                and writes none, for callers that must not write (a dry run).

        Returns:
            The entries.
        """
        entries: list[CatalogEntry] = []
        for root in self.roots:
            legacy = self.legacy_folders(root)
            describer = Describer(roots=legacy.tops(root), legacy=legacy)
            entries.extend(scan_root(root, legacy, describer, rescan=rescan, use_index=index))
        return entries

    def query(
        self,
        *predicates: Callable[[CatalogEntry], bool],
        sort: str | None = None,
        descending: bool = True,
        rescan: bool = False,
    ) -> list[CatalogEntry]:
        """The checkpoints that pass every predicate, optionally sorted by a metric.

        Args:
            *predicates: Filters, e.g. a :class:`CatalogFilter` or a ``--where`` predicate.
            sort: A metric name to sort by; entries without it go last.
            descending: Highest value first (the default) or lowest first.
            rescan: Ignore the indexes.

        Returns:
            The matching entries.
        """
        return select_entries(
            self.scan(rescan=rescan), *predicates, sort=sort, descending=descending
        )

    def legacy_folders(self, root: Path) -> LegacyFolders:
        """The legacy folders a root's scan walks after the root itself.

        Args:
            root: One of the output roots.

        Returns:
            The folders given, else the ``multirun``/``wandb`` folders beside
            the root (none when legacy support is off).
        """
        if not is_legacy_enabled():
            return LegacyFolders()
        return self.legacy or LegacyFolders.beside(root)


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
