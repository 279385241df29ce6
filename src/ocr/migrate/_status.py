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

from ocr.compat import mapping_files, read_mapping
from ocr.errors import MigrationPlanVersionError, MigrationStateError, OcrError
from ocr.layout import MigrationLayout, RootLayout
from ocr.migrate._journal import Journal, MigrationState
from ocr.migrate._model import Mode
from ocr.migrate._plan_file import read_plan_file

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.migrate._model import MigrationPlan

__all__ = [
    "MigrationSummary",
    "UnreadableMigration",
    "copied_before",
    "list_migrations",
    "refuse_unreadable",
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
    if isinstance(exc, MigrationPlanVersionError):
        return f"written by a newer ocr (schema version {exc.value}): upgrade ocr to read it"
    if isinstance(exc, FileNotFoundError):
        return "missing"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "not a plan (cut short, or not JSON, or fields missing)"
