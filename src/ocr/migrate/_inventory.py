"""What a legacy folder holds, and the runs it splits into.

An inventory lists a folder's files, folders and links, read without following
a link. A folder at the top of the output root that holds several runs is
split into its runs (:func:`split_folder`). Runs are found by what folders hold (:mod:`ocr.compat._run_folders`, the rule
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

import os
import stat as stat_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeVar

from ocr.compat._shared import RUN_CONFIG_RELATIVE, RUN_FOLDER_MARKS, FolderMarks, runs_below
from ocr.layout import JOB_PATTERN
from ocr.naming import CHECKPOINT_SUFFIX

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FileFacts", "FolderSplit", "Inventory", "split_folder", "take_inventory"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class FileFacts:
    """One regular file: its size and modification time."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Inventory:
    """Everything under one folder, by POSIX path relative to it.

    Args:
        folder: The folder.
        files: Regular files.
        folders: Sub-folders and the folder itself (``""``) -> mtime (ns).
        links: Symbolic links (to files or folders) -> what they point at;
            never followed.
        link_mtimes: Symbolic links -> their own mtime (ns).
        specials: FIFOs, sockets and device nodes: moved with their folder,
            never opened.
        unreadable: Sub-folders that could not be listed (moved with their
            folder, their content unseen).
    """

    folder: Path
    files: dict[str, FileFacts] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    link_mtimes: dict[str, int] = field(default_factory=dict)
    specials: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)

    @property
    def size_bytes(self) -> int:
        """The total size of the files."""
        return sum(facts.size for facts in self.files.values())

    def top_names(self) -> set[str]:
        """The names directly in the folder (files, folders, links, anything else)."""
        everything = [*self.files, *self.folders, *self.links, *self.specials]
        return {path for path in everything if path and "/" not in path}

    def checkpoints(self) -> list[str]:
        """The checkpoint files (``*.ckpt``, links and folder checkpoints' parts left out)."""
        return sorted(
            path
            for path in self.files
            if path.endswith(CHECKPOINT_SUFFIX) and not self.in_folder_checkpoint(path)
        )

    def folder_checkpoints(self) -> list[str]:
        """Folders named ``*.ckpt`` (sharded checkpoints), not those inside another one."""
        found = sorted(path for path in self.folders if path.endswith(CHECKPOINT_SUFFIX))
        return [path for path in found if not self.in_folder_checkpoint(path)]

    def in_folder_checkpoint(self, path: str) -> bool:
        """Whether a path lies inside a folder checkpoint (its bytes are never rewritten)."""
        parts = path.split("/")[:-1]
        return any(part.endswith(CHECKPOINT_SUFFIX) for part in parts)

    def below(self, relative: str) -> Inventory:
        """The inventory of a sub-folder, cut from this one (nothing is read again).

        Args:
            relative: The sub-folder (POSIX, relative to this folder; ``""``:
                this folder).

        Returns:
            Its inventory, paths relative to it.
        """
        if not relative:
            return self
        prefix = relative + "/"

        def cut(paths: dict[str, _T]) -> dict[str, _T]:
            return {p[len(prefix) :]: v for p, v in paths.items() if p.startswith(prefix)}

        folders = cut(self.folders)
        folders[""] = self.folders[relative]
        unreadable = [p for p in self.unreadable if p == relative or p.startswith(prefix)]
        return Inventory(
            folder=self.folder / relative,
            files=cut(self.files),
            folders=folders,
            links=cut(self.links),
            link_mtimes=cut(self.link_mtimes),
            specials={p[len(prefix) :] for p in self.specials if p.startswith(prefix)},
            unreadable=[p[len(prefix) :] if p != relative else "" for p in unreadable],
        )

    def holds(self, path: str) -> bool:
        """Whether anything but a folder is at ``path`` (a file, link or special file)."""
        return path in self.files or path in self.links or path in self.specials


def take_inventory(folder: Path) -> Inventory:
    """List everything under a folder without following links.

    Args:
        folder: The folder (itself not a link).

    Returns:
        Its inventory; unreadable sub-folders are listed with no content.
    """
    inventory = Inventory(folder=folder, folders={"": folder.stat().st_mtime_ns})
    top = os.fspath(folder)

    def unreadable(error: OSError) -> None:
        name = os.path.relpath(error.filename or top, top).replace(os.sep, "/")
        inventory.unreadable.append("" if name == "." else name)

    for current, dirs, files in os.walk(top, onerror=unreadable, followlinks=False):
        prefix = os.path.relpath(current, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in dirs + files:
            # Plain strings, not Path objects: a large tree has many thousands.
            path = os.path.join(current, name)  # noqa: PTH118
            stat = os.lstat(path)
            relative = prefix + name
            if stat_module.S_ISLNK(stat.st_mode):
                inventory.links[relative] = os.readlink(path)  # noqa: PTH115
                inventory.link_mtimes[relative] = stat.st_mtime_ns
            elif stat_module.S_ISDIR(stat.st_mode):
                inventory.folders[relative] = stat.st_mtime_ns
            elif stat_module.S_ISREG(stat.st_mode):
                inventory.files[relative] = FileFacts(stat.st_size, stat.st_mtime_ns)
            else:
                inventory.specials.add(relative)
    return inventory


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
