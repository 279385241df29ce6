"""Planning: which legacy folder becomes which new folder, and every step to get there.

Planning reads the tree and writes nothing anywhere. Each legacy experiment
becomes one new run folder (a legacy sweep one new sweep folder), whose
timestamp comes from the best evidence (:mod:`ocr.migrate._placement`) and
whose name the layout chooses (:func:`ocr.layout.free_run_path`). A folder is
moved whole, with everything in it; a config-only folder that era C runs join
by timestamp moves into the earliest of them (the others get a copy of its
``.hydra``); W&B runs move into the run they belong to. Then come the
rewrites, sidecars and records (:mod:`ocr.migrate._run_files`), the removal of
emptied legacy folders, and last the compat mapping. The planner owns its
step list (:class:`Steps`), by phase, paths relative to the root's parent.
"""

from __future__ import annotations

import os
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ocr._json import model_json
from ocr.catalog import CheckpointCatalog
from ocr.compat import LegacyFolders, MigrationMapping
from ocr.compat._shared import WANDB_DIR_NAME, Era
from ocr.errors import MigrationPermissionError
from ocr.layout import RootLayout, RunLayout
from ocr.migrate._discover import (
    Discovery,
    LegacyUnit,
    WandbRun,
    discover,
)
from ocr.migrate._model import (
    ACTION_TYPES,
    PHASES,
    Action,
    ActionKind,
    LeftInPlace,
    MigrationPlan,
    Mode,
    PlannedRun,
    WriteAction,
)
from ocr.migrate._placement import Target, Transfer, join_wandb_runs, new_place, place_units
from ocr.migrate._run_files import RunFileContext, plan_run_files
from ocr.migrate._state import copied_before, split_before
from ocr.run_context import capture_environment

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    from ocr.layout import MigrationLayout
    from ocr.migrate._inventory import Inventory

__all__ = ["Steps", "build_plan"]

_COLLISION_PREFIX: Final = "from-"
_LINKED_BESIDE: Final = (
    "a link beside the output root; links are never followed, so nothing in it is "
    "migrated. To migrate the folder it points to, name it: {option} DIR"
)


def build_plan(
    layout: RootLayout,
    legacy: LegacyFolders,
    mode: Mode,
    *,
    now: datetime | None = None,
    linked_defaults: Collection[str] = (),
) -> MigrationPlan:
    """Plan the migration of a root already checked (:func:`ocr.migrate.plan_migration`).

    Args:
        layout: The output root, existing and not inside another root's layout.
        legacy: The legacy sweep and W&B folders chosen for it.
        mode: Move or copy.
        now: The planning time; defaults to now.
        linked_defaults: The default legacy folders (``multirun``, ``wandb``)
            the user did not name: when one is a link, the plan says why it is left.

    Returns:
        The plan; its ``actions`` are empty when there is nothing to migrate.
    """
    root = layout.root
    planner = _Planner(layout, mode, (now or datetime.now()).astimezone())
    found = discover(
        root, legacy, already_migrated=copied_before(root), split_before=split_before(root)
    )
    for path, reason in found.left:
        planner.leave(path, reason)
    for link in LegacyFolders.linked_beside(root):
        if link.name in linked_defaults:
            planner.leave(link, _LINKED_BESIDE.format(option=f"--{link.name}"))
    if found.units:
        planner.build(found.units, found.wandb_runs, legacy)
        planner.remove_emptied(found)
    return planner.plan(legacy.tops(root))


class _Planner:
    """Builds one plan: targets first, then their steps, phase by phase."""

    def __init__(self, layout: RootLayout, mode: Mode, now: datetime) -> None:
        self.layout = layout
        self.root = layout.root
        self.mode = mode
        self.now = now
        self.migration_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        self.steps = Steps(self.root.parent, layout.migration(self.migration_id))
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
        state_dir = self.layout.state_dir
        self._remember_folders([*legacy.tops(self.root), state_dir, self.layout.migrations_dir])
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
        self.runs = [target.planned_run(self.steps.rel) for target in targets]

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
            state_dir_existed=self.layout.state_dir.is_dir(),
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
        own = target.unit.inventory.top_names()
        names = config_only.inventory.top_names()
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
        source = new_place(config_dir, targets)
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
                new_pointed = new_place(pointed, targets)
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
        for path in transfer.unreadable():
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


@dataclass
class Steps:
    """Collects actions by phase, with paths relative to ``base``.

    Args:
        base: The output root's parent.
        migration: The migration's own folder (for kept originals).
    """

    base: Path
    migration: MigrationLayout
    phases: dict[str, list[Action]] = field(default_factory=lambda: defaultdict(list))
    _kept: int = 0

    def rel(self, path: Path) -> str:
        """A path relative to ``base``, POSIX."""
        # String slicing: called for every step of trees with thousands of files.
        text, base = str(path), str(self.base)
        if not text.startswith(base + os.sep):
            return path.relative_to(self.base).as_posix()  # raises ValueError
        return text[len(base) + 1 :].replace(os.sep, "/")

    def add(
        self,
        phase: str,
        kind: ActionKind,
        path: Path,
        purpose: str,
        *,
        source: Path | None = None,
        text: str | None = None,
        keep_original: bool = False,
        replacements: list[tuple[str, str]] | None = None,
        link_targets: tuple[str, str] | None = None,
    ) -> None:
        """Add one step.

        Args:
            phase: One of :data:`PHASES`.
            kind: What it does.
            path: What it creates or changes.
            purpose: What it is for, in words.
            source: Where a move or copy comes from.
            text: A written file's content.
            keep_original: Keep the file's original bytes for rollback (a
                rewrite, or a write over an existing file).
            replacements: A rewrite's old path -> new path.
            link_targets: A relinked link's old and new target.
        """
        fields: dict[str, Any] = {"path": self.rel(path), "purpose": purpose, "text": text}
        if keep_original:
            self._kept += 1
            fields["backup"] = self.rel(self.migration.original_file(self._kept))
        if source is not None:
            fields["source"] = self.rel(source)
        if replacements is not None:
            fields["replacements"] = replacements
        if link_targets is not None:
            fields["old_target"], fields["new_target"] = link_targets
        step = ACTION_TYPES[kind]
        # Built from paths this module made relative itself; model_construct
        # skips re-validating them (plan.json is validated when read back).
        wanted = {name: value for name, value in fields.items() if name in step.model_fields}
        self.phases[phase].append(step.model_construct(**wanted))

    def ordered(self) -> list[Action]:
        """Every step, phase by phase."""
        return [action for phase in PHASES for action in self.phases.get(phase, [])]
