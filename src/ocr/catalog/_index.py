"""The catalog's incremental scan and its index (a deletable cache).

The index remembers, per folder, its mtime, its subfolders and its
checkpoints, and per checkpoint its entry and the folders the entry depends
on (its own and the run folder; for an entry built from legacy evidence,
also the config and W&B folders). A rescan stats every folder
(:mod:`ocr.catalog._walk`); an unchanged folder is not listed again, and an
entry is rebuilt only when one of its folders changed; when none changed,
the index is the answer. Creating, deleting or replacing a file (as
Lightning, ocr and most tools do: write then rename) changes its folder's
mtime, however deep it is. Editing a file in place, without a rename, does
not: ``rescan=True`` rebuilds everything.

The index is one file (no SQLite: WAL mode does not work on network
filesystems), written atomically under a lock, and not fsynced (a cache
needs no durability): a versioned JSON header line with the SHA-256 of the
payload, then the payload, plain data in ``marshal`` form (JSON decoding and
validating 10,000 entries took longer than the whole walk). A corrupt,
truncated, newer or other-Python index fails the header or the checksum and
is rebuilt. A payload that passes them is still a hint from outside, never
an authority: its shape, the type of every value and every path it names are
checked before it is used (:mod:`ocr.catalog._index_payload`), and its
folders are checked against the tree by their mtimes on every scan. The
index is never read or written through a linked ``.ocr``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ocr._cache_file import load_cache, save_cache
from ocr._gc import paused_gc
from ocr._reading import real_folders
from ocr.catalog._entry import CatalogEntry
from ocr.catalog._index_payload import index_problem
from ocr.catalog._walk import Folder, Stat, walk
from ocr.compat import is_legacy_enabled
from ocr.layout import RootLayout

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ocr.compat import LegacyFolders

__all__ = ["Described", "Stale", "scan_root"]

_log = logging.getLogger(__name__)
_SCHEMA_VERSION: Final = 4  # 2: ``monitor``; 3: ``task``; 4: folder checkpoints
_WHAT: Final = "the catalog index"


# A checkpoint: (entry as a row of plain values, folders the entry depends on).
_Cached = tuple[tuple[Any, ...], tuple[str, ...]]
# Per folder, its checkpoints to describe; and what describing them gives:
# per checkpoint, its entry and the folders whose changes would change it.
Stale = dict[str, dict[str, Stat]]
Described = dict[str, tuple[CatalogEntry, tuple[str, ...]]]


@dataclass
class _Index:
    folders: dict[str, Folder]
    entries: dict[str, _Cached]
    scope: tuple[bool | str | None, ...] | None  # the legacy settings it was made with


@paused_gc()
def scan_root(
    root: Path,
    legacy: LegacyFolders,
    describe: Callable[[Stale], Described],
    *,
    rescan: bool = False,
    use_index: bool = True,
) -> list[CatalogEntry]:
    """Scan one root (and its legacy folders), reusing its index.

    Args:
        root: The output root; its ``.ocr/catalog.index`` is the index.
        legacy: The legacy sweep and W&B folders scanned with it. An index
            made with other ones, or with legacy support switched the other
            way, is not used (and is replaced).
        describe: Describes changed checkpoints (called only when some did).
        rescan: Ignore the index and describe everything again.
        use_index: Read and write the index; ``False`` describes everything and
            writes nothing (a dry run must not touch the tree).

    Returns:
        The entries of every checkpoint found, in path order.
    """
    index_file = RootLayout(root).catalog_index_file
    tops = legacy.tops(root)
    # What the entries were described with: the legacy switch and folders.
    scope = (is_legacy_enabled(), *(None if folder is None else str(folder) for folder in legacy))
    old = None if rescan or not use_index else _load(index_file, tops)
    if old is not None and old.scope != scope:
        old = None  # made with other legacy settings: it describes other checkpoints
    old_folders = old.folders if old else {}
    folders = walk(tops, old_folders, skip=str(RootLayout(root).state_dir))
    changed = {path for path, folder in folders.items() if old_folders.get(path) != folder}
    changed |= old_folders.keys() - folders.keys()
    if old is not None and not changed:
        # Not one folder changed: the index holds every entry, as it was. Each
        # row is let go as its entry is made, so the two never all coexist.
        rows = old.entries
        return [CatalogEntry.from_row(rows.pop(path)[0]) for path in sorted(rows)]
    entries, stale = _reusable(old, folders, changed)
    fresh = describe(stale) if stale else {}
    for path, (entry, depends) in fresh.items():
        entries[path] = (entry.as_row(), depends)
    if use_index and (old is None or changed or entries.keys() != old.entries.keys()):
        _save(index_file, _Index(folders, entries, scope))
    return [
        fresh[path][0] if path in fresh else CatalogEntry.from_row(entries[path][0])
        for path in sorted(entries)
    ]


def _reusable(
    old: _Index | None, folders: dict[str, Folder], changed: set[str]
) -> tuple[dict[str, _Cached], dict[str, dict[str, Stat]]]:
    """The cached entries that still hold, and per folder the checkpoints to describe."""
    if old is None:
        return {}, {folder: state[2] for folder, state in folders.items() if state[2]}
    entries: dict[str, _Cached] = {}
    stale: dict[str, dict[str, Stat]] = {}
    for folder, (_, _, checkpoints, _) in folders.items():
        for path, stat in checkpoints.items():
            cached = old.entries.get(path)
            if cached is not None and changed.isdisjoint(cached[1]):
                entries[path] = cached
            else:
                stale.setdefault(folder, {})[path] = stat
    return entries, stale


def _load(index_file: Path, tops: list[Path]) -> _Index | None:
    data = load_cache(
        index_file,
        schema_version=_SCHEMA_VERSION,
        what=_WHAT,
        log=_log,
        inside=real_folders(tops[:1]),
    )
    if data is None:
        return None
    problem = index_problem(data, [str(top) for top in tops])
    if problem is not None:
        _log.warning("%s %s is unreadable (%s); rebuilding it", _WHAT, index_file, problem)
        return None
    return _Index(data["folders"], data["entries"], data["scope"])


def _save(index_file: Path, index: _Index) -> None:
    # Entries share their repeated strings, tuples and dicts (the describer
    # keeps them shared), so marshal writes each once and loads it once.
    data = {"folders": index.folders, "entries": index.entries, "scope": index.scope}
    save_cache(index_file, data, schema_version=_SCHEMA_VERSION, what=_WHAT, log=_log)
