"""What ``apply`` (or ``rollback``) will need, checked before anything moves.

A step that fails half-way leaves a half-migrated tree to resume or undo; a
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
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from ocr.errors import MigrationPermissionError
from ocr.migrate._execute import StepRunner
from ocr.migrate._model import MoveAction, RewriteAction, WriteAction
from ocr.migrate._state import check_state_dir

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ocr.migrate._model import Action, MigrationPlan

__all__ = ["check_plan", "check_steps"]

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
    check_state_dir(root)
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
