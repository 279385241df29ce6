"""CheckpointCatalog: every checkpoint under some roots, filtered and sorted."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ocr.catalog._find import CheckpointQuery, QueryResult, run_query
from ocr.catalog._index import scan_root
from ocr.catalog._selection import select_entries
from ocr.compat import LegacyFolders, is_legacy_enabled
from ocr.layout import resolve_user_path

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from ocr._typing import StrPath
    from ocr.catalog._config_lookup import RunConfigLookup
    from ocr.catalog._entry import CatalogEntry
    from ocr.catalog._index import Described, Stale

__all__ = ["CheckpointCatalog"]


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
    >>> catalog = CheckpointCatalog([tempfile.mkdtemp()])
    >>> catalog.scan(), catalog.find(CheckpointQuery(where="epoch > 3")).entries
    ([], [])
    """

    def __init__(self, roots: Sequence[StrPath], *, legacy: LegacyFolders | None = None) -> None:
        # A root given twice (or by two spellings) is scanned once.
        self.roots = list(dict.fromkeys(resolve_user_path(root) for root in roots))
        self.legacy = legacy

    def scan(self, *, rescan: bool = False, index: bool = True) -> list[CatalogEntry]:
        """Every checkpoint under the roots, in path order.

        Args:
            rescan: Ignore the indexes and describe every checkpoint again.
            index: Use (read and update) the roots' indexes; ``False`` reads
                and writes none, for callers that must not write (a dry run).

        Returns:
            The entries; a checkpoint under two of the roots (one inside the
            other) is listed once.
        """
        entries: list[CatalogEntry] = []
        for root in self.roots:
            legacy = self.legacy_folders(root)
            describe = partial(_describe, legacy.tops(root), legacy)
            entries.extend(scan_root(root, legacy, describe, rescan=rescan, use_index=index))
        return _once_each(entries) if len(self.roots) > 1 else entries

    def notices(self) -> list[str]:
        """What the scan leaves out on purpose and a user may not expect, one line each.

        Returns:
            A line per ``multirun``/``wandb`` link beside a root (links are never
            followed, so nothing behind it is listed).
        """
        if self.legacy is not None or not is_legacy_enabled():
            return []
        return [
            f"{str(link)!r} beside the root is a link, and links are never followed, so "
            f"nothing in it is listed. Scan the folder it points to with --{link.name} DIR"
            for root in self.roots
            for link in LegacyFolders.linked_beside(root)
        ]

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

    def find(self, query: CheckpointQuery | None = None) -> QueryResult:
        """Everything a query asks, in one call: the public way to search checkpoints.

        Args:
            query: Filters, ``--where``, ``best(...)``, sorting, the weights
                option; every checkpoint, in path order, when ``None``.

        Returns:
            The matching entries, and one line per file that could not be read
            on the way.
        """
        return run_query(self, query or CheckpointQuery())

    def config_lookup(self) -> RunConfigLookup:
        """A reader of each entry's saved run config, for ``config.*`` keys.

        Returns:
            A lookup over this catalog's roots and legacy folders (keep one per query).
        """
        from ocr.catalog._config_lookup import RunConfigLookup  # noqa: PLC0415 (YAML: when asked)

        return RunConfigLookup([(root, self.legacy_folders(root)) for root in self.roots])

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


def _describe(roots: list[Path], legacy: LegacyFolders, stale: Stale) -> Described:
    """Describe changed checkpoints (:class:`~ocr.catalog._describe.Describer`).

    Imported only when a checkpoint changed: the describer reads sidecars
    with Pydantic and records through the registry, which a warm scan of an
    unchanged tree (a repeated ``ocr catalog``) never needs to load.
    """
    from ocr.catalog._describe import Describer  # noqa: PLC0415 (see above)

    return Describer(roots=roots, legacy=legacy).describe(stale)


def _once_each(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """The entries without repeats (a root inside another lists its checkpoints twice)."""
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry.path not in seen:
            seen.add(entry.path)
            unique.append(entry)
    return unique
