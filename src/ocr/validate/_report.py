"""The validation report: which checks ran, what they saw, and every problem found.

Its JSON form (``ocr validate --format json``) is a contract, documented in
docs/validate.md: field names and the ``check``/``kind`` values are stable, and
``schema_version`` changes when they do.
"""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CHECK_OF",
    "REPORT_SCHEMA_VERSION",
    "Check",
    "Counts",
    "Problem",
    "ProblemKind",
    "ValidationReport",
    "display_path",
    "one_line",
]

REPORT_SCHEMA_VERSION: Final = 1


class Check(enum.StrEnum):
    """One integrity check; each runs over the whole output root."""

    CATALOG = "catalog"
    SIDECARS = "sidecars"
    CONFIG_HASHES = "config-hashes"
    RECORDS = "records"
    MAPPINGS = "mappings"


class ProblemKind(enum.StrEnum):
    """What exactly is wrong; each kind belongs to one :class:`Check` (:data:`CHECK_OF`)."""

    FOLDER_UNREADABLE = "folder-unreadable"
    CHECKPOINT_UNDISCOVERABLE = "checkpoint-undiscoverable"
    SIDECAR_MISSING = "sidecar-missing"
    SIDECAR_INVALID = "sidecar-invalid"
    SIDECAR_MISMATCH = "sidecar-mismatch"
    SIDECAR_ORPHAN = "sidecar-orphan"
    CONFIG_HASH_MISMATCH = "config-hash-mismatch"
    CONFIG_MISSING = "config-missing"
    CONFIG_INVALID = "config-invalid"
    RECORD_MISSING = "record-missing"
    RECORD_INVALID = "record-invalid"
    RECORD_MISPLACED = "record-misplaced"
    RECORD_DUPLICATE_ID = "record-duplicate-id"
    RECORD_LOG_MISSING = "record-log-missing"
    MAPPING_INVALID = "mapping-invalid"
    MAPPING_TARGET_MISSING = "mapping-target-missing"


CHECK_OF: Final[dict[ProblemKind, Check]] = {
    ProblemKind.FOLDER_UNREADABLE: Check.CATALOG,
    ProblemKind.CHECKPOINT_UNDISCOVERABLE: Check.CATALOG,
    ProblemKind.SIDECAR_MISSING: Check.SIDECARS,
    ProblemKind.SIDECAR_INVALID: Check.SIDECARS,
    ProblemKind.SIDECAR_MISMATCH: Check.SIDECARS,
    ProblemKind.SIDECAR_ORPHAN: Check.SIDECARS,
    ProblemKind.CONFIG_HASH_MISMATCH: Check.CONFIG_HASHES,
    ProblemKind.CONFIG_MISSING: Check.CONFIG_HASHES,
    ProblemKind.CONFIG_INVALID: Check.CONFIG_HASHES,
    ProblemKind.RECORD_MISSING: Check.RECORDS,
    ProblemKind.RECORD_INVALID: Check.RECORDS,
    ProblemKind.RECORD_MISPLACED: Check.RECORDS,
    ProblemKind.RECORD_DUPLICATE_ID: Check.RECORDS,
    ProblemKind.RECORD_LOG_MISSING: Check.RECORDS,
    ProblemKind.MAPPING_INVALID: Check.MAPPINGS,
    ProblemKind.MAPPING_TARGET_MISSING: Check.MAPPINGS,
}
_ORDER: Final = {check: number for number, check in enumerate(Check)}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(_Frozen):
    """One thing that does not hold.

    ``path`` is relative to the output root's parent (POSIX), so it starts with
    the root's own name and also covers the ``multirun/`` and ``wandb/`` folders
    beside it. ``message`` says what is wrong, then how to fix it.
    """

    check: Check
    kind: ProblemKind
    path: str
    message: str

    @classmethod
    def of(cls, kind: ProblemKind, path: str, message: str) -> Problem:
        """A problem of ``kind``, filed under its check.

        Args:
            kind: What is wrong.
            path: The file or folder, relative to the root's parent (:func:`display_path`).
            message: What is wrong and how to fix it, one line.

        Returns:
            The problem.
        """
        return cls(check=CHECK_OF[kind], kind=kind, path=path, message=message)

    @model_validator(mode="after")
    def _kind_belongs_to_check(self) -> Self:
        if CHECK_OF[self.kind] is not self.check:
            msg = f"kind {self.kind.value!r} belongs to check {CHECK_OF[self.kind].value!r}"
            raise ValueError(msg)
        return self


class Counts(_Frozen):
    """How much each check looked at."""

    checkpoints: NonNegativeInt = 0
    sidecars: NonNegativeInt = 0
    config_hashes: NonNegativeInt = Field(
        default=0, description="Config hashes compared (sidecars and records that have one)."
    )
    runs: NonNegativeInt = 0
    records: NonNegativeInt = 0
    mappings: NonNegativeInt = Field(default=0, description="Migration mapping files.")
    mapping_entries: NonNegativeInt = 0


class ValidationReport(_Frozen):
    """The outcome of validating one output root; ``ok`` when there is no problem."""

    schema_version: Literal[1] = REPORT_SCHEMA_VERSION
    root: str = Field(description="The output root, absolute (POSIX).")
    ok: bool
    checks: list[Check]
    counts: Counts
    problems: list[Problem]

    @classmethod
    def of(cls, root: Path, checks: list[Check], counts: Counts, problems: list[Problem]) -> Self:
        """A report with ``ok`` set and the problems in a stable order (check, path, kind).

        Args:
            root: The output root.
            checks: The checks that ran.
            counts: What they looked at.
            problems: What they found.

        Returns:
            The report.
        """
        # A set: a folder met by two checks (unreadable, say) is one problem.
        ordered = sorted(set(problems), key=lambda p: (_ORDER[p.check], p.path, p.kind, p.message))
        return cls(
            root=root.as_posix(), ok=not ordered, checks=checks, counts=counts, problems=ordered
        )

    @model_validator(mode="after")
    def _ok_means_no_problems(self) -> Self:
        if self.ok != (not self.problems):
            msg = f"ok must be {not self.problems} with {len(self.problems)} problem(s)"
            raise ValueError(msg)
        return self

    def problems_of(self, check: Check) -> list[Problem]:
        """The problems one check found.

        Args:
            check: The check.

        Returns:
            Its problems, in report order.
        """
        return [problem for problem in self.problems if problem.check is check]


def display_path(root: Path, path: str | Path) -> str:
    """How a report names a path: relative to the root's parent, in POSIX form.

    Args:
        root: The output root (absolute).
        path: A path under the root's parent (absolute).

    Returns:
        The relative POSIX path, or the absolute one when it is elsewhere.

    >>> from pathlib import Path
    >>> display_path(Path("/data/outputs"), "/data/outputs/2025-10-18/14-03-22/run.json")
    'outputs/2025-10-18/14-03-22/run.json'
    """
    # Plain string work: a report can name ten thousand paths, and Path
    # arithmetic for each cost more than the checks themselves.
    text, parent = str(path), str(root.parent)
    prefix = parent if parent.endswith(os.sep) else parent + os.sep
    shown = text[len(prefix) :] if text.startswith(prefix) else text
    return shown.replace(os.sep, "/")


def one_line(text: str) -> str:
    r"""Collapse every run of whitespace (newlines too) into one space.

    Lower-level error texts (YAML parser messages, say) can span lines; a
    problem's message never does.

    Args:
        text: The text.

    Returns:
        The text on one line.

    >>> one_line("while parsing\n  in line 1")
    'while parsing in line 1'
    """
    return " ".join(text.split())
