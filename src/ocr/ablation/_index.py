"""The ablation's index: what each run's files held when last read, checked on every read.

Parsing a thousand saved configs (YAML) and metric files is most of the time a
collection takes; their content only changes with the files. The index
(``<root>/.ocr/ablation.index``, a deletable cache, written like the catalog's:
:mod:`ocr._cache_file`) keeps each run's :class:`~ocr.ablation._read.Evidence`
with the size and modification time of every file it was read from. A read
stats those files (one ``stat`` each) and re-reads a run when any differs,
appeared or vanished. A file modified in the last two seconds is read afresh
and not kept: a change within the same timestamp tick would go unseen (git's
"racy" case), and a running run's metric file changes all the time.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ocr._cache_file import load_cache, save_cache
from ocr.ablation._history import MetricHistory, MetricPoint
from ocr.ablation._read import Evidence, RunFiles, read_evidence
from ocr.layout import RootLayout

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["EvidenceIndex"]

_log = logging.getLogger(__name__)
_SCHEMA_VERSION: Final = 1
_WHAT: Final = "the ablation index"
_RACY_NS: Final = 2_000_000_000
_MISSING: Final = (-1, -1)
# A file as read: (path, mtime_ns, size); -1, -1 when it did not exist.
_Stamp = tuple[str, int, int]
# One run: (its files' stamps, its evidence as plain values).
_Cached = tuple[tuple[_Stamp, ...], tuple[Any, ...]]


class EvidenceIndex:
    """Reads runs' evidence through one root's index, and saves what changed.

    Args:
        root: The output root whose ``.ocr/ablation.index`` this is.
    """

    def __init__(self, root: Path) -> None:
        self._file = RootLayout(root).ablation_index_file
        loaded = load_cache(self._file, schema_version=_SCHEMA_VERSION, what=_WHAT, log=_log)
        self._old: dict[str, _Cached] = loaded if isinstance(loaded, dict) else {}
        self._new: dict[str, _Cached] = {}
        self._read_afresh = False

    def evidence(self, files: RunFiles) -> Evidence:
        """What a run's files hold: from the index when they are unchanged, else read.

        Args:
            files: Where the run's evidence is.

        Returns:
            The evidence.
        """
        key = str(files.run_dir)
        stamps = tuple(_stamp(path) for path in files.evidence_files)
        cached = self._old.get(key)
        if cached is not None and cached[0] == stamps:
            self._new[key] = cached
            return _evidence(cached[1])
        evidence = read_evidence(files)
        self._read_afresh = True
        if not _is_racy(stamps):
            self._new[key] = (stamps, _plain(evidence))
        return evidence

    def save(self, keep: Iterable[Path]) -> None:
        """Write the index when it changed; runs not read this time but in ``keep`` stay.

        Args:
            keep: The run folders still under the root (a selection read only some).
        """
        for run_dir in map(str, keep):
            if run_dir not in self._new and run_dir in self._old:
                self._new[run_dir] = self._old[run_dir]
        if self._read_afresh or self._new.keys() != self._old.keys():
            save_cache(self._file, self._new, schema_version=_SCHEMA_VERSION, what=_WHAT, log=_log)


def _stamp(path: Path) -> _Stamp:
    try:
        stat = os.stat(path)  # noqa: PTH116 (one plain stat per file, as bare as it gets)
    except OSError:
        return (str(path), *_MISSING)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _is_racy(stamps: Iterable[_Stamp]) -> bool:
    recent = time.time_ns() - _RACY_NS
    return any(mtime_ns >= recent for _, mtime_ns, _ in stamps)


def _plain(evidence: Evidence) -> tuple[Any, ...]:
    history = evidence.history
    series = None
    if history is not None:
        series = {name: tuple(map(tuple, points)) for name, points in history.series.items()}
    sources = tuple(map(str, history.sources)) if history is not None else ()
    return (evidence.config, evidence.overrides, series, sources, evidence.problems)


def _point(plain: tuple[float, int | None, int | None]) -> MetricPoint:
    # tuple.__new__ is what NamedTuple._make does, minus its length check and a call.
    return tuple.__new__(MetricPoint, plain)


def _evidence(plain: tuple[Any, ...]) -> Evidence:
    config, overrides, series, sources, problems = plain
    history = None
    if series is not None:
        history = MetricHistory(
            {
                name: tuple(MetricPoint(*point) for point in points)
                for name, points in series.items()
            },
            tuple(map(Path, sources)),
        )
    return Evidence(config, overrides, history, problems)
