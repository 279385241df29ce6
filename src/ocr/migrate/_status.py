"""The migrations a root has had, and how far each got (``ocr migrate status``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ocr.compat import migration_folders
from ocr.migrate._journal import JOURNAL_FILE_NAME, Journal, MigrationState
from ocr.migrate._plan_file import read_plan_file

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.migrate._model import MigrationPlan, Mode

__all__ = ["MigrationSummary", "list_migrations"]


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


def list_migrations(root: Path) -> list[MigrationSummary]:
    """Every migration of a root, oldest first.

    Args:
        root: The output root.

    Returns:
        Their summaries (a folder without a readable plan is left out).
    """
    found = []
    for folder in migration_folders(root):
        try:
            plan = read_plan_file(folder)
        except (OSError, ValueError):
            continue
        journal = Journal(folder / JOURNAL_FILE_NAME).read()
        found.append(
            MigrationSummary(
                migration_id=plan.migration_id,
                state=journal.state,
                created_at=plan.created_at.isoformat(),
                mode=plan.mode,
                runs=len(plan.runs),
                steps=len(plan.actions),
                steps_done=journal.done,
                folder=folder,
                plan=plan,
            )
        )
    return sorted(found, key=lambda summary: (summary.created_at, summary.migration_id))
