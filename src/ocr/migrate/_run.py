"""Running a plan's steps forwards (apply, resume) and backwards (rollback), journaled.

Both directions hold the migration lock (the caller takes it), cut a torn
journal tail away before writing, check every step before the first one runs
(:func:`check_steps`), and turn a filesystem error in a step into
one line naming the step, the path and the way on: the journal lets the same
command resume where it stopped.

Preflight: what ``apply`` (or ``rollback``) will need, checked before anything
moves. A step that fails half-way leaves a half-migrated tree to resume or undo; a
step that can be known to fail should stop the migration before its first
step. So before the first step (and ``plan``, the dry run, says the same):

- ``.ocr`` is a real folder, not a link (:func:`~ocr.migrate._state.check_state_dir`);
- every path of every step stays inside the migrated folders, reached
  through no link (the step runner's own check, made for all steps at once);
- every folder a step changes (by creating, removing, renaming or replacing
  an entry in it, or a folder moved to another parent, whose ``..`` changes)
  is writable by this user, where that folder is *now*: the legacy folder
  that a new path will be, or the nearest folder that exists.

A refusal names the first folder and says how many there are, and nothing
has been changed.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from ocr._json import model_json
from ocr.atomic import atomic_write_text
from ocr.errors import MigrationPermissionError, MigrationStepError, OcrError
from ocr.layout import RootLayout
from ocr.migrate._execute import StepRunner
from ocr.migrate._journal import Journal, crash_point
from ocr.migrate._model import CopyAction, MoveAction, RewriteAction, WriteAction
from ocr.migrate._report import MigrationReport, Progress, build_report, render_markdown
from ocr.migrate._state import check_state_dir

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import TextIO

    from ocr.layout import MigrationLayout
    from ocr.migrate._model import Action, MigrationPlan

__all__ = ["BATCH_SIZE", "check_plan", "check_steps", "run_plan", "undo_plan"]

BATCH_SIZE: Final = 512
"""Steps per journal batch: the journal is fsynced twice per batch, not per step."""


def run_plan(
    root: Path, plan: MigrationPlan, stream: TextIO, *, checked: bool = False
) -> MigrationReport:
    """Do every step of a plan not yet done, journaled; then write the reports.

    Args:
        root: The output root.
        plan: The plan (new, or the one a kill interrupted).
        stream: Where to draw a progress bar (only on a terminal).
        checked: The steps were checked already (a new plan, before the lock).

    Returns:
        The report of the applied migration.

    Raises:
        MigrationConfinementError: ``.ocr`` is a link, or a step would leave the tree.
        MigrationPermissionError: A folder a step changes is not writable.
        MigrationStepError: A step (or the journal) failed on the filesystem.
        MigrationConflictError: Something unplanned is in the way, or gone.
    """
    started = time.perf_counter()
    migration = RootLayout(root).migration(plan.migration_id)
    journal = Journal(migration.journal_file)
    runner = StepRunner.for_plan(root, plan)  # the tree may have moved since it was planned
    if not checked:
        done = journal.read().done if migration.plan_file.exists() else 0
        check_steps(root, plan, runner, plan.actions[done:])
    with _stepping("apply", root):
        if not migration.plan_file.exists():
            migration.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(migration.plan_file, model_json(plan))
        journal.repair()
        runner.scratch.clear()
        bar = Progress(stream, "steps")
        total = len(plan.actions)
        for first in range(journal.read().done, total, BATCH_SIZE):
            end = min(first + BATCH_SIZE, total)
            journal.begin(first, end)
            for index in range(first, end):
                _step(runner.do, plan.actions[index], index, total)
                crash_point()
                bar.update(index + 1, total)
            os.sync()  # every step of the batch on disk before the journal says so
            journal.commit(end)
        runner.scratch.clear()
        warned = plan.model_copy(update={"warnings": plan.warnings + runner.leftovers})
        report = build_report(warned, state="applied", seconds=time.perf_counter() - started)
        atomic_write_text(migration.report_json_file, model_json(report, indent=2))
        atomic_write_text(migration.report_markdown_file, render_markdown(report))
        journal.applied()  # last, so that a kill before it leaves a resumable migration
    return report


def undo_plan(
    root: Path, plan: MigrationPlan, migration: MigrationLayout, stream: TextIO
) -> list[str]:
    """Undo every step a plan may have begun, newest first, journaled.

    Args:
        root: The output root.
        plan: The plan.
        migration: The migration's folder.
        stream: Where to draw a progress bar (only on a terminal).

    Returns:
        What could not be put back (deleted by hand after the migration).

    Raises:
        MigrationConfinementError: ``.ocr`` is a link, or a step would leave the tree.
        MigrationPermissionError: A folder a step changes is not writable.
        MigrationStepError: A step (or the journal) failed on the filesystem.
        MigrationConflictError: The tree is in no state a step can leave.
    """
    journal = Journal(migration.journal_file)
    runner = StepRunner.for_plan(root, plan)
    state = journal.read()
    start = state.begun if state.undone_from is None else state.undone_from
    check_steps(root, plan, runner, plan.actions[:start], undoing=True)
    with _stepping("rollback", root):
        journal.repair()
        runner.scratch.clear()
        journal.undoing()
        bar = Progress(stream, "steps undone")
        for end in range(start, 0, -BATCH_SIZE):
            first = max(0, end - BATCH_SIZE)
            for index in reversed(range(first, end)):
                _step(runner.undo, plan.actions[index], index, len(plan.actions))
                crash_point()
                bar.update(start - index, start)
            journal.undone(first)
        runner.scratch.clear()
    return runner.leftovers


def _step(work: Callable[[Action], None], action: Action, index: int, total: int) -> None:
    """Do (or undo) one step, naming it when the filesystem refuses."""
    try:
        work(action)
    except OcrError:
        raise
    except OSError as exc:
        raise _failed(action, index, total, exc) from exc


def _failed(action: Action, index: int, total: int, exc: OSError) -> MigrationStepError:
    where = f"{action.kind.value} {action.path!r}"
    if isinstance(action, MoveAction | CopyAction):
        where += f" from {action.source!r}"
    why = exc.strerror or type(exc).__name__
    named = f" ({exc.filename})" if exc.filename else ""
    return MigrationStepError(
        f"step {index + 1} of {total} ({where}) failed: {why}{named}",
        fix="Fix the cause, then run the same command again: it goes on where it stopped "
        "(or undo what was done with `ocr migrate rollback ROOT`)",
        value=index,
    )


@contextmanager
def _stepping(command: str, root: Path) -> Iterator[None]:
    """Turn a journal or report write the filesystem refuses into one line."""
    try:
        yield
    except OcrError:
        raise
    except OSError as exc:
        raise MigrationStepError(
            f"ocr migrate {command} could not write its journal or reports under "
            f"{str(root)!r}: {exc.strerror or type(exc).__name__}",
            fix=f"Fix the cause (free space, permissions), then run `ocr migrate {command} "
            "ROOT` again: it goes on where it stopped",
            path=root,
        ) from exc


_CHANGE: Final = os.W_OK | os.X_OK


def check_plan(root: Path, plan: MigrationPlan) -> None:
    """Say what ``apply`` would refuse before its first step (for the dry run).

    Args:
        root: The output root.
        plan: A new plan.

    Raises:
        MigrationConfinementError: ``.ocr`` is a link, or a step leaves the folders.
        MigrationPermissionError: A folder a step changes is not writable.
    """
    check_steps(root, plan, StepRunner.for_plan(root, plan), plan.actions)


def check_steps(
    root: Path,
    plan: MigrationPlan,
    runner: StepRunner,
    steps: Sequence[Action],
    *,
    undoing: bool = False,
) -> None:
    """Refuse a migration (or rollback) whose steps cannot all be done.

    Args:
        root: The output root.
        plan: The migration's plan.
        runner: The runner that will do the steps (its confinement check is used).
        steps: The steps still to do (or undo).
        undoing: The steps will be undone (rollback), not done.

    Raises:
        MigrationConfinementError: ``.ocr`` is a link, or a step leaves the folders.
        MigrationPermissionError: A folder a step changes is not writable.
    """
    check_state_dir(RootLayout(root))
    for action in steps:
        runner.check(action)
    where = _Whereabouts(root.parent, plan.mapping)
    blocked: dict[str, str] = {}
    for folder, why in _changed_folders(steps, where):
        if folder not in blocked and not os.access(folder, _CHANGE):
            blocked[folder] = why
    if blocked:
        first, why = next(iter(blocked.items()))
        what = "roll back" if undoing else "migrate"
        raise MigrationPermissionError(
            f"cannot {what}: {len(blocked)} folder(s) it must change are not writable by this "
            f"user, the first {first!r} ({why}); nothing was changed",
            fix="Make them writable (chmod u+w), or run as their owner, then run the command again",
            path=Path(first),
        )


class _Whereabouts:
    """Where a path of the plan is now: new paths are legacy paths until their move ran."""

    def __init__(self, base: Path, mapping: dict[str, str]) -> None:
        self.base = base
        self._old_of = {new: old for old, new in mapping.items()}
        self._found: dict[str, str] = {}

    def now(self, relative: str) -> str:
        """The existing folder that decides what may change at ``relative`` (a folder)."""
        found = self._found.get(relative)
        if found is None:
            found = self._found[relative] = self._locate(PurePosixPath(relative))
        return found

    def _locate(self, relative: PurePosixPath) -> str:
        for ancestor in (relative, *relative.parents):
            text = ancestor.as_posix()
            absolute = self.base / text
            if os.path.lexists(absolute):
                return str(absolute)
            old = self._old_of.get(text)
            if old is not None:  # not moved yet: it is still the legacy folder
                return self.now(str(PurePosixPath(old) / relative.relative_to(ancestor)))
        return str(self.base)  # pragma: no cover - every plan path starts with a top


def _changed_folders(steps: Iterable[Action], where: _Whereabouts) -> Iterable[tuple[str, str]]:
    """Each folder a step changes (where it is now), with what the step does there.

    The same folders change whether a step is done or undone: a move takes
    an entry out of one folder and puts it in another (a copy only reads its
    source), a write or rewrite replaces an entry and keeps the original in
    the migration's folder.
    """
    for action in steps:
        doing = f"{action.kind.value} {action.path}"
        yield where.now(str(PurePosixPath(action.path).parent)), doing
        if isinstance(action, RewriteAction | WriteAction) and action.backup is not None:
            yield (
                where.now(str(PurePosixPath(action.backup).parent)),
                f"keep the original of {action.path}",
            )
        if isinstance(action, MoveAction):
            yield where.now(str(PurePosixPath(action.source).parent)), f"move {action.source}"
            for end in (action.source, action.path):
                moved = where.base / end
                if moved.is_dir() and not moved.is_symlink():
                    # A folder moved to another parent rewrites its own '..' entry.
                    yield str(moved), f"move the folder {end}"
