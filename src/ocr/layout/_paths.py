"""Paths inside a run, a sweep and an output root, and telling them apart."""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr.errors import InputPathError, MigrationMappingInvalidError, RunPathParseError
from ocr.layout._migration import MIGRATION_ID_PATTERN, MigrationLayout
from ocr.layout._names import JOB_PATTERN, RunLocation, format_job_name, parse_run_path
from ocr.layout._user_path import resolve_user_path

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "LOCK_SUFFIX",
    "FolderKind",
    "RootLayout",
    "RunLayout",
    "SweepLayout",
    "classify_folder",
    "subdirs",
]

LOCK_SUFFIX: Final = ".lock"
"""The ending of every lock file ocr keeps."""
_MIGRATION_ID: Final = re.compile(MIGRATION_ID_PATTERN)


@dataclass(frozen=True)
class RunLayout:
    """Every path inside one run folder.

    Args:
        run_dir: The run folder (a single run, or one job of a sweep).
    """

    run_dir: Path

    @property
    def hydra_dir(self) -> Path:
        """Hydra's saved configs: ``.hydra/``."""
        return self.run_dir / ".hydra"

    @property
    def config_file(self) -> Path:
        """The resolved job config Hydra saved."""
        return self.hydra_dir / "config.yaml"

    @property
    def hydra_file(self) -> Path:
        """Hydra's own config for the launch."""
        return self.hydra_dir / "hydra.yaml"

    @property
    def overrides_file(self) -> Path:
        """The command-line overrides of the launch."""
        return self.hydra_dir / "overrides.yaml"

    @property
    def record_file(self) -> Path:
        """The run's experiment record."""
        return self.run_dir / "run.json"

    @property
    def checkpoint_dir(self) -> Path:
        """Where checkpoints and their sidecars go."""
        return self.run_dir / "checkpoints"

    @property
    def log_dir(self) -> Path:
        """Where metric loggers write."""
        return self.run_dir / "logs"

    @property
    def metrics_file(self) -> Path:
        """The metric history: Lightning's ``CSVLogger`` writing into ``logs/`` (``ocr.train``'s)."""
        return self.log_dir / "metrics.csv"

    @property
    def artifact_dir(self) -> Path:
        """Where predictions, plots and other outputs go."""
        return self.run_dir / "artifacts"

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is the run folder or inside it (``~`` and links resolved).

        Args:
            path: Any path.

        Returns:
            ``True`` when it lies in this run.
        """
        resolved, run = resolve_user_path(path), self.run_dir.resolve()
        return resolved == run or run in resolved.parents

    def log_file(self, task_name: str) -> Path:
        """The text log of a task (Hydra's job log).

        Args:
            task_name: The Hydra job name, e.g. ``train``.

        Returns:
            ``<run_dir>/<task_name>.log``.
        """
        return self.run_dir / f"{task_name}.log"


@dataclass(frozen=True)
class SweepLayout:
    """Every path inside one sweep folder.

    Args:
        sweep_dir: The sweep folder.
    """

    sweep_dir: Path

    @property
    def multirun_file(self) -> Path:
        """Hydra's record of the sweep."""
        return self.sweep_dir / "multirun.yaml"

    @property
    def record_file(self) -> Path:
        """The sweep's record."""
        return self.sweep_dir / "sweep.json"

    def job_dir(self, job_num: int) -> Path:
        """The folder of one job (Hydra's ``hydra.sweep.subdir`` is the job number).

        Args:
            job_num: The Hydra job number.

        Returns:
            ``<sweep_dir>/<job_num>``.
        """
        return self.sweep_dir / format_job_name(job_num)

    def job_dirs(self) -> Iterator[Path]:
        """The job folders that exist, in job-number order."""
        jobs = (p for p in subdirs(self.sweep_dir) if JOB_PATTERN.fullmatch(p.name))
        yield from sorted(jobs, key=lambda p: int(p.name))


@dataclass(frozen=True)
class RootLayout:
    """Paths at the top of an output root.

    Args:
        root: The output root.
    """

    root: Path

    @classmethod
    def existing(cls, root: str | os.PathLike[str]) -> RootLayout:
        """The layout of a root that must already exist (as a user typed it).

        Args:
            root: The output root; ``~`` and links are resolved.

        Returns:
            Its layout, with the absolute, resolved root.

        Raises:
            InputPathError: It does not exist or is not a folder.
        """
        path = resolve_user_path(root)
        if not path.is_dir():
            raise InputPathError(
                f"output root {str(root)!r} is not a folder ({str(path)!r})",
                fix="Pass the folder that holds your runs (default: ./outputs)",
                path=path,
            )
        return cls(path)

    @property
    def state_dir(self) -> Path:
        """The folder of ocr's own state: registry index, catalog index, migrations."""
        return self.root / ".ocr"

    @property
    def registry_index_file(self) -> Path:
        """The registry's index, a rebuildable cache over the run records."""
        return self.state_dir / "registry.json"

    @property
    def catalog_index_file(self) -> Path:
        """The catalog's incremental index, a deletable cache."""
        return self.state_dir / "catalog.index"

    @property
    def state_origin_file(self) -> Path:
        """Written by a migration that makes the state folder: the root's mtime before it."""
        return self.state_dir / "made-by-migrate.json"

    @property
    def lock_dir(self) -> Path:
        """Where the locks of run and sweep records live (never in the run folders)."""
        return self.state_dir / "locks"

    def lock_file_of(self, record_file: Path) -> Path:
        """The lock file guarding a run's or sweep's record.

        Args:
            record_file: A ``run.json`` or ``sweep.json`` under the root.

        Returns:
            ``<root>/.ocr/locks/<its path relative to the root>.lock``.

        Raises:
            RunPathParseError: The record is not under the root.
        """
        relative = self._relative(record_file, "record")
        return self.lock_dir / relative.with_name(relative.name + LOCK_SUFFIX)

    @property
    def ablation_index_file(self) -> Path:
        """The ablation's index of what each run's files held, a deletable cache."""
        return self.state_dir / "ablation.index"

    @property
    def weights_cache_file(self) -> Path:
        """The catalog's cache of what state-dict shapes said (``--read-weights``)."""
        return self.state_dir / "weights.json"

    @property
    def migrate_lock_file(self) -> Path:
        """Held by the one process applying or rolling back a migration of this root."""
        return self.state_dir / f"migrate{LOCK_SUFFIX}"

    @property
    def migrations_dir(self) -> Path:
        """The folder holding one folder per migration."""
        return self.state_dir / "migrations"

    def migration(self, migration_id: str) -> MigrationLayout:
        """The layout of one migration's folder (whether or not it exists).

        Args:
            migration_id: The migration's ID, a plain folder name.

        Returns:
            Its layout: ``<root>/.ocr/migrations/<migration_id>/...``.

        Raises:
            MigrationMappingInvalidError: The ID is not a plain folder name.
        """
        if _MIGRATION_ID.fullmatch(migration_id) is None:
            raise MigrationMappingInvalidError(
                f"migration ID {migration_id!r} is not a plain folder name",
                fix="Use letters, digits, '.', '_' and '-', starting with a letter or digit",
                value=migration_id,
            )
        return MigrationLayout(self.migrations_dir / migration_id)

    def migrations(self) -> list[MigrationLayout]:
        """Every migration's folder that exists, in path order.

        Returns:
            Their layouts (none when there is no migrations folder), links left
            out: ocr never follows one out of the root.
        """
        try:
            with os.scandir(self.migrations_dir) as listing:
                found = [Path(e.path) for e in listing if e.is_dir(follow_symlinks=False)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [MigrationLayout(folder) for folder in sorted(found)]

    def run_dirs(self) -> Iterator[Path]:
        """Every run folder and sweep-job folder under the root, in path order.

        Only folders whose names are ours are walked (``YYYY-MM-DD/HH-MM-SS[_n]``
        and numbered jobs inside a sweep), so a large legacy tree beside them
        costs nothing.

        Yields:
            Run folders (a sweep folder itself is not a run; its jobs are).
        """
        for date_dir in subdirs(self.root):
            for launch_dir in subdirs(date_dir):
                try:
                    self.location_of(launch_dir)
                except RunPathParseError:
                    continue
                if _is_sweep(launch_dir):
                    yield from SweepLayout(launch_dir).job_dirs()
                else:
                    yield launch_dir

    @classmethod
    def of_run(cls, run_dir: Path) -> tuple[RootLayout, RunLocation] | None:
        """Find the output root of a run or sweep-job folder from its shape.

        Args:
            run_dir: A run folder (``<root>/<date>/<time>``) or job folder
                (``<root>/<date>/<time>/<job>``).

        Returns:
            The root and the run's location, or ``None`` when the folder is not
            one of ours.
        """
        for depth in (1, 2):
            if len(run_dir.parents) <= depth:
                break
            root = cls(run_dir.parents[depth])
            try:
                return root, root.location_of(run_dir)
            except RunPathParseError:
                continue
        return None

    def location_of(self, folder: Path) -> RunLocation:
        """Parse a run, sweep or job folder under this root.

        Args:
            folder: A folder inside the root.

        Returns:
            Its location.

        Raises:
            RunPathParseError: The folder is not under the root or not one of ours.
        """
        return parse_run_path(self._relative(folder, "folder"))

    def _relative(self, path: Path, what: str) -> Path:
        try:
            return path.relative_to(self.root)
        except ValueError as exc:
            raise RunPathParseError(
                f"{str(path)!r} is not under the output root {str(self.root)!r}",
                fix=f"Pass a {what} inside the output root",
                path=path,
            ) from exc


class FolderKind(enum.Enum):
    """What a folder under the output root is."""

    RUN = "run"
    SWEEP = "sweep"
    SWEEP_JOB = "sweep_job"


def classify_folder(folder: Path, *, root: Path) -> FolderKind | None:
    """Tell a run folder from a sweep folder from a sweep job from anything else.

    A launch folder is a sweep when Hydra wrote ``multirun.yaml`` or ocr wrote
    ``sweep.json`` into it; otherwise it is a run. Names are checked first, so
    a folder that merely contains those files is not taken for one of ours.

    Args:
        folder: The folder to classify.
        root: The output root it sits under.

    Returns:
        Its kind, or ``None`` when it is not one of ours.
    """
    try:
        location = RootLayout(root).location_of(folder)
    except RunPathParseError:
        return None
    if location.job_num is not None:
        return FolderKind.SWEEP_JOB if _is_sweep(folder.parent) else None
    return FolderKind.SWEEP if _is_sweep(folder) else FolderKind.RUN


def subdirs(folder: Path) -> list[Path]:
    """The sub-folders of a folder (links not followed), in path order; none when unreadable."""
    try:
        entries = list(os.scandir(folder))
    except OSError:  # gone, not a folder, or unreadable: nothing of ours to find there
        return []
    return sorted(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))


def _is_sweep(folder: Path) -> bool:
    sweep = SweepLayout(folder)
    try:
        return sweep.multirun_file.is_file() or sweep.record_file.is_file()
    except OSError:  # an unreadable folder: taken for a run, whose record cannot be read
        return False
