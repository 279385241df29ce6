"""Plan, apply, resume and roll back migrations of one output root.

The public entry points. Each checks the root once (:func:`_checked_root`)
and hands the checked :class:`~ocr.layout.RootLayout` inward; nothing
below resolves or re-checks it.

Each migration lives in ``<root>/.ocr/migrations/<id>/`` (the folder compat
names): ``plan.json`` (written before the first step), ``journal.jsonl``,
``originals/`` (bytes of rewritten or replaced files), ``partial/`` (things
being made, :class:`ocr.migrate._copy.Scratch`), and once applied ``mapping.json``,
``report.json`` and ``report.md``. A rollback undoes the steps in reverse,
puts back every folder's mtime, and removes the folder (and ``.ocr`` itself
when the migration made it).

A migration is planned before anything is written (planning only reads), and
checked (:func:`~ocr.migrate._run.check_plan`) before its first step. Only one
process applies or rolls back a tree at a time: the lock
``<root>/.ocr/migrate.lock`` is taken without waiting, and a second process
is refused with the reason. A migration folder that cannot be read stops
both (:func:`~ocr.migrate._state.refuse_unreadable`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from typing import TYPE_CHECKING

from ocr.compat._shared import MULTIRUN_DIR_NAME, WANDB_DIR_NAME
from ocr.errors import LockTimeoutError, MigrationBusyError, MigrationStateError
from ocr.layout import MigrationLayout, RootLayout
from ocr.locking import locked
from ocr.migrate._discover import choose_legacy_folders, refuse_nested_root
from ocr.migrate._journal import MigrationState
from ocr.migrate._model import Mode
from ocr.migrate._plan import build_plan
from ocr.migrate._report import MigrationReport, build_report
from ocr.migrate._run import check_plan, run_plan, undo_plan
from ocr.migrate._state import (
    MigrationSummary,
    check_state_dir,
    claim_state_dir,
    made_before,
    refuse_unreadable,
    restore_root_mtime,
    survey_migrations,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path
    from typing import TextIO

    from ocr.migrate._model import MigrationPlan

__all__ = ["apply_migration", "plan_migration", "rollback_migration"]

_log = logging.getLogger(__name__)


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
    layout = _checked_root(root)
    legacy = choose_legacy_folders(layout.root, multirun=multirun, wandb=wandb)
    asked = {MULTIRUN_DIR_NAME: multirun, WANDB_DIR_NAME: wandb}
    defaults = [name for name, choice in asked.items() if choice is True]
    return build_plan(layout, legacy, mode, now=now, linked_defaults=defaults)


def apply_migration(
    root: Path,
    *,
    mode: Mode = Mode.MOVE,
    multirun: Path | bool = True,
    wandb: Path | bool = True,
    progress: TextIO | None = None,
) -> MigrationReport:
    """Migrate a legacy tree, or finish a migration a crash interrupted.

    Args:
        root: The output root (absolute).
        mode: Move (default) or copy.
        multirun: The legacy sweep folder (as for :func:`plan_migration`).
        wandb: The W&B folder (as for :func:`plan_migration`).
        progress: Where to draw a progress bar (only on a terminal); default stderr.

    Returns:
        The report (state ``nothing_to_do`` when no legacy experiment is left).

    Raises:
        InputPathError: ``root`` is not a folder, lies inside another root's
            layout, or a named folder is not usable.
        MigrationBusyError: Another process is migrating the same tree.
        MigrationStateError: A rollback was interrupted (it must be finished
            first), or a migration folder cannot be read.
        MigrationConfinementError: ``.ocr`` is a link, or a step would leave the tree.
        MigrationPermissionError: A folder a step changes is not writable.
        MigrationStepError: A step failed on the filesystem (run it again to resume).
    """
    layout = _checked_root(root)
    root = layout.root
    check_state_dir(layout)
    stream = progress or sys.stderr
    # Planning only reads; it runs before the lock leaves any trace in the
    # tree, so a kill while planning changes nothing.
    before = _settled(root)
    plan = None
    if before is not None:
        plan = _checked_plan(layout, mode, multirun=multirun, wandb=wandb)
        if not plan.actions:
            return build_report(plan, state="nothing_to_do", seconds=None)
    held = False
    try:
        with _exclusive(layout):
            held = True
            migrations = _survey(root)
            unfinished = _unfinished(root, migrations)
            if unfinished is not None:
                return run_plan(root, unfinished.plan, stream)
            if plan is None or _ids(migrations) != before:  # the tree changed meanwhile
                plan = _checked_plan(layout, mode, multirun=multirun, wandb=wandb)
            if plan.actions:
                return run_plan(root, _with_state_dir_origin(layout, plan), stream, checked=True)
    finally:
        # No migration began (nothing to do, or refused): .ocr goes again if
        # this attempt made it. Once a plan is written, the migration owns it;
        # and a process refused the lock never touches the other one's .ocr.
        if held:
            _release_state_dir(layout)
    return build_report(plan, state="nothing_to_do", seconds=None)


def rollback_migration(
    root: Path, *, migration_id: str | None = None, progress: TextIO | None = None
) -> MigrationPlan:
    """Undo a migration (the newest by default), back to the exact old tree.

    Args:
        root: The output root (absolute).
        migration_id: The migration to undo; it must be the newest one left.
        progress: Where to draw a progress bar (only on a terminal); default stderr.

    Returns:
        The plan that was undone.

    Raises:
        InputPathError: ``root`` is not a folder.
        MigrationBusyError: Another process is migrating the same tree.
        MigrationStateError: There is nothing to roll back, a newer migration
            must be rolled back first, or a migration folder cannot be read.
        MigrationConfinementError: ``.ocr`` is a link, or a step would leave the tree.
        MigrationPermissionError: A folder a step changes is not writable.
        MigrationStepError: A step failed on the filesystem (run it again to go on).
    """
    layout = RootLayout.existing(root)
    root = layout.root
    check_state_dir(layout)
    if not _survey(root):  # checked before the lock, which would make .ocr
        raise _nothing_to_roll_back(root)
    with _exclusive(layout):
        migrations = _survey(root)
        if not migrations:  # another process rolled it back meanwhile
            raise _nothing_to_roll_back(root)
        chosen = _chosen(root, migrations, migration_id)
        plan = chosen.plan
        for lost in undo_plan(root, plan, MigrationLayout(chosen.folder), progress or sys.stderr):
            _log.warning("%s", lost)
    # After the lock is let go: removing .ocr removes the lock file too.
    _finish_rollback(layout, plan, remove_state_dir=not plan.state_dir_existed)
    return plan


def _checked_root(root: Path) -> RootLayout:
    """The root, checked once: an existing folder, not inside another root's layout."""
    layout = RootLayout.existing(root)
    refuse_nested_root(layout.root)
    return layout


def _checked_plan(
    layout: RootLayout, mode: Mode, *, multirun: Path | bool, wandb: Path | bool
) -> MigrationPlan:
    """A new plan, checked (:func:`check_plan`) before anything is written."""
    legacy = choose_legacy_folders(layout.root, multirun=multirun, wandb=wandb)
    plan = build_plan(layout, legacy, mode)
    if plan.actions:
        check_plan(layout.root, plan)
    return plan


def _with_state_dir_origin(layout: RootLayout, plan: MigrationPlan) -> MigrationPlan:
    """The plan, told whether this migration made ``.ocr`` (its rollback removes it again)."""
    root_mtime_ns = made_before(layout)
    if root_mtime_ns is None:
        return plan
    return plan.model_copy(
        update={
            "state_dir_existed": False,
            "folder_mtimes": {**plan.folder_mtimes, plan.root_relative: root_mtime_ns},
        }
    )


def _survey(root: Path) -> list[MigrationSummary]:
    """The readable migrations; any unreadable one stops everything."""
    migrations, unreadable = survey_migrations(root)
    refuse_unreadable(unreadable)
    return migrations


def _settled(root: Path) -> tuple[str, ...] | None:
    """The migrations' IDs when all are applied (a new one may be planned), else ``None``.

    Named legacy folders are only looked at when a new migration is planned:
    a resumed migration uses the folders its plan recorded.
    """
    migrations = _survey(root)
    if any(m.state is not MigrationState.APPLIED for m in migrations):
        return None
    return _ids(migrations)


def _ids(migrations: list[MigrationSummary]) -> tuple[str, ...]:
    return tuple(m.migration_id for m in migrations)


def _unfinished(root: Path, migrations: list[MigrationSummary]) -> MigrationSummary | None:
    """The migration a crash interrupted while applying, if any.

    Raises:
        MigrationStateError: A rollback was interrupted; it must be finished first.
    """
    unfinished = [m for m in migrations if m.state is not MigrationState.APPLIED]
    for summary in unfinished:
        if summary.state is MigrationState.ROLLING_BACK:
            raise MigrationStateError(
                f"migration {summary.migration_id} was rolling back when it stopped",
                fix=f"Finish it first: ocr migrate rollback {root} --migration "
                f"{summary.migration_id}",
                path=summary.folder,
            )
    return unfinished[0] if unfinished else None


def _chosen(
    root: Path, migrations: list[MigrationSummary], migration_id: str | None
) -> MigrationSummary:
    chosen = migrations[-1]
    if migration_id is None:
        return chosen
    ids = [m.migration_id for m in migrations]
    if migration_id not in ids:
        raise MigrationStateError(
            f"no migration {migration_id!r} under {str(root)!r}",
            fix=f"Use one of: {', '.join(ids)}",
            value=migration_id,
        )
    if migration_id != chosen.migration_id:
        raise MigrationStateError(
            f"migration {chosen.migration_id} is newer than {migration_id}",
            fix=f"Roll back {chosen.migration_id} first",
            value=migration_id,
        )
    return chosen


def _finish_rollback(layout: RootLayout, plan: MigrationPlan, *, remove_state_dir: bool) -> None:
    """Remove the migration's folder (and ``.ocr`` if it made it), then put folder mtimes back."""
    shutil.rmtree(layout.migration(plan.migration_id).folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # other migrations are left in it
        layout.migrations_dir.rmdir()
    if remove_state_dir and not layout.migrations_dir.exists():
        shutil.rmtree(layout.state_dir, ignore_errors=True)
    base = layout.root.parent
    deepest_first = sorted(plan.folder_mtimes.items(), key=lambda item: -item[0].count("/"))
    for relative, mtime_ns in deepest_first:
        path = base / relative
        with contextlib.suppress(FileNotFoundError):
            os.utime(path, ns=(path.lstat().st_atime_ns, mtime_ns), follow_symlinks=False)


def _release_state_dir(layout: RootLayout) -> None:
    """Nothing to do after all: remove ``.ocr`` again if this attempt made it."""
    root_mtime_ns = made_before(layout)
    if root_mtime_ns is not None:
        shutil.rmtree(layout.state_dir, ignore_errors=True)
        restore_root_mtime(layout.root, root_mtime_ns)


def _nothing_to_roll_back(root: Path) -> MigrationStateError:
    return MigrationStateError(
        f"no migration to roll back under {str(root)!r}",
        fix="Check the root; `ocr migrate status ROOT` lists its migrations",
        path=root,
    )


@contextlib.contextmanager
def _exclusive(layout: RootLayout) -> Iterator[None]:
    """Hold the tree's migration lock (``RootLayout.migrate_lock_file``), or refuse at once."""
    claim_state_dir(layout)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(
                locked(layout.state_dir, lock_file=layout.migrate_lock_file, timeout=0)
            )
        except LockTimeoutError as exc:
            raise MigrationBusyError(
                f"another ocr process is migrating {str(layout.root)!r} right now",
                fix="Wait for it to finish (`ocr migrate status ROOT` shows its progress)",
                path=layout.root,
            ) from exc
        yield
