"""Where a migration keeps its plan, and reading it back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ocr._json import validate_json
from ocr._reading import STATE_LIMIT, read_capped
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
        OSError: The file cannot be read (or is no regular file: ``UnsafeFileError``).
        ValueError: It is not a plan (not JSON, or a ``pydantic.ValidationError``).
    """
    return validate_json(MigrationPlan, read_capped(plan_file(folder), limit=STATE_LIMIT))
