"""Find the legacy experiments of a tree: the folders a migration turns into new runs.

Discovery walks folders, not checkpoints, so an experiment that kept only a
config, logs or submissions is found too. At the top of the output root,
every folder that is not one of the layout's date folders (and not ocr's own
``.ocr``) is a legacy experiment of era A, B or C (``ocr.compat`` says which),
unless it holds runs below it: then it is split into its runs and sweeps
(:mod:`ocr.migrate._inventory`), or left where it is when the split is ambiguous.
In the legacy ``multirun/`` folder, every ``<date>/<time>`` folder is a sweep
(era D). W&B run folders are matched to experiments later, by timestamp.
Links and loose files are left where they are.

The sweep and W&B folders are ``multirun/`` and ``wandb/`` beside the root
unless the user names others (:func:`choose_legacy_folders`); any must lie
in the root's parent folder, the base every path of a plan is relative to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr.compat import LegacyFolders
from ocr.compat._shared import Era, folder_name_stamp, locate_legacy_folder, wandb_run_stamp
from ocr.errors import InputPathError, RunPathParseError
from ocr.layout import RootLayout
from ocr.layout._shared import enclosing_root, is_date_name
from ocr.migrate._inventory import FolderSplit, Inventory, split_folder, take_inventory

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

__all__ = [
    "Discovery",
    "LegacyUnit",
    "WandbRun",
    "choose_legacy_folders",
    "discover",
    "refuse_nested_root",
]


def refuse_nested_root(root: Path) -> None:
    """Refuse to migrate a folder of another root's layout as if it were a root.

    Args:
        root: The folder given as the output root (absolute, resolved).

    Raises:
        InputPathError: It is a date, run, sweep or job folder of another
            output root, or lies inside one (:func:`ocr.layout.enclosing_root`).
    """
    enclosing = enclosing_root(root)
    if enclosing is not None:
        raise InputPathError(
            f"{str(root)!r} is {enclosing.what} of the output root {str(enclosing.root)!r}, "
            "not an output root: migrating it would move its runs a level deeper",
            fix=f"Give the output root itself ({str(enclosing.root)!r})",
            path=root,
        )


def choose_legacy_folders(
    root: Path, *, multirun: Path | bool, wandb: Path | bool
) -> LegacyFolders:
    """Resolve the user's choice of legacy sweep and W&B folders for a migration.

    Args:
        root: The output root (absolute, resolved).
        multirun: As for :meth:`LegacyFolders.choose`.
        wandb: As for :meth:`LegacyFolders.choose`.

    Returns:
        The folders, absolute and resolved (``None``: none).

    Raises:
        InputPathError: :meth:`LegacyFolders.choose` refuses a folder, or a named
            one lies outside the root's parent folder (every path of a plan is
            relative to it).
    """
    chosen = LegacyFolders.choose(root, multirun=multirun, wandb=wandb)
    base = root.parent
    for option, folder in zip(("--multirun", "--wandb"), chosen, strict=True):
        if folder is not None and not folder.is_relative_to(base):
            raise InputPathError(
                f"{option} {str(folder)!r} is outside {str(base)!r}, the folder that holds the "
                "output root (a migration keeps every path relative to it)",
                fix=f"Move the folder under {str(base)!r} first, then migrate",
                path=folder,
            )
    return chosen


@dataclass(frozen=True)
class LegacyUnit:
    """One legacy experiment (eras A to C) or sweep (era D) that becomes one new folder.

    Args:
        era: Its shape.
        folder: Its folder.
        name: Its name (the folder name; ``<date>/<time>`` for a sweep).
        named_time: The time its folder's name gives (C, D).
        config_dir: Where its ``.hydra`` is, when it has one (era C: maybe another folder).
        wandb_dir: The W&B run compat joined it with by timestamp (era C).
        inventory: What it holds.
    """

    era: Era
    folder: Path
    name: str
    named_time: datetime | None
    config_dir: Path | None
    wandb_dir: Path | None
    inventory: Inventory

    @property
    def joined_folder(self) -> Path | None:
        """The other folder holding its config (era C), if any."""
        if self.config_dir is None or self.config_dir.parent == self.folder:
            return None
        return self.config_dir.parent


@dataclass(frozen=True)
class WandbRun:
    """A W&B run folder and the time its name gives."""

    folder: Path
    started: datetime
    inventory: Inventory


@dataclass
class Discovery:
    """What a tree holds: experiments, W&B runs, and what stays in place (and why).

    Args:
        units: The experiments and sweeps to migrate.
        wandb_runs: The W&B runs to join to them.
        left: What stays where it is, and why.
        containers: The folders split into their runs (their own folders'
            times change when the runs leave).
        emptied: Folders of those that the moves leave empty, deepest first.
    """

    units: list[LegacyUnit] = field(default_factory=list)
    wandb_runs: list[WandbRun] = field(default_factory=list)
    left: list[tuple[Path, str]] = field(default_factory=list)
    containers: list[Inventory] = field(default_factory=list)
    emptied: list[Path] = field(default_factory=list)


def discover(
    root: Path,
    sources: LegacyFolders,
    *,
    already_migrated: Collection[Path],
    split_before: Collection[Path] = (),
) -> Discovery:
    """Find every legacy experiment, sweep and W&B run of a tree.

    Args:
        root: The output root.
        sources: The legacy sweep and W&B folders to take in.
        already_migrated: Legacy folders an earlier (copy) migration already
            mapped; they are skipped.
        split_before: Folders an earlier migration split into their runs:
            what they still hold is split too, never taken for one experiment.

    Returns:
        What was found.
    """
    found = Discovery()
    state_dir = RootLayout(root).state_dir
    for entry in _entries(root):
        path = Path(entry.path)
        if path == state_dir or path in already_migrated:
            continue
        if entry.is_symlink():
            found.left.append((path, "a link at the top of the output root; links are not moved"))
        elif not entry.is_dir():
            found.left.append((path, "a file outside any experiment folder"))
        elif not is_date_name(entry.name):
            inventory = take_inventory(path)
            split = split_folder(inventory, container=path in split_before)
            if split is None:
                _add_run(root, path, inventory, sources, found)
            else:
                _add_split(
                    root,
                    inventory,
                    split,
                    sources=sources,
                    found=found,
                    already_migrated=already_migrated,
                )
    if sources.multirun is not None:
        _discover_sweeps(sources.multirun, found, already_migrated)
    if sources.wandb is not None:
        _discover_wandb(sources.wandb, found, already_migrated)
    return found


def _add_run(
    root: Path, folder: Path, inventory: Inventory, sources: LegacyFolders, found: Discovery
) -> None:
    run = locate_legacy_folder(folder, wandb_root=sources.wandb, root=root)
    if run is None:  # pragma: no cover - only with legacy support switched off
        return
    found.units.append(
        LegacyUnit(
            era=run.era,
            folder=folder,
            name=run.name,
            named_time=run.timestamp,
            config_dir=run.config_dir,
            wandb_dir=run.wandb_dir,
            inventory=inventory,
        )
    )


def _add_split(
    root: Path,
    inventory: Inventory,
    split: FolderSplit,
    *,
    sources: LegacyFolders,
    found: Discovery,
    already_migrated: Collection[Path],
) -> None:
    """Each run of a container folder its own unit, each sweep one; the rest stays."""
    container = inventory.folder
    if split.refused is not None:
        found.left.append((container, f"not migrated: {split.refused}"))
        return
    for run in split.runs:
        if container / run not in already_migrated:
            _add_run(root, container / run, inventory.below(run), sources, found)
    for sweep in split.sweeps:
        folder = container / sweep
        if folder not in already_migrated:
            parts = folder.relative_to(root).parts
            found.units.append(
                LegacyUnit(
                    era=Era.D,
                    folder=folder,
                    name="/".join(parts),
                    named_time=folder_name_stamp(parts),
                    config_dir=None,
                    wandb_dir=None,
                    inventory=inventory.below(sweep),
                )
            )
    for path in split.left:
        why = (
            f"in no run of {container.name!r}: no folder above it holds .hydra/config.yaml, "
            "checkpoints/ or lightning_logs/, so it stays where it is"
        )
        found.left.append((container / path, why))
    found.containers.append(inventory)
    found.emptied += [container / folder if folder else container for folder in split.emptied]


def _discover_sweeps(multirun: Path, found: Discovery, already_migrated: Collection[Path]) -> None:
    layout = RootLayout(multirun)
    for date_entry in _entries(multirun):
        date_dir = Path(date_entry.path)
        if date_entry.is_symlink() or not date_entry.is_dir():
            found.left.append((date_dir, "not a sweep date folder"))
            continue
        for entry in _entries(date_dir):
            folder = Path(entry.path)
            if folder in already_migrated:
                continue
            try:
                location = layout.location_of(folder)
            except RunPathParseError:
                location = None
            if entry.is_symlink() or not entry.is_dir() or location is None:
                found.left.append((folder, "not a sweep folder (<date>/<HH-MM-SS>)"))
                continue
            found.units.append(
                LegacyUnit(
                    era=Era.D,
                    folder=folder,
                    name=f"{date_entry.name}/{entry.name}",
                    named_time=location.stamp.launched,
                    config_dir=None,
                    wandb_dir=None,
                    inventory=take_inventory(folder),
                )
            )


def _discover_wandb(wandb: Path, found: Discovery, already_migrated: Collection[Path]) -> None:
    for entry in _entries(wandb):
        folder = Path(entry.path)
        if folder in already_migrated:
            continue
        started = wandb_run_stamp(entry.name)
        if entry.is_symlink() or not entry.is_dir() or started is None:
            found.left.append((folder, "not a W&B run folder"))
            continue
        found.wandb_runs.append(WandbRun(folder, started, take_inventory(folder)))


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as scan:
            return sorted(scan, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
