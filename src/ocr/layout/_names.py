"""Run folder names: launch stamps, formatting, parsing and collision-free allocation."""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Final

from ocr.errors import LaunchDirAllocationError, RunPathParseError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "DATE_FORMAT",
    "JOB_PATTERN",
    "TIME_FORMAT",
    "RunLocation",
    "RunStamp",
    "allocate_launch_dir",
    "format_job_name",
    "format_run_path",
    "free_run_path",
    "in_layout_run",
    "is_date_name",
    "parse_run_path",
    "run_location",
]

DATE_FORMAT: Final = "%Y-%m-%d"
TIME_FORMAT: Final = "%H-%M-%S"
_DATE_PATTERN: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_PATTERN: Final = re.compile(r"(?P<time>\d{2}-\d{2}-\d{2})(?:_(?P<clash>[1-9]\d{0,5}))?")
JOB_PATTERN: Final = re.compile(r"0|[1-9]\d{0,5}")
_EXPECTED: Final = "expected 'YYYY-MM-DD/HH-MM-SS[_n]' optionally followed by '/<job number>'"
_MAX_CLASHES: Final = 10_000


@dataclass(frozen=True, order=True)
class RunStamp:
    """When a run or sweep was launched, and its clash suffix.

    Args:
        launched: Local wall-clock launch time; microseconds are dropped.
        clash: 0 for the first folder of that second, then 1, 2, ... (``_1``, ``_2``).
    """

    launched: datetime
    clash: int = 0

    def __post_init__(self) -> None:
        if self.clash < 0:
            raise RunPathParseError(
                f"clash suffix must be >= 0, got {self.clash!r}",
                fix="Use 0 for the first folder of a second",
                value=self.clash,
            )
        object.__setattr__(self, "launched", self.launched.replace(microsecond=0, tzinfo=None))

    @property
    def date_name(self) -> str:
        """The date folder name, ``YYYY-MM-DD``."""
        return self.launched.strftime(DATE_FORMAT)

    @property
    def time_name(self) -> str:
        """The time folder name, ``HH-MM-SS`` or ``HH-MM-SS_<clash>``."""
        time = self.launched.strftime(TIME_FORMAT)
        return f"{time}_{self.clash}" if self.clash else time


@dataclass(frozen=True)
class RunLocation:
    """Where a run sits relative to the output root.

    Args:
        stamp: The launch stamp of the run, or of its sweep.
        job_num: The job number inside a sweep; ``None`` for a single run.
    """

    stamp: RunStamp
    job_num: int | None = None

    @property
    def relative_path(self) -> PurePosixPath:
        """The path of the run folder relative to the output root."""
        return format_run_path(self.stamp, job_num=self.job_num)


def format_run_path(stamp: RunStamp, *, job_num: int | None = None) -> PurePosixPath:
    """Format the folder of a run, sweep or sweep job relative to the root.

    Args:
        stamp: The launch stamp.
        job_num: A job number for a job inside a sweep.

    Returns:
        ``YYYY-MM-DD/HH-MM-SS[_n]`` or ``YYYY-MM-DD/HH-MM-SS[_n]/<job_num>``.

    Raises:
        RunPathParseError: ``job_num`` is negative.
    """
    launch = PurePosixPath(stamp.date_name, stamp.time_name)
    return launch if job_num is None else launch / format_job_name(job_num)


def format_job_name(job_num: int) -> str:
    """Format the folder name of one job of a sweep (Hydra's ``hydra.job.num``).

    Args:
        job_num: The job number.

    Returns:
        The decimal job number.

    Raises:
        RunPathParseError: ``job_num`` is negative.
    """
    if job_num < 0:
        raise RunPathParseError(
            f"job number must be >= 0, got {job_num!r}",
            fix="Use the Hydra job number",
            value=job_num,
        )
    return str(job_num)


def parse_run_path(relative: str | PurePath) -> RunLocation:
    """Parse a folder path relative to the output root back into a location.

    Args:
        relative: ``YYYY-MM-DD/HH-MM-SS[_n]`` with an optional ``/<job>`` part.

    Returns:
        The run location.

    Raises:
        RunPathParseError: The path is not one of ours (wrong shape, an
            impossible date or time, a padded job number).
    """
    parts = PurePath(relative).parts
    if len(parts) not in (2, 3):
        raise _not_ours(relative, "it has the wrong number of parts")
    date_name, time_name = parts[0], parts[1]
    time_match = _TIME_PATTERN.fullmatch(time_name)
    if not _DATE_PATTERN.fullmatch(date_name) or time_match is None:
        raise _not_ours(relative, "its date or time folder is not a timestamp")
    try:
        launched = datetime.strptime(
            f"{date_name} {time_match['time']}", f"{DATE_FORMAT} {TIME_FORMAT}"
        )
    except ValueError as exc:
        raise _not_ours(relative, "its date or time does not exist") from exc
    stamp = RunStamp(launched, clash=int(time_match["clash"] or 0))
    if len(parts) == 2:
        return RunLocation(stamp)
    if not JOB_PATTERN.fullmatch(parts[2]):
        raise _not_ours(relative, "its job folder is not a job number")
    return RunLocation(stamp, int(parts[2]))


def run_location(parts: Sequence[str]) -> RunLocation | None:
    """Where a folder is in the layout, if it is one of its runs, sweeps or jobs.

    The one test of "this folder is the new layout's" that compat, the
    migrator and the catalog share: legacy code asks it instead of knowing
    the layout's names.

    Args:
        parts: The folder's path below its output root, as parts.

    Returns:
        Its location for ``<date>/<time>[_n]`` and ``<date>/<time>[_n]/<job>``;
        ``None`` for any other folder.

    >>> run_location(("2025-10-18", "14-03-22_1", "2")).job_num, run_location(("exp1",))
    (2, None)
    """
    if len(parts) not in (2, 3) or not is_date_name(parts[0]):
        return None
    try:
        return parse_run_path(PurePosixPath(*parts))
    except RunPathParseError:
        return None


def in_layout_run(folder_parts: Sequence[str]) -> bool:
    """Whether a folder lies in a ``<date>/<time>[_n]`` folder of the layout, right below the top.

    Args:
        folder_parts: The folder's path below the top (an output root), as parts.

    Returns:
        ``True`` when its first two parts are one of the layout's run (or sweep) folders.

    >>> in_layout_run(("2025-10-18", "14-03-22", "checkpoints")), in_layout_run(("exp1", "x"))
    (True, False)
    """
    return run_location(folder_parts[:2]) is not None


def _not_ours(relative: str | PurePath, why: str) -> RunPathParseError:
    return RunPathParseError(
        f"not an ocr run folder: {str(relative)!r}: {why}, {_EXPECTED}",
        fix="Pass a run folder under the output root",
        value=str(relative),
    )


def is_date_name(name: str) -> bool:
    """Whether a folder name is one of the layout's date folders (``YYYY-MM-DD``).

    Args:
        name: A folder name at the top of an output root.

    Returns:
        ``True`` for a real calendar date spelled the layout's way.

    >>> is_date_name("2025-10-18"), is_date_name("2025-13-01"), is_date_name("exp1")
    (True, False, False)
    """
    if _DATE_PATTERN.fullmatch(name) is None:
        return False
    try:
        datetime.strptime(name, DATE_FORMAT)
    except ValueError:
        return False
    return True


def free_run_path(
    root: Path,
    launched: datetime,
    *,
    taken: Callable[[PurePosixPath], bool] = lambda _: False,
    first_clash: int = 0,
) -> PurePosixPath:
    """Choose, without creating anything, the run folder a launch at ``launched`` would get.

    For planning (the migrator): the first ``HH-MM-SS[_n]`` of that second that
    neither exists under ``root`` nor is ``taken`` by an earlier choice.
    :func:`allocate_launch_dir` is the creating counterpart for live launches.

    Args:
        root: The output root.
        launched: The launch time (local wall clock).
        taken: Says whether a relative path was already chosen for something else.
        first_clash: The first suffix worth trying (a planner choosing many
            folders of one second knows the ones before are taken).

    Returns:
        The run folder relative to ``root``, ``YYYY-MM-DD/HH-MM-SS[_n]``.

    Raises:
        LaunchDirAllocationError: Every suffix of that second is taken.
    """
    for clash in range(first_clash, _MAX_CLASHES):
        candidate = format_run_path(RunStamp(launched, clash))
        if not taken(candidate) and not os.path.lexists(root / candidate):
            return candidate
    raise _every_name_taken(root, launched)


def allocate_launch_dir(root: Path, *, now: datetime | None = None) -> Path:
    """Create a fresh, empty run or sweep folder for a launch happening now.

    The folder is claimed with an atomic ``mkdir``: when another launch took
    that second first, the next free ``_1``, ``_2``, ... suffix is used, so
    two launches never share a folder, across threads, processes and hosts.

    Args:
        root: The output root (absolute); created when missing.
        now: The launch time; defaults to the local wall clock.

    Returns:
        The new folder, ``<root>/YYYY-MM-DD/HH-MM-SS[_n]``.

    Raises:
        LaunchDirAllocationError: The root cannot be created or written.
    """
    launched = datetime.now() if now is None else now
    date_dir = root / RunStamp(launched).date_name
    try:
        date_dir.mkdir(parents=True, exist_ok=True)
        clash = 0
        while clash < _MAX_CLASHES:
            candidate = date_dir / RunStamp(launched, clash).time_name
            try:
                candidate.mkdir()
            except FileExistsError:
                clash += 1
                continue
            except FileNotFoundError:
                # Another process removed the date folder it had left empty
                # (ocr.layout._claims): make it again and retry the same name.
                date_dir.mkdir(parents=True, exist_ok=True)
                continue
            return candidate
    except OSError as exc:
        raise LaunchDirAllocationError(
            f"cannot create a run folder under {str(root)!r}: {os.strerror(exc.errno or errno.EIO)}",
            fix="Choose a writable output root (paths.output_root=...)",
            path=root,
        ) from exc
    raise _every_name_taken(root, launched)


def _every_name_taken(root: Path, launched: datetime) -> LaunchDirAllocationError:
    return LaunchDirAllocationError(
        f"every run folder name for {launched:%Y-%m-%d %H:%M:%S} under {str(root)!r} is taken",
        fix="Clean up the output root or choose another one",
        path=root,
    )
