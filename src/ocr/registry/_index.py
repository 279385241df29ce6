"""The registry index: a cache of every run record, checked on every read.

``<root>/.ocr/registry.json`` holds each record with the ``stat`` it was read
at; every read compares that with the record on disk (one ``stat`` per
record) and re-reads what changed, so deleting or corrupting the index loses
nothing and never makes a query wrong; an unreadable index is rebuilt and the
rebuild is logged.
"""

from __future__ import annotations

import errno
import logging
from stat import S_ISLNK
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from ocr._json import validate_json
from ocr._reading import STATE_LIMIT, read_capped, real_folders
from ocr.atomic import atomic_write_json
from ocr.errors import RecordInvalidError
from ocr.layout import RootLayout, RunLayout
from ocr.locking import locked
from ocr.registry._record import ExperimentRecord, read_record

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["IndexEntry", "RegistryIndex"]

_log = logging.getLogger(__name__)


class IndexEntry(BaseModel):
    """One record as the index holds it, with the stat it was read at."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str
    mtime_ns: NonNegativeInt
    size: NonNegativeInt
    record: ExperimentRecord


class _IndexFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    entries: list[IndexEntry]


class RegistryIndex:
    """The index of one output root.

    Args:
        root: The output root (absolute).
        lock_timeout: Seconds to wait for the index's lock.
    """

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        self.root = root
        self._layout = RootLayout(root)
        self._index_file = self._layout.registry_index_file
        self._lock_timeout = lock_timeout

    def rebuild(self) -> int:
        """Rebuild the index from the records alone.

        Returns:
            How many records the new index holds.
        """
        entries = self._scan({})
        self._write_index(entries)
        return len(entries)

    def entries(self) -> dict[str, IndexEntry]:
        """Every readable record, keyed by its path, checked against the records on disk.

        Returns:
            Record path (relative to the root, POSIX) -> its entry.
        """
        cached = self._load_index()
        entries = self._scan(cached or {})
        if cached is None or entries != cached:
            self._write_index(entries)
        return entries

    def _scan(self, cached: dict[str, IndexEntry]) -> dict[str, IndexEntry]:
        entries: dict[str, IndexEntry] = {}
        inside = real_folders([self.root])
        for run_dir in self._layout.run_dirs():
            record_file = RunLayout(run_dir).record_file
            try:
                stat = record_file.lstat()
            except FileNotFoundError:
                continue  # a run folder that was never registered
            except OSError as exc:  # an unreadable run folder: its record cannot be seen
                _log.warning("skipping an unreadable run folder %s: %s", run_dir, exc.strerror)
                continue
            key = record_file.relative_to(self.root).as_posix()
            # A record that is a link is read (and judged) again every time.
            hit = None if S_ISLNK(stat.st_mode) else cached.get(key)
            if hit and (hit.mtime_ns, hit.size) == (stat.st_mtime_ns, stat.st_size):
                entries[key] = hit
                continue
            try:
                record = read_record(record_file, inside=inside)
            except (RecordInvalidError, OSError) as exc:
                _log.warning("skipping an unreadable experiment record: %s", exc)
                continue
            entries[key] = IndexEntry(
                path=key, mtime_ns=stat.st_mtime_ns, size=stat.st_size, record=record
            )
        return entries

    def upsert(self, record_file: Path, record: ExperimentRecord) -> None:
        """Put a record a run just wrote into the index, under the index's lock.

        Args:
            record_file: The record's ``run.json``.
            record: What it now holds.
        """
        stat = record_file.stat()
        key = record_file.relative_to(self.root).as_posix()
        entry = IndexEntry(path=key, mtime_ns=stat.st_mtime_ns, size=stat.st_size, record=record)
        index_file = self._index_file
        try:
            _refuse_linked_state_dir(self._layout)
        except OSError as exc:
            _log.warning("could not update the registry index %s: %s", index_file, exc)
            return
        index_file.parent.mkdir(parents=True, exist_ok=True)
        with locked(index_file, timeout=self._lock_timeout):
            entries = self._load_index()
            if entries is None:
                entries = self._scan({})
            entries[key] = entry
            atomic_write_json(index_file, _IndexFile(entries=list(entries.values())))

    def _load_index(self) -> dict[str, IndexEntry] | None:
        index_file = self._index_file
        if self._layout.state_dir.is_symlink():
            return None  # never read through a linked .ocr (it is rebuilt, not trusted)
        try:
            content = read_capped(index_file, limit=STATE_LIMIT)
            index = validate_json(_IndexFile, content)
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as exc:
            _log.warning(
                "the registry index %s is unreadable (%s); rebuilding it from the run records",
                index_file,
                type(exc).__name__,
            )
            return None
        return {entry.path: entry for entry in index.entries}

    def _write_index(self, entries: dict[str, IndexEntry]) -> None:
        index_file = self._index_file
        try:
            _refuse_linked_state_dir(self._layout)
            index_file.parent.mkdir(parents=True, exist_ok=True)
            with locked(index_file, timeout=self._lock_timeout):
                atomic_write_json(index_file, _IndexFile(entries=list(entries.values())))
        except OSError as exc:
            # The index is only a cache; a read-only root still answers queries.
            _log.warning("could not write the registry index %s: %s", index_file, exc)


def _refuse_linked_state_dir(layout: RootLayout) -> None:
    """A cache is never written through a linked ``.ocr`` (it would land outside the root)."""
    if layout.state_dir.is_symlink():
        raise OSError(errno.ELOOP, "the state folder is a link; ocr never writes through it")
