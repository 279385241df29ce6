"""Which folder is a run, and which run a checkpoint belongs to: found by contents, at any depth.

One definition, used by the catalog (through :func:`~ocr.compat.locate_legacy_run`),
the migrator (which splits folders into their runs) and ``ocr validate`` (which
takes the catalog's word):

- a folder holding ``.hydra/config.yaml`` is a run;
- so is a folder holding ``checkpoints/`` or ``lightning_logs/`` when no run
  is above it;
- the top a tree is read from (an output root, a legacy sweep folder) is never
  a run itself; nor is a date folder of the layout right below it
  (``<root>/<YYYY-MM-DD>/``) for what lies in one of its ``<HH-MM-SS>[_n]``
  folders: those are the layout's runs. (The migrator never splits a date
  folder: it is the layout's, already migrated.)

The run of a checkpoint (a file, a link or a folder checkpoint, wherever it
sits below its run: ``checkpoints/``, ``submissions/``,
``lightning_logs/version_<k>/checkpoints/``) is the nearest folder above it
that holds ``.hydra/config.yaml``; without one, the outermost folder above it
that holds ``checkpoints/`` or ``lightning_logs/``; without either, it has none.

The rule reads only what a folder holds, asked through a :data:`MarksOf`: the
catalog asks the disk (:class:`DiskMarks`, each folder once), the migrator
its inventory of a folder, so both see the same runs.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple, TypeAlias

from ocr.compat._vocabulary import LIGHTNING_LOGS_DIR_NAME
from ocr.layout import RunLayout
from ocr.layout._shared import in_layout_run

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "RUN_CONFIG_RELATIVE",
    "RUN_FOLDER_MARKS",
    "DiskMarks",
    "FolderMarks",
    "MarksOf",
    "run_depth",
    "runs_below",
]

_LAYOUT: Final = RunLayout(Path())
RUN_CONFIG_RELATIVE: Final = _LAYOUT.config_file.as_posix()
"""``.hydra/config.yaml``: a folder holding it is a run."""
RUN_FOLDER_MARKS: Final = (_LAYOUT.checkpoint_dir.as_posix(), LIGHTNING_LOGS_DIR_NAME)
"""``checkpoints`` and ``lightning_logs``: a folder holding one is a run when no run is above it."""


class FolderMarks(NamedTuple):
    """What a folder holds that makes it a run.

    Args:
        config: It holds ``.hydra/config.yaml``.
        run_folders: It holds ``checkpoints/`` or ``lightning_logs/``.
    """

    config: bool
    run_folders: bool

    @property
    def any(self) -> bool:
        """Whether either mark is there."""
        return self.config or self.run_folders


MarksOf: TypeAlias = Callable[[tuple[str, ...]], FolderMarks]
"""Folder (its parts below the top) -> what it holds."""


def run_depth(folder_parts: Sequence[str], marks_of: MarksOf) -> int | None:
    """How many of a checkpoint's folder parts (below the top) make up its run folder.

    Args:
        folder_parts: The parts of the folder the checkpoint sits in, relative
            to the top.
        marks_of: What a folder (its parts below the top) holds.

    Returns:
        The run folder's length in parts (at least 1: the top is no run), or
        ``None`` when the checkpoint is in no run.

    >>> holds = {("a",): FolderMarks(False, True), ("a", "b"): FolderMarks(True, False)}
    >>> marks = lambda parts: holds.get(parts, FolderMarks(False, False))
    >>> run_depth(("a", "b", "checkpoints"), marks), run_depth(("a", "checkpoints"), marks)
    (2, 1)
    """
    outermost = None
    lowest = 2 if in_layout_run(folder_parts) else 1
    for depth in range(len(folder_parts), lowest - 1, -1):
        marks = marks_of(tuple(folder_parts[:depth]))
        if marks.config:
            return depth
        # The checkpoint's own path may say it: ``<run>/checkpoints/...``.
        on_path = depth < len(folder_parts) and folder_parts[depth] in RUN_FOLDER_MARKS
        if marks.run_folders or on_path:
            outermost = depth
    return outermost


def runs_below(folders: Sequence[tuple[str, ...]], marks_of: MarksOf) -> list[tuple[str, ...]]:
    """Every run among some folders: those with a config, and the outermost others.

    Args:
        folders: Folders, as parts below the top (the top itself, ``()``, is
            never a run).
        marks_of: What a folder holds.

    Returns:
        The run folders in path order; a run may lie inside another one
        (a config below a folder of either kind): the caller decides what
        that means.
    """
    marked = {parts: marks_of(parts) for parts in folders if parts}
    runs = []
    for parts, marks in sorted(marked.items()):
        above = (marked.get(parts[:depth]) for depth in range(1, len(parts)))
        if marks.config or (marks.run_folders and not any(m is not None and m.any for m in above)):
            runs.append(parts)
    return runs


class DiskMarks:
    """Reads folders' marks from the disk, each folder once (links are not followed)."""

    def __init__(self) -> None:
        self._known: dict[str, FolderMarks] = {}

    def under(self, top: str | Path) -> MarksOf:
        """The marks of folders given as parts below ``top``."""
        start = os.fspath(top)
        return lambda parts: self(os.path.join(start, *parts))  # noqa: PTH118

    def __call__(self, folder: str) -> FolderMarks:
        """What a folder holds.

        Args:
            folder: The folder, as a path string.

        Returns:
            Its marks; a folder that cannot be read holds none.
        """
        marks = self._known.get(folder)
        if marks is None:
            marks = self._known[folder] = FolderMarks(
                config=_is(os.path.join(folder, RUN_CONFIG_RELATIVE), stat.S_ISREG),  # noqa: PTH118
                run_folders=any(
                    _is(os.path.join(folder, name), stat.S_ISDIR)  # noqa: PTH118
                    for name in RUN_FOLDER_MARKS
                ),
            )
        return marks


def _is(path: str, kind: Callable[[int], bool]) -> bool:
    try:
        return kind(os.lstat(path).st_mode)
    except OSError:
        return False
