"""The checks of ``ocr validate --pipeline``, each on the files one launch left behind.

>>> [check.value for check in PipelineCheck]
['launch', 'layout', 'record', 'checkpoints', 'validate', 'empty-folders', 'strays']
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict

from ocr.errors import RecordInvalidError
from ocr.layout import FolderKind, RunLayout, SweepLayout, classify_folder
from ocr.layout._shared import is_date_name
from ocr.metadata import read_metadata
from ocr.naming import is_checkpoint_file, sidecar_path
from ocr.registry import Status, read_record
from ocr.validate._validator import validate_root

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator, Sequence

__all__ = ["PipelineCheck", "PipelineResult", "check_launch", "snapshot"]

_SKIPPED: Final = frozenset({"__pycache__", "node_modules"})  # besides every hidden folder
_SHOWN: Final = 5
_ADOPT: Final = "Add `- ocr` to the defaults list of the primary config (see docs/adopt.md)"


class PipelineCheck(enum.StrEnum):
    """One check of ``ocr validate --pipeline``, in the order they report."""

    LAUNCH = "launch"
    LAYOUT = "layout"
    RECORD = "record"
    CHECKPOINTS = "checkpoints"
    VALIDATE = "validate"
    EMPTY_FOLDERS = "empty-folders"
    STRAYS = "strays"


class PipelineResult(BaseModel):
    """How one check came out: ``message`` says what was seen, and the fix when it failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    check: PipelineCheck
    ok: bool
    message: str


def snapshot(folders: Sequence[Path]) -> set[str]:
    """Every file and folder under ``folders`` (hidden folders and caches left out).

    Args:
        folders: The watched folders.

    Returns:
        Their paths, as strings.
    """
    found: set[str] = set()
    stack = [str(folder) for folder in folders]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue  # gone or unreadable: nothing to compare there
        for entry in listed:
            if entry.name.startswith(".") or entry.name in _SKIPPED:
                continue
            found.add(entry.path)
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return found


def check_launch(
    done: subprocess.CompletedProcess[str],
    *,
    root: Path,
    watched: Sequence[Path],
    before: set[str],
) -> list[PipelineResult]:
    """Check what one launch left: its exit, its folders, record, checkpoints and strays.

    Args:
        done: The finished launch.
        root: The temporary output root it was given.
        watched: The folders it must leave unchanged.
        before: :func:`snapshot` of ``watched`` before the launch.

    Returns:
        One result per :class:`PipelineCheck`, in order.
    """
    launches = _launch_folders(root)
    runs = [run for launch in launches for run in _runs_of(launch, root)]
    return [
        _launch(done),
        _layout(launches, root),
        _record(runs),
        _checkpoints(runs),
        _validate(root),
        _empty_folders(root),
        _strays(snapshot(watched) - before),
    ]


def _launch(done: subprocess.CompletedProcess[str]) -> PipelineResult:
    if done.returncode == 0:
        return _ok(PipelineCheck.LAUNCH, "the command finished (exit 0)")
    last = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "")
    return _fail(
        PipelineCheck.LAUNCH,
        f"the command failed (exit {done.returncode}): {last.strip() or 'no error output'}. "
        "Run it by hand with the overrides shown above and fix what it says",
    )


def _launch_folders(root: Path) -> list[Path]:
    return [
        launch
        for date in _subfolders(root)
        if is_date_name(date.name)
        for launch in _subfolders(date)
        if classify_folder(launch, root=root) is not None and any(launch.iterdir())
    ]


def _runs_of(launch: Path, root: Path) -> list[Path]:
    if classify_folder(launch, root=root) is FolderKind.SWEEP:
        return list(SweepLayout(launch).job_dirs())
    return [launch]


def _layout(launches: list[Path], root: Path) -> PipelineResult:
    if len(launches) == 1:
        shown = launches[0].relative_to(root.parent).as_posix()
        return _ok(PipelineCheck.LAYOUT, f"the launch landed in ocr's layout: {shown}")
    if not launches:
        return _fail(
            PipelineCheck.LAYOUT,
            f"nothing landed in the output root ocr gave the launch: it does not use ocr's layout. {_ADOPT}",
        )
    return _fail(
        PipelineCheck.LAYOUT,
        f"{len(launches)} launch folders appeared for one launch. Launch once per command",
    )


def _record(runs: list[Path]) -> PipelineResult:
    problems = []
    for run in runs:
        try:
            record = read_record(RunLayout(run).record_file)
        except (RecordInvalidError, OSError) as exc:
            problems.append(f"{run.name}: no readable run.json ({exc})")
            continue
        if record.status is not Status.COMPLETED:
            problems.append(f"{run.name}: run.json says {record.status.value} ({record.error})")
    if not runs or problems:
        seen = "; ".join(problems) or "no run folder"
        return _fail(PipelineCheck.RECORD, f"{seen}. {_ADOPT}, and let the launch finish")
    return _ok(PipelineCheck.RECORD, f"{len(runs)} run(s), each run.json says completed")


def _checkpoints(runs: list[Path]) -> PipelineResult:
    checkpoints = [
        p for run in runs for p in _files(RunLayout(run).checkpoint_dir) if is_checkpoint_file(p)
    ]
    if not checkpoints:
        return _fail(
            PipelineCheck.CHECKPOINTS,
            "no checkpoint was saved in the run folder. Let the launch checkpoint (no "
            "fast_dev_run, no enable_checkpointing=false), and keep one ModelCheckpoint in the "
            "callbacks config",
        )
    missing = [p.name for p in checkpoints if not _has_valid_sidecar(p)]
    if missing:
        return _fail(
            PipelineCheck.CHECKPOINTS,
            f"{len(missing)} of {len(checkpoints)} checkpoint(s) have no valid sidecar "
            f"({', '.join(missing[:_SHOWN])}). Save them with ocr's UniqueModelCheckpoint ({_ADOPT})",
        )
    return _ok(
        PipelineCheck.CHECKPOINTS, f"{len(checkpoints)} checkpoint(s), each with a valid sidecar"
    )


def _validate(root: Path) -> PipelineResult:
    if not root.is_dir():
        return _fail(PipelineCheck.VALIDATE, f"there is no output root to validate. {_ADOPT}")
    report = validate_root(root)
    if report.ok:
        return _ok(PipelineCheck.VALIDATE, "ocr validate holds on the launch's output root")
    first = report.problems[0]
    return _fail(
        PipelineCheck.VALIDATE,
        f"ocr validate finds {len(report.problems)} problem(s), first: {first.path}: {first.kind}: "
        f"{first.message}",
    )


def _empty_folders(root: Path) -> PipelineResult:
    empty = [
        launch.relative_to(root.parent).as_posix()
        for date in _subfolders(root)
        if is_date_name(date.name)
        for launch in _subfolders(date)
        if not any(launch.iterdir())
    ]
    if empty:
        return _fail(
            PipelineCheck.EMPTY_FOLDERS,
            f"empty launch folders were left behind: {', '.join(empty[:_SHOWN])}. Upgrade ocr, "
            "or report it (a launch must leave no empty folder)",
        )
    return _ok(PipelineCheck.EMPTY_FOLDERS, "no empty launch folder was left behind")


def _strays(new: set[str]) -> PipelineResult:
    if not new:
        return _ok(PipelineCheck.STRAYS, "nothing new outside the run folder")
    tops = sorted({path for path in new if str(Path(path).parent) not in new})
    return _fail(
        PipelineCheck.STRAYS,
        f"the launch wrote outside its run folder: {', '.join(tops[:_SHOWN])}"
        f"{' ...' if len(tops) > _SHOWN else ''}. Derive every output path from the run folder "
        "(${hydra:runtime.output_dir}), and let ocr's layout choose it",
    )


def _has_valid_sidecar(checkpoint: Path) -> bool:
    try:
        read_metadata(sidecar_path(checkpoint))
    except (OSError, ValueError):
        return False
    return True


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in _entries(folder) if p.is_dir() and not p.is_symlink())


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in _entries(folder) if p.is_file())


def _entries(folder: Path) -> Iterator[Path]:
    try:
        yield from folder.iterdir()
    except OSError:
        return  # gone or unreadable: nothing of the launch there


def _ok(check: PipelineCheck, message: str) -> PipelineResult:
    return PipelineResult(check=check, ok=True, message=message)


def _fail(check: PipelineCheck, message: str) -> PipelineResult:
    return PipelineResult(check=check, ok=False, message=message)
