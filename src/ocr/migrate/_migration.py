"""Apply, resume and roll back migrations of one output root.

Each migration lives in ``<root>/.ocr/migrations/<id>/`` (the folder compat
names): ``plan.json`` (written before the first step), ``journal.jsonl``,
``originals/`` (bytes of rewritten or replaced files), and once applied
``mapping.json``, ``report.json`` and ``report.md``. A rollback undoes the
steps in reverse, puts back every folder's mtime, and removes the folder
(and ``.ocr`` itself when the migration made it).

Only one process applies or rolls back a tree at a time: the lock
``<root>/.ocr/migrate.lock`` is taken without waiting, and a second process is
refused with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from typing import TYPE_CHECKING, Final

from ocr.atomic import atomic_write_text
from ocr.compat import migration_dir, migrations_dir
from ocr.errors import (
    InputPathError,
    MigrationBusyError,
    MigrationStateError,
    RegistryLockTimeoutError,
)
from ocr.layout import RootLayout
from ocr.locking import locked
from ocr.migrate._discover import choose_legacy_folders
from ocr.migrate._execute import StepRunner
from ocr.migrate._faults import crash_point
from ocr.migrate._journal import JOURNAL_FILE_NAME, Journal, MigrationState
from ocr.migrate._model import MigrationPlan, Mode
from ocr.migrate._plan import plan_migration
from ocr.migrate._plan_file import plan_file
from ocr.migrate._progress import Progress
from ocr.migrate._report import MigrationReport, build_report, render_markdown
from ocr.migrate._status import MigrationSummary, list_migrations

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import TextIO

    from ocr.compat import LegacyFolders

__all__ = ["apply_migration", "rollback_migration"]

BATCH_SIZE: Final = 512
"""Steps per journal batch: the journal is fsynced twice per batch, not per step."""
REPORT_JSON: Final = "report.json"
REPORT_MARKDOWN: Final = "report.md"
_LOCKED_NAME: Final = "migrate"  # its lock file is migrate.lock (ocr.locking)


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
        InputPathError: ``root`` is not a folder, or a named folder is not usable.
        MigrationBusyError: Another process is migrating the same tree.
        MigrationStateError: A rollback was interrupted; it must be finished first.
    """
    root = RootLayout.existing(root).root
    # Named folders are checked before the lock leaves a trace in the tree; a
    # migration that is resumed uses the folders its plan recorded instead.
    legacy: LegacyFolders | None = None
    try:
        legacy = choose_legacy_folders(root, multirun=multirun, wandb=wandb)
    except InputPathError:
        if all(m.state is MigrationState.APPLIED for m in list_migrations(root)):
            raise
    state_dir = RootLayout(root).state_dir
    made_state_dir = not state_dir.exists()
    root_mtime_ns = root.stat().st_mtime_ns
    started = False
    try:
        with _exclusive(root):
            unfinished = _unfinished(root)
            started = unfinished is not None
            if unfinished is not None:
                return _run(root, unfinished.plan, progress or sys.stderr)
            if legacy is None:  # the interrupted migration finished meanwhile
                legacy = choose_legacy_folders(root, multirun=multirun, wandb=wandb)
            plan = plan_migration(
                root, mode=mode, multirun=legacy.multirun or False, wandb=legacy.wandb or False
            )
            if plan.actions:
                # The lock made .ocr: the plan must remember the tree as it was before.
                before = {plan.root_relative: root_mtime_ns} if made_state_dir else {}
                plan = plan.model_copy(
                    update={
                        "state_dir_existed": not made_state_dir,
                        "folder_mtimes": {**plan.folder_mtimes, **before},
                    }
                )
                started = True
                return _run(root, plan, progress or sys.stderr)
    except MigrationBusyError:
        started = True  # the .ocr folder is the other process's
        raise
    finally:
        if not started and made_state_dir:  # nothing to do, or planning failed: no trace
            shutil.rmtree(state_dir, ignore_errors=True)
            os.utime(root, ns=(root.stat().st_atime_ns, root_mtime_ns))
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
        MigrationStateError: There is nothing to roll back, or a newer migration
            must be rolled back first.
    """
    root = RootLayout.existing(root).root
    if not list_migrations(root):  # checked before the lock, which would make .ocr
        raise _nothing_to_roll_back(root)
    with _exclusive(root):
        migrations = list_migrations(root)
        if not migrations:  # another process rolled it back meanwhile
            raise _nothing_to_roll_back(root)
        chosen = migrations[-1]
        if migration_id is not None:
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
        plan = chosen.plan
        _undo(root, plan, chosen.folder, progress or sys.stderr)
    only_one = len(migrations) == 1
    _finish_rollback(root, plan, remove_state_dir=not plan.state_dir_existed and only_one)
    return plan


def _unfinished(root: Path) -> MigrationSummary | None:
    """The migration a crash interrupted while applying, if any.

    Raises:
        MigrationStateError: A rollback was interrupted; it must be finished first.
    """
    unfinished = [m for m in list_migrations(root) if m.state is not MigrationState.APPLIED]
    for summary in unfinished:
        if summary.state is MigrationState.ROLLING_BACK:
            raise MigrationStateError(
                f"migration {summary.migration_id} was rolling back when it stopped",
                fix=f"Finish it first: ocr migrate rollback {root} --migration "
                f"{summary.migration_id}",
                path=summary.folder,
            )
    return unfinished[0] if unfinished else None


def _run(root: Path, plan: MigrationPlan, stream: TextIO) -> MigrationReport:
    started = time.perf_counter()
    folder = migration_dir(root, plan.migration_id)
    if not plan_file(folder).exists():
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(plan_file(folder), plan.model_dump_json())
    journal = Journal(folder / JOURNAL_FILE_NAME)
    runner = StepRunner(root.parent, plan.tops)  # the tree may have moved since it was planned
    bar = Progress(stream, "steps")
    total = len(plan.actions)
    for first in range(journal.read().done, total, BATCH_SIZE):
        end = min(first + BATCH_SIZE, total)
        journal.begin(first, end)
        for index in range(first, end):
            runner.do(plan.actions[index])
            crash_point()
            bar.update(index + 1, total)
        os.sync()  # every step of the batch on disk before the journal says so
        journal.commit(end)
    warned = plan.model_copy(update={"warnings": plan.warnings + runner.leftovers})
    report = build_report(warned, state="applied", seconds=time.perf_counter() - started)
    atomic_write_text(folder / REPORT_JSON, report.model_dump_json(indent=2))
    atomic_write_text(folder / REPORT_MARKDOWN, render_markdown(report))
    journal.applied()  # last, so that a kill before it leaves a resumable migration
    return report


def _undo(root: Path, plan: MigrationPlan, folder: Path, stream: TextIO) -> None:
    journal = Journal(folder / JOURNAL_FILE_NAME)
    state = journal.read()
    journal.undoing()
    runner = StepRunner(root.parent, plan.tops)
    bar = Progress(stream, "steps undone")
    start = state.begun if state.undone_from is None else state.undone_from
    for end in range(start, 0, -BATCH_SIZE):
        first = max(0, end - BATCH_SIZE)
        for index in reversed(range(first, end)):
            runner.undo(plan.actions[index])
            crash_point()
            bar.update(start - index, start)
        journal.undone(first)


def _finish_rollback(root: Path, plan: MigrationPlan, *, remove_state_dir: bool) -> None:
    """Remove the migration's folder (and ``.ocr`` if it made it), then put folder mtimes back."""
    shutil.rmtree(migration_dir(root, plan.migration_id), ignore_errors=True)
    state_dir = RootLayout(root).state_dir
    if remove_state_dir:
        shutil.rmtree(state_dir, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            migrations_dir(root).rmdir()
    base = root.parent
    deepest_first = sorted(plan.folder_mtimes.items(), key=lambda item: -item[0].count("/"))
    for relative, mtime_ns in deepest_first:
        path = base / relative
        with contextlib.suppress(FileNotFoundError):
            os.utime(path, ns=(path.lstat().st_atime_ns, mtime_ns), follow_symlinks=False)


def _nothing_to_roll_back(root: Path) -> MigrationStateError:
    return MigrationStateError(
        f"no migration to roll back under {str(root)!r}",
        fix="Check the root; `ocr migrate status ROOT` lists its migrations",
        path=root,
    )


@contextlib.contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    """Hold the tree's migration lock (``migrate.lock``), or refuse at once."""
    state_dir = RootLayout(root).state_dir
    state_dir.mkdir(exist_ok=True)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(locked(state_dir / _LOCKED_NAME, timeout=0))
        except RegistryLockTimeoutError as exc:
            raise MigrationBusyError(
                f"another ocr process is migrating {str(root)!r} right now",
                fix="Wait for it to finish (`ocr migrate status ROOT` shows its progress)",
                path=root,
            ) from exc
        yield
