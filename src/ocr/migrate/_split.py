"""A folder at the top of the output root that holds several runs: split into its runs.

Runs are found by what folders hold (:mod:`ocr.compat._run_folders`, the rule
the catalog and ``ocr validate`` use too). A folder that holds runs below it
and is no run itself is a container (``experiments/<kind>/<task>/<name>/``, the
lightning-hydra-template's ``logs/<task>/``): each of its runs becomes a unit
of its own, moved to its own timestamp folder; the runs of one sweep (folders
named by a job number, ``<sweep>/<n>/``) stay together as one sweep. Files that
belong to no run stay where they are, and the folders the moves empty are
removed.

The split is refused, and the whole folder left where it is, when it cannot
be told which file belongs to which run: a run inside another run, or a sweep
folder holding a run that is no job of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ocr.compat._shared import RUN_CONFIG_RELATIVE, RUN_FOLDER_MARKS, FolderMarks, runs_below
from ocr.layout import JOB_PATTERN

if TYPE_CHECKING:
    from ocr.migrate._inventory import Inventory

__all__ = ["FolderSplit", "split_folder"]

_SHOWN_RUN: Final = "it holds .hydra/config.yaml, checkpoints/ or lightning_logs/"


@dataclass
class FolderSplit:
    """How a container folder splits (all paths POSIX, relative to it).

    Args:
        runs: Run folders, each its own unit.
        sweeps: Sweep folders, each one unit with its job runs.
        left: Files, links and special files that belong to no run: they stay.
        emptied: Folders the moves leave empty, deepest first.
        refused: Why the folder cannot be split (then nothing of it moves).
    """

    runs: list[str] = field(default_factory=list)
    sweeps: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)
    refused: str | None = None


def split_folder(inventory: Inventory, *, container: bool = False) -> FolderSplit | None:
    """Say how a folder at the top of the output root splits into runs.

    Args:
        inventory: The folder's inventory.
        container: An earlier migration already split this folder: whatever
            it still holds is split too (no run in it: everything stays).

    Returns:
        ``None`` when the folder is one run, or holds no run and was never
        split (it moves whole, as one experiment); else its split.
    """
    runs = _runs(inventory)
    if runs == [""] or (not runs and not container):
        return None
    if "" in runs:
        inner = next(run for run in runs if run)
        return FolderSplit(
            refused=f"the folder is a run ({_SHOWN_RUN}) and holds another run, {inner!r}: "
            "which files belong to which cannot be told. Move the inner run out, then migrate again"
        )
    nested = [(outer, inner) for outer in runs for inner in runs if inner.startswith(outer + "/")]
    if nested:
        outer, inner = nested[0]
        return FolderSplit(
            refused=f"{outer!r} is a run ({_SHOWN_RUN}) and holds another run, {inner!r}: which "
            "files belong to which cannot be told. Move the inner run out, then migrate again"
        )
    split = FolderSplit()
    sweeps = sorted({_parent(run) for run in runs if _is_job(run)})
    for sweep in sweeps:
        strays = [run for run in runs if _inside(run, sweep) and not _is_job_of(run, sweep)]
        if strays:
            shown = sweep or inventory.folder.name
            return FolderSplit(
                refused=f"the sweep folder {shown!r} holds {strays[0]!r}, which is no job of it: "
                "which sweep a run belongs to cannot be told. Move it out, then migrate again"
            )
    split.sweeps = sweeps
    split.runs = [run for run in runs if not any(_inside(run, sweep) for sweep in sweeps)]
    units = {*split.runs, *split.sweeps}
    everything = [*inventory.files, *inventory.links, *inventory.specials, *inventory.unreadable]
    split.left = sorted(path for path in everything if not _in_any(path, units))
    if not units:
        return split
    holding_left = {folder for path in split.left for folder in _folders_above(path)}
    split.emptied = sorted(
        (
            folder
            for folder in inventory.folders
            if folder not in holding_left and not _in_any(folder, units)
        ),
        key=lambda folder: (-(folder.count("/") + 1 if folder else 0), folder),
    )
    return split


def _runs(inventory: Inventory) -> list[str]:
    """The run folders in a folder, by the shared rule (the folder itself is ``""``)."""

    def marks_of(parts: tuple[str, ...]) -> FolderMarks:
        prefix = "/".join(parts[1:])
        prefix = prefix + "/" if prefix else ""
        return FolderMarks(
            config=prefix + RUN_CONFIG_RELATIVE in inventory.files,
            run_folders=any(prefix + mark in inventory.folders for mark in RUN_FOLDER_MARKS),
        )

    # Parts below the output root: the folder itself is one part, never the top.
    name = inventory.folder.name
    folders = [
        (name, *folder.split("/")) if folder else (name,)
        for folder in inventory.folders
        if not inventory.in_folder_checkpoint(folder + "/")
    ]
    return ["/".join(parts[1:]) for parts in runs_below(folders, marks_of)]


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _is_job(run: str) -> bool:
    return JOB_PATTERN.fullmatch(run.rpartition("/")[2]) is not None


def _is_job_of(run: str, sweep: str) -> bool:
    return _parent(run) == sweep and _is_job(run)


def _folders_above(path: str) -> list[str]:
    """Every folder above a path, the top (``""``) included; the path too, when it is one."""
    parts = path.split("/")
    return ["", *("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))]


def _in_any(path: str, folders: set[str]) -> bool:
    """Whether ``path`` is one of ``folders`` or lies below one (a few set lookups)."""
    return any(folder in folders for folder in _folders_above(path))


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (``""`` holds everything)."""
    return not folder or path == folder or path.startswith(folder + "/")
