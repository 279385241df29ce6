"""The catalog's incremental scan and its index (a deletable cache).

The index remembers, per folder, its mtime, its subfolders and its
checkpoint files, and per checkpoint its entry and the folders the entry
depends on (its own and the run folder; for an entry built from legacy
evidence, also the config and W&B folders). A rescan stats every folder; an
unchanged folder is not listed again, and an entry is rebuilt only when one
of its folders changed; when none changed, the index is the answer. Creating, deleting or
replacing a file (as Lightning, ocr and most tools do: write then rename)
changes its folder's mtime, however deep it is. Editing a file in place,
without a rename, does not: ``rescan=True`` rebuilds everything.

The index is one file (no SQLite: WAL mode does not work on network
filesystems), written atomically under a lock, and not fsynced (a cache
needs no durability): a versioned JSON header line
with the SHA-256 of the payload, then the payload, plain data in ``marshal``
form (JSON decoding and validating 10,000 entries took longer than the whole
walk). A corrupt, truncated, newer or other-Python index fails the header or
the checksum and is rebuilt, never trusted; ``marshal`` data holds only
plain values and loads no code.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ocr._cache_file import load_cache, save_cache
from ocr._gc import paused_gc
from ocr.catalog._entry import CatalogEntry
from ocr.compat import is_legacy_enabled
from ocr.layout import RootLayout
from ocr.naming import CHECKPOINT_SUFFIX, sidecar_name

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.catalog._describe import Describer
    from ocr.compat import LegacyFolders

__all__ = ["scan_root"]

_log = logging.getLogger(__name__)
_SCHEMA_VERSION: Final = 2  # 2: entries gained ``monitor``
_WHAT: Final = "the catalog index"

# A checkpoint as the walk saw it: (size, mtime_ns, has sidecar).
_Stat = tuple[int, int, bool]
# A folder: (mtime_ns, subfolder paths, {checkpoint path: its _Stat}).
_Folder = tuple[int, tuple[str, ...], dict[str, _Stat]]
# A checkpoint: (entry as a row of plain values, folders the entry depends on).
_Cached = tuple[tuple[Any, ...], tuple[str, ...]]


@dataclass
class _Index:
    folders: dict[str, _Folder]
    entries: dict[str, _Cached]
    scope: tuple[bool | str | None, ...] | None  # the legacy settings it was made with


@paused_gc()
def scan_root(
    root: Path,
    legacy: LegacyFolders,
    describer: Describer,
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
        describer: Describes changed checkpoints.
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
    old = None if rescan or not use_index else _load(index_file)
    if old is not None and old.scope != scope:
        old = None  # made with other legacy settings: it describes other checkpoints
    old_folders = old.folders if old else {}
    folders = _walk(tops, old_folders, skip=str(RootLayout(root).state_dir))
    changed = {path for path, folder in folders.items() if old_folders.get(path) != folder}
    changed |= old_folders.keys() - folders.keys()
    if old is not None and not changed:
        # Not one folder changed: the index holds every entry, as it was.
        return [CatalogEntry.from_row(old.entries[path][0]) for path in sorted(old.entries)]
    entries, stale = _reusable(old, folders, changed)
    fresh = describer.describe(stale)
    for path, (entry, depends) in fresh.items():
        entries[path] = (entry.as_row(), depends)
    if use_index and (old is None or changed or entries.keys() != old.entries.keys()):
        _save(index_file, _Index(folders, entries, scope))
    return [
        fresh[path][0] if path in fresh else CatalogEntry.from_row(entries[path][0])
        for path in sorted(entries)
    ]


def _reusable(
    old: _Index | None, folders: dict[str, _Folder], changed: set[str]
) -> tuple[dict[str, _Cached], dict[str, dict[str, _Stat]]]:
    """The cached entries that still hold, and per folder the checkpoints to describe."""
    if old is None:
        return {}, {folder: state[2] for folder, state in folders.items() if state[2]}
    entries: dict[str, _Cached] = {}
    stale: dict[str, dict[str, _Stat]] = {}
    for folder, (_, _, checkpoints) in folders.items():
        for path, stat in checkpoints.items():
            cached = old.entries.get(path)
            if cached is not None and changed.isdisjoint(cached[1]):
                entries[path] = cached
            else:
                stale.setdefault(folder, {})[path] = stat
    return entries, stale


def _walk(tops: list[Path], known: dict[str, _Folder], *, skip: str) -> dict[str, _Folder]:
    # Paths stay the strings os.scandir gives: building Path objects for every
    # folder would cost more than the walk itself.
    folders: dict[str, _Folder] = {}
    inside = tuple(os.path.realpath(top) for top in tops)
    stack = [sys.intern(str(top)) for top in tops if top.is_dir()]
    while stack:
        folder = stack.pop()
        try:
            mtime_ns = os.stat(folder).st_mtime_ns  # noqa: PTH116 (no Path objects in the hot walk)
        except OSError:
            continue  # removed while we walked
        state = known.get(folder)
        if state is None or state[0] != mtime_ns:
            state = _list(folder, mtime_ns, inside)
        folders[folder] = state
        stack.extend(sub for sub in state[1] if sub != skip)
    return folders


def _list(folder: str, mtime_ns: int, inside: tuple[str, ...]) -> _Folder:
    subfolders: list[str] = []
    checkpoints: dict[str, _Stat] = {}
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as exc:
        _log.warning("cannot list %s: %s", folder, exc)
        entries = []
    names = {entry.name for entry in entries}
    for entry in entries:
        # Folder links are not followed: they can loop or leave the tree.
        if entry.is_dir(follow_symlinks=False):
            subfolders.append(sys.intern(entry.path))
        elif entry.name.endswith(CHECKPOINT_SUFFIX):
            if entry.is_symlink() and not _leads_inside(entry.path, inside):
                continue  # a link out of the tree: not ours to list (nor to stat)
            try:
                stat = entry.stat()
            except OSError:
                continue  # a dangling link is no checkpoint
            has_sidecar = sidecar_name(entry.name) in names
            checkpoints[entry.path] = (stat.st_size, stat.st_mtime_ns, has_sidecar)
    return (mtime_ns, tuple(sorted(subfolders)), checkpoints)


def _leads_inside(link: str, tops: tuple[str, ...]) -> bool:
    """Whether a link's target lies inside one of the scanned folders."""
    target = os.path.realpath(link)
    return any(target == top or target.startswith(top + os.sep) for top in tops)


def _load(index_file: Path) -> _Index | None:
    data = load_cache(index_file, schema_version=_SCHEMA_VERSION, what=_WHAT, log=_log)
    return None if data is None else _Index(data["folders"], data["entries"], data.get("scope"))


def _save(index_file: Path, index: _Index) -> None:
    # Entries share their repeated strings, tuples and dicts (the describer
    # keeps them shared), so marshal writes each once and loads it once.
    data = {"folders": index.folders, "entries": index.entries, "scope": index.scope}
    save_cache(index_file, data, schema_version=_SCHEMA_VERSION, what=_WHAT, log=_log)
