"""A root's migration state: its ``.ocr`` folder, and the migrations in it and how far each got.

**The migrations** (``ocr migrate status``). A migration's folder whose plan
or journal cannot be read is not skipped: it may hold a half-applied migration
that only its plan can resume or undo. It is listed as unreadable, and :func:`refuse_unreadable` stops ``apply`` and
``rollback`` (so no new migration is planned over a half-moved tree) until
the files are restored or the folder is removed.

**The ``.ocr`` folder**, as a migration finds it, claims it and leaves it.
The migration lock, plans, journals and kept originals live in ``<root>/.ocr``.
It must be a real folder inside the root: through a link, a migration would
write outside the tree (and find that out only after moving folders), so a
link is refused before anything moves.

Making ``.ocr`` changes the root's mtime, which a rollback must put back. A
migration that makes it writes ``made-by-migrate.json`` into it at once,
holding the root's mtime from before: if the process is killed before its
plan is written (or while it plans), the next migration still knows that the
folder was not there before and when the root last changed, so its rollback
removes ``.ocr`` and restores the root exactly.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt, ValidationError

from ocr._reading import METADATA_LIMIT, read_capped
from ocr.atomic import atomic_write_json
from ocr.compat import mapping_files, read_mapping
from ocr.errors import (
    MigrationConfinementError,
    MigrationPlanVersionError,
    MigrationStateError,
    OcrError,
)
from ocr.layout import MigrationLayout, RootLayout
from ocr.migrate._journal import Journal, MigrationState
from ocr.migrate._model import Mode, read_plan_file

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.migrate._model import MigrationPlan

__all__ = [
    "MigrationSummary",
    "UnreadableMigration",
    "check_state_dir",
    "claim_state_dir",
    "copied_before",
    "list_migrations",
    "made_before",
    "refuse_unreadable",
    "restore_root_mtime",
    "split_before",
    "survey_migrations",
]


@dataclass(frozen=True)
class MigrationSummary:
    """One migration of a root, as ``ocr migrate status`` lists it."""

    migration_id: str
    state: MigrationState
    created_at: str
    mode: Mode
    runs: int
    steps: int
    steps_done: int
    folder: Path
    plan: MigrationPlan = field(repr=False, compare=False)
    """The plan as read (resuming or undoing the migration needs no second read)."""


@dataclass(frozen=True)
class UnreadableMigration:
    """A migration folder whose plan or journal cannot be read.

    Args:
        migration_id: The folder's name.
        folder: The folder.
        reason: Why it cannot be read.
        started: Whether its journal shows a begun step (or cannot tell).
        newer: Whether a newer ocr wrote its plan (this one cannot read it).
    """

    migration_id: str
    folder: Path
    reason: str
    started: bool
    newer: bool = False

    def refusal(self) -> MigrationStateError:
        """The one-line error that stops ``apply`` and ``rollback`` while it is there."""
        if self.newer:
            fix = "Upgrade ocr (pip install --upgrade ocr), then run the command again"
        elif self.started:
            migration = MigrationLayout(self.folder)
            fix = (
                f"Restore {migration.plan_file.name} and {migration.journal_file.name} of "
                f"{str(self.folder)!r} from a backup; until then no migration can run"
            )
        else:
            fix = (
                "It never began a step (its journal is empty): delete the folder "
                f"{str(self.folder)!r}, or restore its plan from a backup"
            )
        return MigrationStateError(
            f"migration {self.migration_id} cannot be read ({self.reason}), so it can be "
            "neither resumed nor rolled back, and no migration may start over a tree it may "
            "have half moved",
            fix=fix,
            path=self.folder,
        )


def list_migrations(root: Path) -> list[MigrationSummary]:
    """Every readable migration of a root, oldest first.

    Args:
        root: The output root.

    Returns:
        Their summaries (unreadable ones: :func:`survey_migrations`).
    """
    return survey_migrations(root)[0]


def survey_migrations(root: Path) -> tuple[list[MigrationSummary], list[UnreadableMigration]]:
    """Every migration of a root: the readable ones oldest first, then the unreadable ones.

    Args:
        root: The output root.

    Returns:
        The summaries, and the folders whose plan or journal cannot be read.
    """
    found: list[MigrationSummary] = []
    unreadable: list[UnreadableMigration] = []
    for migration in RootLayout(root).migrations():
        folder = migration.folder
        journal = Journal(migration.journal_file)
        try:
            state = journal.read()
        except MigrationStateError as exc:
            unreadable.append(UnreadableMigration(folder.name, folder, exc.cause, started=True))
            continue
        try:
            plan = read_plan_file(migration)
        except (OSError, ValueError) as exc:
            reason = f"its {migration.plan_file.name}: {_why(exc)}"
            started = state.state is not MigrationState.PLANNED
            newer = isinstance(exc, MigrationPlanVersionError)
            unreadable.append(
                UnreadableMigration(folder.name, folder, reason, started=started, newer=newer)
            )
            continue
        found.append(
            MigrationSummary(
                migration_id=plan.migration_id,
                state=state.state,
                created_at=plan.created_at.isoformat(),
                mode=plan.mode,
                runs=len(plan.runs),
                steps=len(plan.actions),
                steps_done=state.done,
                folder=folder,
                plan=plan,
            )
        )
    found.sort(key=lambda summary: (summary.created_at, summary.migration_id))
    return found, unreadable


def copied_before(root: Path) -> set[Path]:
    """Legacy folders an applied copy-mode migration already brought over (their sources stay).

    Args:
        root: The output root.

    Returns:
        The folders (and files) a new plan must leave out.
    """
    copied: set[Path] = set()
    for found in mapping_files(root):
        try:
            mapping = read_mapping(found)
            plan = read_plan_file(MigrationLayout(found.parent))
        except (OcrError, OSError, ValueError):
            continue
        if plan.mode is Mode.COPY:
            base = root.parent
            copied.update(base / source for run in plan.runs for source in run.sources)
            copied.update(base / old for old in mapping.entries)
    return copied


def split_before(root: Path) -> set[Path]:
    """Folders at the top of the root that an applied migration split into their runs.

    A run that came from deeper than the top of the root came out of such a
    folder.

    Args:
        root: The output root.

    Returns:
        Those top folders: a new plan splits what they still hold, and never
        takes one for an experiment of its own.
    """
    split: set[Path] = set()
    for found in mapping_files(root):
        try:
            plan = read_plan_file(MigrationLayout(found.parent))
        except (OcrError, OSError, ValueError):
            continue
        for source in (root.parent / source for run in plan.runs for source in run.sources):
            if source.is_relative_to(root) and len(source.relative_to(root).parts) > 1:
                split.add(root / source.relative_to(root).parts[0])
    return split


def refuse_unreadable(unreadable: list[UnreadableMigration]) -> None:
    """Stop a migration or rollback while a migration folder cannot be read.

    Args:
        unreadable: From :func:`survey_migrations`.

    Raises:
        MigrationStateError: There is one (the first is named).
    """
    if unreadable:
        raise unreadable[0].refusal()


# -- the .ocr folder ----------------------------------------------------------


class _Origin(BaseModel):
    """``made-by-migrate.json``: the root's mtime before a migration made ``.ocr``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    root_mtime_ns: NonNegativeInt


def check_state_dir(layout: RootLayout) -> None:
    """Refuse a ``.ocr`` that is not a real folder inside the root.

    Args:
        layout: The output root's layout.

    Raises:
        MigrationConfinementError: ``.ocr`` is a link, or not a folder.
    """
    state_dir = layout.state_dir
    if state_dir.is_symlink() or (os.path.lexists(state_dir) and not state_dir.is_dir()):
        kind = "a link" if state_dir.is_symlink() else "not a folder"
        raise MigrationConfinementError(
            f"{str(state_dir)!r} is {kind}; a migration keeps its plan, journal and the "
            "original bytes of what it changes only in a real folder inside the output root",
            fix=f"Replace {str(state_dir)!r} by a folder (move what it holds into it), "
            "then run the command again",
            path=state_dir,
        )


def claim_state_dir(layout: RootLayout) -> None:
    """Make ``.ocr`` if it is missing, remembering the root's mtime from before.

    Args:
        layout: The output root's layout.
    """
    if os.path.lexists(layout.state_dir):
        return
    before = layout.root.stat().st_mtime_ns
    try:
        layout.state_dir.mkdir()
    except FileExistsError:  # another process made it this instant: it is theirs
        return
    atomic_write_json(layout.state_origin_file, _Origin(root_mtime_ns=before))


def made_before(layout: RootLayout) -> int | None:
    """The root's mtime from before a migration made ``.ocr``, while no migration is in it.

    Args:
        layout: The output root's layout.

    Returns:
        The mtime (ns) when a migration attempt made ``.ocr`` and left no
        migration folder in it (it was killed before writing its plan, or
        every migration was rolled back); ``None`` when ``.ocr`` was there
        before (or was made by something else).
    """
    if layout.migrations():
        return None
    try:
        content = read_capped(layout.state_origin_file, limit=METADATA_LIMIT)
        return _Origin.model_validate_json(content).root_mtime_ns
    except (OSError, ValidationError):
        return None


def restore_root_mtime(root: Path, mtime_ns: int) -> None:
    """Put the root's mtime back (after ``.ocr`` is gone again).

    Args:
        root: The output root.
        mtime_ns: Its mtime from before.
    """
    with contextlib.suppress(FileNotFoundError):  # the root itself was removed meanwhile
        os.utime(root, ns=(root.stat().st_atime_ns, mtime_ns))


def _why(exc: OSError | ValueError) -> str:
    if isinstance(exc, MigrationPlanVersionError):
        return f"written by a newer ocr (schema version {exc.value}): upgrade ocr to read it"
    if isinstance(exc, FileNotFoundError):
        return "missing"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "not a plan (cut short, or not JSON, or fields missing)"
