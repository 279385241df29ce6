"""Reading back the plan a migration keeps in its folder, of this or an older ocr.

The schema version is checked first: a plan written by a newer ocr is refused
with an "upgrade ocr" error, never guessed at. Version 1 (every step held
every field, the unused ones empty, and a relink its two targets as a
one-pair ``replacements`` list) is read by turning each step into its
version 2 shape, so a migration applied by an older ocr can still be resumed,
listed and rolled back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from ocr._json import loads, validate_json
from ocr._reading import STATE_LIMIT, read_capped
from ocr._validation import describe_problems
from ocr.errors import MigrationPlanInvalidError, MigrationPlanVersionError
from ocr.migrate._model import PLAN_SCHEMA_VERSION, ActionKind, MigrationPlan

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ocr.layout import MigrationLayout

__all__ = ["read_plan_file"]

_V1_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    ActionKind.MOVE: ("source",),
    ActionKind.COPY: ("source",),
    ActionKind.WRITE: ("text", "backup"),
    ActionKind.REWRITE: ("backup", "replacements"),
}


def read_plan_file(migration: MigrationLayout) -> MigrationPlan:
    """Read the plan kept in a migration's folder.

    Args:
        migration: The migration's layout.

    Returns:
        The plan.

    Raises:
        MigrationPlanVersionError: It was written by a newer ocr.
        MigrationPlanInvalidError: It is not a plan (not JSON, cut short, fields missing).
        OSError: The file cannot be read (or is no regular file: ``UnsafeFileError``).
    """
    path = migration.plan_file
    content = read_capped(path, limit=STATE_LIMIT)
    try:  # this ocr's own plans: one pass of Pydantic's parser
        return validate_json(MigrationPlan, content)
    except ValidationError:
        pass  # older, newer or damaged: told apart below
    try:
        raw = loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(path, "not JSON (cut short?)") from exc
    if not isinstance(raw, dict):
        raise _invalid(path, f"expected a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool):
        if version > PLAN_SCHEMA_VERSION:
            raise MigrationPlanVersionError(
                f"migration plan {str(path)!r} has schema version {version}, newer than this "
                f"ocr understands ({PLAN_SCHEMA_VERSION})",
                fix="Upgrade ocr (pip install --upgrade ocr), then run the command again",
                path=path,
                value=version,
            )
        if version == 1:
            raw = _from_version_1(raw)
    try:
        return MigrationPlan.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(path, describe_problems(exc)) from exc


def _from_version_1(raw: dict[str, Any]) -> dict[str, Any]:
    """A version 1 plan in the version 2 shape (what does not fit is left for validation)."""
    actions = raw.get("actions")
    if not isinstance(actions, list):
        return {**raw, "schema_version": PLAN_SCHEMA_VERSION}
    return {
        **raw,
        "schema_version": PLAN_SCHEMA_VERSION,
        "actions": [_step_from_version_1(a) if isinstance(a, dict) else a for a in actions],
    }


def _step_from_version_1(action: dict[str, Any]) -> dict[str, Any]:
    kind = str(action.get("kind"))
    step: dict[str, Any] = {n: action[n] for n in ("kind", "path", "purpose") if n in action}
    for name in _V1_FIELDS.get(kind, ()):
        if name in action:
            step[name] = action[name]
    match action.get("replacements"):
        case [[str() as old, str() as new]] if kind == ActionKind.RELINK:
            step["old_target"], step["new_target"] = old, new
    return step


def _invalid(path: Path, why: str) -> MigrationPlanInvalidError:
    return MigrationPlanInvalidError(
        f"migration plan is invalid: {str(path)!r}: {why}",
        fix="Restore the file from a backup, or delete its migration folder if it never began",
        path=path,
    )
