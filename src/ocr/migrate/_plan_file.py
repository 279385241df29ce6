"""Where a migration keeps its plan, and reading it back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ocr.migrate._model import MigrationPlan

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["plan_file", "read_plan_file"]

PLAN_FILE_NAME: Final = "plan.json"


def plan_file(folder: Path) -> Path:
    """Where a migration keeps its plan.

    Args:
        folder: The migration's folder.

    Returns:
        ``<folder>/plan.json``.
    """
    return folder / PLAN_FILE_NAME


def read_plan_file(folder: Path) -> MigrationPlan:
    """Read the plan kept in a migration's folder.

    Args:
        folder: The migration's folder.

    Returns:
        The plan.

    Raises:
        OSError: The file cannot be read.
        pydantic.ValidationError: It is not a plan.
    """
    return MigrationPlan.model_validate_json(plan_file(folder).read_bytes())
