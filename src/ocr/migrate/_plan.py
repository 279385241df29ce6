"""Planning: which legacy folder becomes which new folder, and every step to get there.

Planning reads the tree and writes nothing anywhere. Each legacy experiment
becomes one new run folder (a legacy sweep one new sweep folder), whose
timestamp comes from the best evidence (:mod:`ocr.migrate._timestamp`) and
whose name the layout chooses (:func:`ocr.layout.free_run_path`). A folder is
moved whole, with everything in it; a config-only folder that era C runs join
by timestamp moves into the earliest of them (the others get a copy of its
``.hydra``); W&B runs move into the run they belong to. Then come the
rewrites, sidecars and records (:mod:`ocr.migrate._run_files`), the removal of
emptied legacy folders, and last the compat mapping.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr._json import model_json
from ocr.catalog import CheckpointCatalog
from ocr.compat import LegacyFolders, MigrationMapping
from ocr.compat._shared import MULTIRUN_DIR_NAME, WANDB_DIR_NAME, Era
from ocr.errors import MigrationPermissionError
from ocr.layout import RootLayout, RunLayout
from ocr.migrate._discover import (
    Discovery,
    LegacyUnit,
    WandbRun,
    choose_legacy_folders,
    discover,
    refuse_nested_root,
)
from ocr.migrate._model import (
    ActionKind,
    LeftInPlace,
    MigrationPlan,
    Mode,
    PlannedRun,
    WriteAction,
)
from ocr.migrate._placement import join_wandb_runs, place_units
from ocr.migrate._run_files import RunFileContext, plan_run_files
from ocr.migrate._state import copied_before, split_before
from ocr.migrate._steps import Steps
from ocr.migrate._target import Target, Transfer
from ocr.run_context import capture_environment

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ocr.migrate._inventory import Inventory

__all__ = ["plan_migration"]

_COLLISION_PREFIX: Final = "from-"
_LINKED_BESIDE: Final = (
    "a link beside the output root; links are never followed, so nothing in it is "
    "migrated. To migrate the folder it points to, name it: {option} DIR"
)


def plan_migration(
    root: Path,
    *,
    mode: Mode = Mode.MOVE,
    multirun: Path | bool = True,
    wandb: Path | bool = True,
    now: datetime | None = None,
) -> MigrationPlan:
    """Plan the migration of a legacy tree into the new layout, writing nothing.

    Args:
        root: The output root (absolute, existing).
        mode: Move (default) or copy.
        multirun: The legacy sweep folder to migrate: ``True`` for ``multirun/``
            beside the root (when there is one), ``False`` for none, or a folder
            in the root's parent folder.
        wandb: The W&B folder whose runs move into their runs, chosen the same
            way (``wandb/`` beside the root by default).
        now: The planning time; defaults to now.

    Returns:
        The plan; its ``actions`` are empty when there is nothing to migrate.

    Raises:
        InputPathError: ``root`` is not a folder, lies inside another root's
            layout, or a named folder is not usable (:func:`choose_legacy_folders`
            says when).
    """
    root = RootLayout.existing(root).root
    refuse_nested_root(root)
    planner = _Planner(root, mode, (now or datetime.now()).astimezone())
    legacy = choose_legacy_folders(root, multirun=multirun, wandb=wandb)
    found = discover(
        root, legacy, already_migrated=copied_before(root), split_before=split_before(root)
    )
    for path, reason in found.left:
        planner.leave(path, reason)
    beside = {MULTIRUN_DIR_NAME: multirun, WANDB_DIR_NAME: wandb}
    for link in LegacyFolders.linked_beside(root):
        if beside[link.name] is True:  # the default folder, a link: say why it is left
            planner.leave(link, _LINKED_BESIDE.format(option=f"--{link.name}"))
    if found.units:
        planner.build(found.units, found.wandb_runs, legacy)
        planner.remove_emptied(found)
    return planner.plan(legacy.tops(root))


class _Planner:
    """Builds one plan: targets first, then their steps, phase by phase."""

    def __init__(self, root: Path, mode: Mode, now: datetime) -> None:
        self.root = root
        self.mode = mode
        self.now = now
        self.migration_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        self.steps = Steps(root.parent, RootLayout(root).migration(self.migration_id))
        self.left: list[LeftInPlace] = []
        self.warnings: list[str] = []
        self.mapping: dict[str, str] = {}
        self.folder_mtimes: dict[str, int] = {}
        self.runs: list[PlannedRun] = []
        self._made: set[Path] = set()

    def leave(self, path: Path, reason: str) -> None:
        self.left.append(LeftInPlace(path=self.steps.rel(path), reason=reason))

    def build(
        self, units: list[LegacyUnit], wandb_runs: list[WandbRun], legacy: LegacyFolders
    ) -> None:
        state_dir = RootLayout(self.root).state_dir
        self._remember_folders(
            [*legacy.tops(self.root), state_dir, RootLayout(self.root).migrations_dir]
        )
        targets = place_units(self.root, units)
        for folder, reason in join_wandb_runs(targets, wandb_runs):
            self.leave(folder, reason)
        for target in targets:
            self._plan_moves(target)
        for target in targets:
            self._copy_joined_config(target, targets)
            self._relink(target, targets)
        context = RunFileContext(
            root=self.root,
            now=self.now,
            environment=capture_environment(),
            entries={
                entry.path: entry
                for entry in CheckpointCatalog([self.root], legacy=legacy).scan(index=False)
            },
            warnings=self.warnings,
        )
        for target in targets:
            plan_run_files(target, self.steps, context)
        self._remove_emptied_sweep_dates(units, legacy)
        self.runs = [self._planned_run(target) for target in targets]

    def remove_emptied(self, found: Discovery) -> None:
        """The folders a split leaves empty are removed (move mode); their times kept."""
        for inventory in found.containers:
            self._remember_folders([inventory.folder.parent], inventory)
        if self.mode is Mode.MOVE:
            for folder in found.emptied:
                self.steps.add("cleanup", ActionKind.RMDIR, folder, "folder emptied by a split")

    def plan(self, tops: Sequence[Path]) -> MigrationPlan:
        actions = self.steps.ordered()
        if actions:
            mapping = MigrationMapping(
                migration_id=self.migration_id,
                created_at=self.now,
                root=self.root.as_posix(),
                entries=self.mapping,
            )
            actions.append(
                WriteAction(
                    path=self.steps.rel(self.steps.migration.mapping_file),
                    text=model_json(mapping, indent=2),
                    purpose="compat mapping (old path -> new path)",
                )
            )
        return MigrationPlan(
            migration_id=self.migration_id,
            created_at=self.now,
            root=self.root.as_posix(),
            base=self.root.parent.as_posix(),
            mode=self.mode,
            tops=[self.steps.rel(top) for top in tops],
            state_dir_existed=RootLayout(self.root).state_dir.is_dir(),
            runs=self.runs,
            actions=actions,
            mapping=self.mapping,
            left_in_place=self.left,
            warnings=self.warnings,
            folder_mtimes=self.folder_mtimes,
        )

    # -- moves -----------------------------------------------------------------

    def _plan_moves(self, target: Target) -> None:
        unit = target.unit
        date_dir = target.folder.parent
        if date_dir not in self._made and not date_dir.exists():
            self._made.add(date_dir)
            self.steps.add("folders", ActionKind.MKDIR, date_dir, "date folder of the new layout")
        self._transfer(
            target,
            Transfer(unit.folder, target.folder, unit.inventory, ""),
            f"{unit.era.value} run",
        )
        self._remember_folders([unit.folder.parent], unit.inventory)
        if target.merged is not None:
            self._merge(target, target.merged)
        wandb_dir = target.folder / WANDB_DIR_NAME
        if target.wandb and WANDB_DIR_NAME not in unit.inventory.folders:
            self.steps.add("moves", ActionKind.MKDIR, wandb_dir, "W&B folder of the run")
        for run in target.wandb:
            if f"{WANDB_DIR_NAME}/{run.folder.name}" in unit.inventory.folders:
                self.leave(run.folder, "the run already holds a W&B folder of that name")
                continue
            moved = Transfer(run.folder, wandb_dir / run.folder.name, run.inventory, "")
            self._transfer(target, moved, "W&B run of the experiment")
            self._remember_folders([run.folder.parent], run.inventory)

    def _merge(self, target: Target, config_only: LegacyUnit) -> None:
        """Move a config-only folder's content into the run that joins it (era C)."""
        own = _top_names(target.unit.inventory)
        names = _top_names(config_only.inventory)
        aside = target.folder / f"{_COLLISION_PREFIX}{config_only.folder.name}"
        if names & own:
            self.steps.add("moves", ActionKind.MKDIR, aside, "names the run already has")
        for name in sorted(names):
            destination = (aside if name in own else target.folder) / name
            moved = Transfer(config_only.folder / name, destination, config_only.inventory, name)
            self._transfer(target, moved, "content of the joined config folder")
        if self.mode is Mode.MOVE:
            self.steps.add("cleanup", ActionKind.RMDIR, config_only.folder, "emptied config folder")
        self._remember_folders([config_only.folder.parent], config_only.inventory)
        target.notes.append(
            f"its config sat in {self.steps.rel(config_only.folder)!r}, joined by timestamp; "
            "that folder's content moved in"
        )

    def _transfer(self, target: Target, transfer: Transfer, purpose: str) -> None:
        kind = ActionKind.MOVE if self.mode is Mode.MOVE else ActionKind.COPY
        self._unseen(transfer)
        self.steps.add("moves", kind, transfer.new, purpose, source=transfer.old)
        self.mapping[self.steps.rel(transfer.old)] = self.steps.rel(transfer.new)
        target.transfers.append(transfer)

    def _copy_joined_config(self, target: Target, targets: list[Target]) -> None:
        """An era C run joined to a folder with checkpoints of its own gets a copy of its config."""
        joined, config_dir = target.unit.joined_folder, target.unit.config_dir
        if joined is None or config_dir is None or target.merged is not None:
            return
        source = _new_place(config_dir, targets)
        destination = RunLayout(target.folder).hydra_dir
        self.steps.add(
            "configs", ActionKind.COPY, destination, "copy of the joined config", source=source
        )
        target.notes.append(
            f"its config sat in {self.steps.rel(joined)!r}, which other runs use too; "
            "the run got a copy of that .hydra folder"
        )

    def _relink(self, target: Target, targets: list[Target]) -> None:
        """A moved link whose target moved too points at the target's new place.

        A relative link inside one moved folder keeps working by itself; an
        absolute one, or one reaching into another moved folder, is re-pointed
        (spelled as before: relative stays relative). Nothing is followed.
        """
        for transfer in target.transfers:
            for old, new, inside in transfer.links():
                said = transfer.inventory.links[inside]
                pointed = Path(os.path.normpath(old.parent / said))
                new_pointed = _new_place(pointed, targets)
                relative = not Path(said).is_absolute()
                new_said = (
                    os.path.relpath(new_pointed, new.parent) if relative else str(new_pointed)
                )
                if new_said != said:
                    self.steps.add(
                        "rewrites",
                        ActionKind.RELINK,
                        new,
                        "link re-pointed at its moved target",
                        link_targets=(said, new_said),
                    )
                    mtime_ns = transfer.inventory.link_mtimes[inside]
                    self.folder_mtimes[self.steps.rel(old)] = mtime_ns

    def _remove_emptied_sweep_dates(self, units: list[LegacyUnit], legacy: LegacyFolders) -> None:
        """A legacy ``multirun/<date>`` folder whose every sweep moved is removed (move mode)."""
        if self.mode is not Mode.MOVE or legacy.multirun is None:
            return
        moving = {unit.folder for unit in units}
        dates = {
            unit.folder.parent
            for unit in units
            if unit.era is Era.D and unit.folder.parent.parent == legacy.multirun
        }
        for date_dir in sorted(dates):
            if all(child in moving for child in date_dir.iterdir()):
                self.steps.add("cleanup", ActionKind.RMDIR, date_dir, "emptied sweep date folder")

    def _unseen(self, transfer: Transfer) -> None:
        """Say what a transfer cannot look into; refuse to copy what cannot be read."""
        inside = transfer.inside
        for folder in transfer.inventory.unreadable:
            if inside and folder != inside and not folder.startswith(inside + "/"):
                continue
            path = transfer.inventory.folder / folder if folder else transfer.inventory.folder
            if self.mode is Mode.COPY:
                raise MigrationPermissionError(
                    f"cannot copy {str(path)!r}: the folder cannot be read; nothing was changed",
                    fix="Make it readable (chmod u+rx), or migrate with --mode move, then run "
                    "the command again",
                    path=path,
                )
            self.warnings.append(
                f"{self.steps.rel(path)}: the folder cannot be read, so it moves as it is; "
                "nothing in it is described, rewritten or given a sidecar"
            )

    # -- bookkeeping -----------------------------------------------------------

    def _remember_folders(
        self, folders: Iterable[Path], inventory: Inventory | None = None
    ) -> None:
        """Keep folder mtimes for rollback: moves and new files change a folder's mtime."""
        for folder in folders:
            if folder.is_dir():
                self.folder_mtimes[self.steps.rel(folder)] = folder.stat().st_mtime_ns
        if inventory is not None:
            for relative, mtime_ns in inventory.folders.items():
                path = inventory.folder / relative if relative else inventory.folder
                self.folder_mtimes[self.steps.rel(path)] = mtime_ns

    def _planned_run(self, target: Target) -> PlannedRun:
        sources = [target.unit.folder] + ([target.merged.folder] if target.merged else [])
        inventories = target.inventories
        return PlannedRun(
            era=target.unit.era.value,
            name=target.unit.name,
            sources=[self.steps.rel(source) for source in sources],
            target=self.steps.rel(target.folder),
            launched=target.launched,
            timestamp_source=target.evidence,
            checkpoints=len(target.unit.inventory.checkpoints())
            + len(target.unit.inventory.folder_checkpoints()),
            files=sum(len(inventory.files) for inventory in inventories),
            size_bytes=sum(inventory.size_bytes for inventory in inventories),
            experiment_ids=target.experiment_ids,
            notes=target.notes,
        )


def _new_place(path: Path, targets: Iterable[Target]) -> Path:
    """Where a path will be once the targets moved (the path itself when none moves it)."""
    moved = (target.new_place(path) for target in targets)
    return next((place for place in moved if place is not None), path)


def _top_names(inventory: Inventory) -> set[str]:
    everything = [*inventory.files, *inventory.folders, *inventory.links, *inventory.specials]
    return {path for path in everything if path and "/" not in path}
