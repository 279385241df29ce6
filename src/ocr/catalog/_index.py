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

import errno
import gc
import hashlib
import logging
import marshal
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ocr._reading import STATE_LIMIT, read_capped, real_folders
from ocr.atomic import atomic_write_bytes
from ocr.catalog._entry import CatalogEntry
from ocr.catalog._index_payload import index_problem
from ocr.catalog._walk import Folder, Stat, walk
from ocr.compat import is_legacy_enabled
from ocr.errors import OcrError
from ocr.layout import RootLayout
from ocr.locking import locked

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from ocr.catalog._describe import Describer
    from ocr.compat import LegacyFolders

__all__ = ["scan_root"]

_log = logging.getLogger(__name__)
_PYTHON: Final = sys.version.split()[0]


class _IndexHeader(BaseModel):
    """The first line of the index file: its version and the payload's checksum."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[4] = 4  # 2: ``monitor``; 3: ``task``; 4: folder checkpoints
    sha256: str
    python: str  # marshal's format belongs to one Python version


# A checkpoint: (entry as a row of plain values, folders the entry depends on).
_Cached = tuple[tuple[Any, ...], tuple[str, ...]]


@dataclass
class _Index:
    folders: dict[str, Folder]
    entries: dict[str, _Cached]
    scope: tuple[bool | str | None, ...] | None  # the legacy settings it was made with


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (not reference counting) for a scan.

    A scan builds tens of thousands of entries and index rows that all
    survive it, none in a cycle; the collector would walk every live object
    of the process over and over for nothing (a third of a cold scan in a
    process that imported torch). Whoever paused it first resumes it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_paused_gc()
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
    old = None if rescan or not use_index else _load(index_file, tops)
    if old is not None and old.scope != scope:
        old = None  # made with other legacy settings: it describes other checkpoints
    old_folders = old.folders if old else {}
    folders = walk(tops, old_folders, skip=str(RootLayout(root).state_dir))
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
    try:
        content = read_capped(index_file, limit=STATE_LIMIT, inside=real_folders(tops[:1]))
    except FileNotFoundError:
        return None
    except OSError as exc:
        _unreadable(index_file, str(exc))
        return None
    data, problem = _payload(content)
    if problem is None:
        problem = index_problem(data, [str(top) for top in tops])
    if problem is not None:
        _unreadable(index_file, problem)
        return None
    return _Index(data["folders"], data["entries"], data["scope"])


def _payload(content: bytes) -> tuple[Any, str | None]:
    """The payload under a valid header, or why there is none."""
    header_line, _, payload = content.partition(b"\n")
    try:
        header = _IndexHeader.model_validate_json(header_line)
    except ValidationError:
        return None, "bad header or a newer version"
    if header.python != _PYTHON:
        return None, f"written by Python {header.python}"
    if hashlib.sha256(payload).hexdigest() != header.sha256:
        return None, "checksum mismatch"
    try:
        return marshal.loads(payload), None  # noqa: S302 (checked before anything uses it)
    except (ValueError, EOFError, TypeError):
        return None, "not marshal data"


def _unreadable(index_file: Path, why: str) -> None:
    _log.warning("the catalog index %s is unreadable (%s); rebuilding it", index_file, why)


def _save(index_file: Path, index: _Index) -> None:
    # Entries share their repeated strings, tuples and dicts (the describer
    # keeps them shared), so marshal writes each once and loads it once.
    payload = marshal.dumps(
        {"folders": index.folders, "entries": index.entries, "scope": index.scope}
    )
    header = _IndexHeader(sha256=hashlib.sha256(payload).hexdigest(), python=_PYTHON)
    content = header.model_dump_json().encode("utf-8") + b"\n" + payload
    try:
        if index_file.parent.is_symlink():
            raise OSError(errno.ELOOP, "the state folder is a link; ocr never writes through it")
        index_file.parent.mkdir(parents=True, exist_ok=True)
        with locked(index_file):
            # Atomic but not durable: after a crash, a torn index fails its
            # checksum and is rebuilt, so waiting for the disk buys nothing.
            atomic_write_bytes(index_file, content, durable=False)
    except (OSError, OcrError) as exc:
        # The index is a cache; a read-only tree is still scanned, only slower.
        _log.warning("could not write the catalog index %s: %s", index_file, exc)
