"""Reading back the plan a migration keeps in its folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._json import validate_json
from ocr._reading import STATE_LIMIT, read_capped
from ocr.migrate._model import MigrationPlan

if TYPE_CHECKING:
    from ocr.layout import MigrationLayout

__all__ = ["read_plan_file"]


def read_plan_file(migration: MigrationLayout) -> MigrationPlan:
    """Read the plan kept in a migration's folder.

    Args:
        migration: The migration's layout.

    Returns:
        The plan.

    Raises:
        OSError: The file cannot be read (or is no regular file: ``UnsafeFileError``).
        ValueError: It is not a plan (not JSON, or a ``pydantic.ValidationError``).
    """
    return validate_json(MigrationPlan, read_capped(migration.plan_file, limit=STATE_LIMIT))
