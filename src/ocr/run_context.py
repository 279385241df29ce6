"""What a running job knows about itself: its folder, name, recipe and machine.

Captured once when training starts and shared by the checkpoint sidecars and
the experiment record, so both say the same thing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import platform
import socket
import subprocess
from dataclasses import dataclass
from importlib import metadata as package_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Final

import yaml

from ocr.errors import CallbackConfigError, RecordInvalidError
from ocr.layout import (
    RootLayout,
    RunLayout,
    hydra_job_name,
    hydra_run_dir,
    launch_dir,
    resolve_user_path,
)
from ocr.metadata import ConfigInfo, EnvironmentInfo, ExperimentInfo
from ocr.recipe import hash_saved_config
from ocr.registry._record import ExperimentRecord, read_record

if TYPE_CHECKING:
    import lightning

    from ocr._typing import StrPath

__all__ = [
    "RunContext",
    "capture_environment",
    "job_log_file",
    "resolve_run_dir",
    "scalar_metrics",
]

_log = logging.getLogger(__name__)
_GIT_TIMEOUT_SECONDS: Final = 5.0


@dataclass(frozen=True)
class RunContext:
    """The identity of one run, captured at start.

    Args:
        layout: The run's layout.
        root: The output root (the run folder's parent when it is not ours).
        experiment: Name, folder relative to the root, sweep job number.
        config: Config hash, overrides and saved-config path.
        environment: Software versions, host, git commit.
        job_name: Hydra's job name (its log is ``<job_name>.log``), if any.
    """

    layout: RunLayout
    root: Path
    experiment: ExperimentInfo
    config: ConfigInfo
    environment: EnvironmentInfo
    job_name: str | None = None

    @classmethod
    def capture(cls, run_dir: Path, *, name: str | None = None) -> RunContext:
        """Read a run folder (and Hydra's saved config, when present).

        Args:
            run_dir: The run folder.
            name: The experiment name; defaults to Hydra's job name, if any.

        Returns:
            The context.
        """
        layout = RunLayout(run_dir)
        found = RootLayout.of_run(run_dir)
        root = found[0].root if found else run_dir.parent
        record = _registered(layout)
        experiment = ExperimentInfo(
            id=record.id if record else None,
            name=name or (record.name if record else None) or hydra_job_name(),
            run_dir=run_dir.relative_to(root).as_posix(),
            sweep_id=record.sweep_id if record else None,
            job_num=found[1].job_num if found else None,
        )
        return cls(
            layout,
            root,
            experiment,
            _config_info(layout),
            capture_environment(),
            job_name=hydra_job_name(),
        )


def _registered(layout: RunLayout) -> ExperimentRecord | None:
    # The experiment record exists once the run registered (the recorder
    # callback or the ${ocr_experiment_id:} resolver); before, IDs are unknown.
    if not layout.record_file.is_file():
        return None
    try:
        return read_record(layout.record_file)
    except (RecordInvalidError, OSError) as exc:
        _log.warning("ignoring the unreadable experiment record: %s", exc)
        return None


def _config_info(layout: RunLayout) -> ConfigInfo:
    if not layout.config_file.is_file():
        return ConfigInfo()
    overrides: list[str] = []
    if layout.overrides_file.is_file():
        loaded = yaml.safe_load(layout.overrides_file.read_text(encoding="utf-8"))
        overrides = [str(item) for item in loaded or []]
    return ConfigInfo(
        config_hash=hash_saved_config(layout.config_file),
        overrides=overrides,
        config_path=layout.config_file.relative_to(layout.run_dir).as_posix(),
    )


@functools.cache
def capture_environment() -> EnvironmentInfo:
    """Describe the software and machine this process runs on (once per process).

    Both callbacks capture the run's context at setup; caching keeps that to
    one ``git`` call and one set of version look-ups.

    Returns:
        Python, torch, lightning and ocr versions, the host and the git commit
        of the launch directory (each ``None`` when not known).
    """
    return EnvironmentInfo(
        python=platform.python_version(),
        torch=_version_of("torch"),
        lightning=_version_of("lightning"),
        ocr=_version_of("ocr"),
        host=socket.gethostname(),
        git_commit=_git_commit(launch_dir()),
    )


def resolve_run_dir(run_dir: StrPath | None, *, user: str) -> Path:
    """The run folder a component works in: the one given, or the Hydra job's.

    Args:
        run_dir: The folder the caller passed, if any.
        user: The component asking, for the error message.

    Returns:
        The absolute run folder.

    Raises:
        CallbackConfigError: None was given and no Hydra job runs.
    """
    if run_dir is not None:
        return resolve_user_path(run_dir)
    found = hydra_run_dir()
    if found is None:
        raise CallbackConfigError(
            f"{user} has no run folder: run_dir was not given and no Hydra job is running",
            fix="Pass run_dir=... or create the callback inside a Hydra job",
        )
    return found


def job_log_file(run_dir: Path) -> str | None:
    """The log file this process writes, as Hydra's job logging really set it up.

    Hydra's ``job_logging`` names the file (``<job name>.log`` by default, a
    project's ``<task_name>.log``, or none at all); the file handler on the
    root logger is what was actually opened.

    Args:
        run_dir: The run folder.

    Returns:
        The file relative to ``run_dir`` (the first file handler inside it),
        else the first file's absolute path; ``None`` when nothing logs to a file.
    """
    files = [
        Path(handler.baseFilename)
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.FileHandler)
    ]
    inside = [path for path in files if RunLayout(run_dir).holds(path)]
    if inside:
        return inside[0].resolve().relative_to(run_dir.resolve()).as_posix()
    return str(files[0]) if files else None


def scalar_metrics(trainer: lightning.Trainer) -> dict[str, float]:
    """The scalar metrics Lightning holds right now, as floats.

    Args:
        trainer: The trainer.

    Returns:
        Metric name -> value, leaving out non-scalar tensors.
    """
    scalars: dict[str, float] = {}
    for name, value in trainer.callback_metrics.items():
        if value.numel() == 1:
            scalars[name] = float(value)
    return scalars


def _version_of(package: str) -> str | None:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return None


def _git_commit(folder: Path) -> str | None:
    # Not every run starts in a git checkout, and git may be missing; either
    # way the commit is simply not known.
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 (git from PATH, as a user runs it)
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
        if done.returncode == 0:
            return done.stdout.strip() or None
    _log.debug("no git commit known for %s", folder)
    return None
