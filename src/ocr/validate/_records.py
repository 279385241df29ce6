"""Experiment records: every run folder has a readable record, every record its folder.

Every ``run.json`` under the root is read (not the registry index, a cache):
it must be valid, say the folder it is in (``run_dir``), have an ID no other
record has, and name a log file that exists. Every run folder the layout knows
must hold one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr._reading import real_folders
from ocr.errors import RecordInvalidError, UnsafeFileError
from ocr.layout import RootLayout, RunLayout
from ocr.registry import read_record
from ocr.validate._hashes import HashClaim
from ocr.validate._report import Problem, ProblemKind, display_path, one_line
from ocr.validate._tree import folder_unreadable

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

__all__ = ["RecordFindings", "check_records"]


@dataclass
class RecordFindings:
    """What the record check found.

    Attributes:
        runs: How many run folders the root has.
        problems: Every problem, in no particular order.
        claims: The config hashes the valid records claim, for the config check.
    """

    runs: int = 0
    problems: list[Problem] = field(default_factory=list)
    claims: list[HashClaim] = field(default_factory=list)


def check_records(
    root: Path, record_files: list[str], unreadable: Collection[str]
) -> RecordFindings:
    """Check the run folders and the records found under the root against each other.

    Args:
        root: The output root (absolute).
        record_files: Every record file under the root (from the walk).
        unreadable: Folders the walk could not list (reported already; a run
            folder among them is not said to lack a record).

    Returns:
        The problems, the config hashes to check and the number of run folders.
    """
    findings = RecordFindings()
    with_record = {Path(file).parent for file in record_files}
    for run_dir in _run_dirs(root, findings):
        findings.runs += 1
        if run_dir not in with_record and str(run_dir) not in unreadable:
            findings.problems.append(
                Problem.of(
                    ProblemKind.RECORD_MISSING,
                    display_path(root, run_dir),
                    "the run folder has no experiment record "
                    f"({RunLayout(run_dir).record_file.name}), so the registry does not know it. "
                    "Launch with `- ocr` (or `- hydra/ocr_layout`) in the defaults list, or record "
                    "runs with the ExperimentRecorder callback; move the folder out of the output "
                    "root if it is no run",
                )
            )
    by_id: dict[str, list[Path]] = defaultdict(list)
    inside = real_folders([root])
    for file in map(Path, record_files):
        _check_record(root, file, findings, by_id, inside)
    for experiment_id, files in by_id.items():
        first = display_path(root, files[0])
        findings.problems.extend(
            Problem.of(
                ProblemKind.RECORD_DUPLICATE_ID,
                display_path(root, copy),
                f"the record has the ID {experiment_id!r}, as has {first!r}: a run folder was "
                f"copied. Remove the copy, or delete its {copy.name} and register it again",
            )
            for copy in files[1:]
        )
    return findings


def _run_dirs(root: Path, findings: RecordFindings) -> Iterator[Path]:
    try:
        yield from RootLayout(root).run_dirs()
    except OSError as exc:
        # The walk reports the same folder (the report keeps one copy); the run
        # folders past it stay unchecked, as the problem says.
        findings.problems.append(folder_unreadable(root, exc.filename, exc.strerror or str(exc)))


def _check_record(
    root: Path,
    file: Path,
    findings: RecordFindings,
    by_id: dict[str, list[Path]],
    inside: tuple[str, ...],
) -> None:
    shown = display_path(root, file)
    try:
        record = read_record(file, inside=inside)
    except (RecordInvalidError, UnsafeFileError) as exc:
        findings.problems.append(Problem.of(ProblemKind.RECORD_INVALID, shown, one_line(str(exc))))
        return
    except OSError as exc:
        findings.problems.append(
            Problem.of(
                ProblemKind.RECORD_INVALID,
                shown,
                f"the record cannot be read ({exc.strerror}). Make it readable",
            )
        )
        return
    folder = file.parent
    where = folder.relative_to(root).as_posix()
    if record.run_dir != where:
        findings.problems.append(
            Problem.of(
                ProblemKind.RECORD_MISPLACED,
                shown,
                f"the record says run_dir {record.run_dir!r} but is in {where!r}: the folder was "
                "moved or copied by hand. Move it back, or set run_dir to where it is",
            )
        )
    by_id[record.id].append(file)
    if record.log_file is not None and not (folder / record.log_file).is_file():
        findings.problems.append(
            Problem.of(
                ProblemKind.RECORD_LOG_MISSING,
                shown,
                f"the record's log_file {record.log_file!r} does not exist: the job logged "
                "elsewhere, or the log was removed. Restore the log, or set log_file to the log "
                "the job wrote",
            )
        )
    if record.config_hash is not None:
        findings.claims.append(
            HashClaim(owner=str(file), config_hash=record.config_hash, run_dir=str(folder))
        )
