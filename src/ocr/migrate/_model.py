"""A migration as data: the plan (``plan.json``), every step in it, and the runs it makes.

A plan is computed once, written into the migration's folder before the first
step, and from then on is the only truth: ``apply`` resumes it and
``rollback`` undoes it without looking at the legacy tree again. Every path is
POSIX and relative to the output root's parent (``base``), like the compat
mapping entries, so ``outputs/``, ``multirun/`` and ``wandb/`` are all covered.
"""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

from ocr._validation import RelativePosixPath

__all__ = [
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
