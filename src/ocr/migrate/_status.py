"""The migrations a root has had, and how far each got (``ocr migrate status``).

A migration's folder whose plan or journal cannot be read is not skipped: it
may hold a half-applied migration that only its plan can resume or undo. It
is listed as unreadable, and :func:`refuse_unreadable` stops ``apply`` and
``rollback`` (so no new migration is planned over a half-moved tree) until
the files are restored or the folder is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ocr.compat import mapping_files, migration_folders, read_mapping
from ocr.errors import MigrationStateError, OcrError
from ocr.migrate._journal import JOURNAL_FILE_NAME, Journal, MigrationState
from ocr.migrate._model import Mode
from ocr.migrate._plan_file import plan_file, read_plan_file

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.migrate._model import MigrationPlan

__all__ = [
    "MigrationSummary",
    "UnreadableMigration",
    "copied_before",
    "list_migrations",
    "refuse_unreadable",
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
    """

    migration_id: str
    folder: Path
    reason: str
    started: bool

    def refusal(self) -> MigrationStateError:
        """The one-line error that stops ``apply`` and ``rollback`` while it is there."""
        if self.started:
            fix = (
                f"Restore {plan_file(self.folder).name} and {JOURNAL_FILE_NAME} of "
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
    for folder in migration_folders(root):
        journal = Journal(folder / JOURNAL_FILE_NAME)
        try:
            state = journal.read()
        except MigrationStateError as exc:
            unreadable.append(UnreadableMigration(folder.name, folder, exc.cause, started=True))
            continue
        try:
            plan = read_plan_file(folder)
        except (OSError, ValueError) as exc:
            reason = f"its {plan_file(folder).name}: {_why(exc)}"
            started = state.state is not MigrationState.PLANNED
            unreadable.append(UnreadableMigration(folder.name, folder, reason, started=started))
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
            plan = read_plan_file(found.parent)
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
            plan = read_plan_file(found.parent)
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


def _why(exc: OSError | ValueError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "missing"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "not a plan (cut short, or not JSON, or fields missing)"
