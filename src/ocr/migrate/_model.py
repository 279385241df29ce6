"""A migration as data: the plan (``plan.json``), every step in it, and the runs it makes.

A plan is computed once, written into the migration's folder before the first
step, and from then on is the only truth: ``apply`` resumes it and
``rollback`` undoes it without looking at the legacy tree again. Every path is
POSIX and relative to the output root's parent (``base``), like the compat
mapping entries, so ``outputs/``, ``multirun/`` and ``wandb/`` are all covered.

When ``plan.json`` is read back (:func:`read_plan_file`), its schema version
is checked first: a plan written by a newer ocr is refused with an "upgrade
ocr" error, never guessed at. Version 1 (every step held every field, the
unused ones empty, and a relink its two targets as a one-pair
``replacements`` list) is read by turning each step into its version 2 shape,
so a migration applied by an older ocr can still be resumed, listed and
rolled back.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeAlias

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError

from ocr._json import loads, validate_json
from ocr._reading import STATE_LIMIT, read_capped
from ocr._validation import RelativePosixPath, describe_problems
from ocr.errors import MigrationPlanInvalidError, MigrationPlanVersionError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ocr.layout import MigrationLayout

__all__ = [
    "ACTION_TYPES",
    "PHASES",
    "PLAN_SCHEMA_VERSION",
    "Action",
    "ActionKind",
    "CopyAction",
    "FrozenModel",
    "LeftInPlace",
    "MigrationPlan",
    "MkdirAction",
    "Mode",
    "MoveAction",
    "PlannedRun",
    "RelinkAction",
    "RewriteAction",
    "RmdirAction",
    "TimestampSource",
    "WriteAction",
    "read_plan_file",
]

PLAN_SCHEMA_VERSION: Final = 2
"""2: each step holds only its kind's fields (1 held every field, unused ones empty)."""


RelativePath = RelativePosixPath
"""A path relative to the migration's base folder; never absolute, never climbing."""


class FrozenModel(BaseModel):
    """Base of the migrator's files (plan, report): immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Mode(enum.StrEnum):
    """How files reach the new tree."""

    MOVE = "move"  # a rename (a verified copy, then removal, across filesystems)
    COPY = "copy"  # a verified copy; the legacy tree stays as it is


class ActionKind(enum.StrEnum):
    """One kind of step; each can be redone and undone after a crash at any point."""

    MKDIR = "mkdir"  # create a folder the new layout needs
    MOVE = "move"  # move a file or folder (with everything under it)
    COPY = "copy"  # copy a file or folder, verified by size and SHA-256
    REWRITE = "rewrite"  # replace old paths inside a text file; the original is kept
    WRITE = "write"  # write a new file (sidecar, record, mapping); a file it replaces is kept
    RMDIR = "rmdir"  # remove a legacy folder the moves emptied
    RELINK = "relink"  # point a moved link at its target's new place


class _Step(FrozenModel):
    """What every step has: the path it creates or changes, and what it is for."""

    path: RelativePath
    """The file or folder the step creates or changes."""
    purpose: str
    """What the step is for, in words, for the report."""


class MkdirAction(_Step):
    """Create a folder the new layout needs."""

    kind: Literal[ActionKind.MKDIR] = ActionKind.MKDIR


class RmdirAction(_Step):
    """Remove a legacy folder the moves emptied (kept, and named, when it is not empty)."""

    kind: Literal[ActionKind.RMDIR] = ActionKind.RMDIR


class MoveAction(_Step):
    """Move a file or folder (with everything under it) from ``source`` to ``path``."""

    kind: Literal[ActionKind.MOVE] = ActionKind.MOVE
    source: RelativePath


class CopyAction(_Step):
    """Copy a file or folder from ``source`` to ``path``, verified by size and SHA-256."""

    kind: Literal[ActionKind.COPY] = ActionKind.COPY
    source: RelativePath


class WriteAction(_Step):
    """Write a new file; ``backup`` keeps the bytes of a file it replaces (else ``None``)."""

    kind: Literal[ActionKind.WRITE] = ActionKind.WRITE
    text: str
    backup: RelativePath | None = None


class RewriteAction(_Step):
    """Replace old paths inside a text file, in order; ``backup`` keeps its original bytes."""

    kind: Literal[ActionKind.REWRITE] = ActionKind.REWRITE
    backup: RelativePath
    replacements: list[tuple[str, str]]


class RelinkAction(_Step):
    """Point a moved link at its target's new place: from ``old_target`` to ``new_target``."""

    kind: Literal[ActionKind.RELINK] = ActionKind.RELINK
    old_target: str
    new_target: str


Action: TypeAlias = Annotated[
    MkdirAction
    | RmdirAction
    | MoveAction
    | CopyAction
    | WriteAction
    | RewriteAction
    | RelinkAction,
    Field(discriminator="kind"),
]
"""One step of a migration; its ``kind`` says which fields it has."""


ACTION_TYPES: Final[Mapping[ActionKind, type[Action]]] = {
    ActionKind.MKDIR: MkdirAction,
    ActionKind.RMDIR: RmdirAction,
    ActionKind.MOVE: MoveAction,
    ActionKind.COPY: CopyAction,
    ActionKind.WRITE: WriteAction,
    ActionKind.REWRITE: RewriteAction,
    ActionKind.RELINK: RelinkAction,
}
"""The step type of each kind."""
PHASES: Final = ("folders", "moves", "configs", "rewrites", "writes", "cleanup")
"""The plan's phases. In this order each step finds what it needs: folders
before moves before copies of moved configs, rewrites of moved files, new files
beside them, and only then the removal of emptied legacy folders."""


class TimestampSource(enum.StrEnum):
    """The evidence a new folder's timestamp was taken from, most trusted first."""

    FOLDER_NAME = "folder_name"  # era C ``..._YYYYmmdd_HHMMSS``, era D ``<date>/<time>``
    FILE_NAME = "file_name"  # a checkpoint named with a timestamp
    LOG_LINE = "log_line"  # the first ``[YYYY-mm-dd HH:MM:SS,mmm]`` line of a log
    HYDRA_FILES = "hydra_files"  # when Hydra wrote ``.hydra/config.yaml`` (its mtime)
    CHECKPOINT_MTIME = "checkpoint_mtime"  # the oldest checkpoint's mtime
    FILE_MTIME = "file_mtime"  # the oldest file's mtime (nothing better was there)


class PlannedRun(FrozenModel):
    """One legacy experiment (or sweep) and the new folder it becomes.

    Args:
        era: The legacy shape (compat ``Era`` value).
        name: The experiment's legacy name.
        sources: The legacy folders it is made of (its own, a joined config folder).
        target: The new run (or sweep) folder.
        launched: The new folder's timestamp (naive local time).
        timestamp_source: Which evidence gave it.
        checkpoints: How many checkpoints it holds.
        files: How many files it holds.
        size_bytes: Their total size.
        experiment_ids: The registry IDs given to it (one per sweep job for a sweep).
        notes: What the report should say about it (several runs in one
            folder, a joined config, ...).
    """

    era: str
    name: str
    sources: list[RelativePath]
    target: RelativePath
    launched: datetime
    timestamp_source: TimestampSource
    checkpoints: NonNegativeInt
    files: NonNegativeInt
    size_bytes: NonNegativeInt
    experiment_ids: list[str]
    notes: list[str] = Field(default_factory=list)


class LeftInPlace(FrozenModel):
    """Something in the legacy tree the migration does not move, and why."""

    path: RelativePath
    reason: str


class MigrationPlan(FrozenModel):
    """Everything one migration will do, in order.

    Args:
        migration_id: Its ID (the migration folder's name).
        created_at: When it was planned.
        root: The output root's absolute POSIX path.
        base: The root's parent (every relative path starts there).
        mode: Move or copy.
        tops: The folders it may write in, relative to ``base``
            (the root and the legacy ``multirun``/``wandb`` folders).
        state_dir_existed: Whether the root's ``.ocr`` folder existed before
            (a rollback removes it again when it did not).
        runs: The new folders.
        actions: The steps.
        mapping: Old path -> new path (the compat mapping's entries).
        left_in_place: What stays where it is.
        warnings: Everything a person should look at.
        folder_mtimes: Folder (or relinked link) -> mtime (ns) before the
            migration, which a rollback puts back.
    """

    schema_version: Literal[2] = PLAN_SCHEMA_VERSION
    migration_id: str
    created_at: AwareDatetime
    root: str
    base: str
    mode: Mode
    tops: list[RelativePath]
    state_dir_existed: bool
    runs: list[PlannedRun]
    actions: list[Action]
    mapping: dict[RelativePath, RelativePath]
    left_in_place: list[LeftInPlace]
    warnings: list[str]
    folder_mtimes: dict[RelativePath, int]

    @property
    def root_relative(self) -> str:
        """The output root, relative to ``base`` (its name)."""
        return PurePosixPath(self.root).name


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
