"""Every launch has a record: registered when Hydra starts the job, finished when it ends.

A run that never reaches ``fit`` (``train=False``, a debug config without
callbacks, a crash while building objects) still gets its ``run.json``:
``completed`` without checkpoints, or ``failed`` with the error. A run that
trains is joined by ``ExperimentRecorder``, which keeps the record true while
it trains; whatever that callback has finished is final, so the job's end
changes only a record still ``running``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hydra.core.utils import JobStatus
from omegaconf import OmegaConf

from ocr.errors import OcrError
from ocr.layout import RootLayout, RunLayout
from ocr.registry import ExperimentRegistry, Status, read_record
from ocr.run_context import RunContext, job_log_file

if TYPE_CHECKING:
    from hydra.core.utils import JobReturn
    from omegaconf import DictConfig

__all__ = ["finish_job", "register_job", "task_name_of"]

_log = logging.getLogger(__name__)
_RANK_VARIABLES: Final = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")


def register_job(config: DictConfig) -> None:
    """Register the job Hydra is starting as ``running`` (global rank zero only).

    A registry problem is logged as an error and never stops the job.

    Args:
        config: The job's whole config (``hydra.runtime.output_dir`` set).
    """
    if not _is_global_rank_zero():
        return
    run_dir = Path(config.hydra.runtime.output_dir)
    found = RootLayout.of_run(run_dir)
    if found is None:
        _log.warning("ocr: %s is not an ocr run folder; this launch has no record", run_dir)
        return
    try:
        context = RunContext.capture(run_dir)
        ExperimentRegistry(found[0].root).start_run(
            run_dir,
            name=context.experiment.name,
            tags=_tags_of(config),
            overrides=context.config.overrides,
            config_hash=context.config.config_hash,
            task_name=task_name_of(config),
            log_file=job_log_file(run_dir),
        )
    except (OcrError, OSError) as exc:
        _log.error("ocr: the record of %s was not written: %s", run_dir, exc)


def finish_job(config: DictConfig, job_return: JobReturn) -> None:
    """Finish the record of a job Hydra ran: ``completed``, or ``failed`` with its error.

    Args:
        config: The job's whole config.
        job_return: What Hydra says of the job.
    """
    run_dir = Path(config.hydra.runtime.output_dir)
    found = RootLayout.of_run(run_dir)
    if not _is_global_rank_zero() or found is None or not RunLayout(run_dir).record_file.is_file():
        return
    try:
        if read_record(RunLayout(run_dir).record_file).status is not Status.RUNNING:
            return  # the ExperimentRecorder finished it; that is final
        registry = ExperimentRegistry(found[0].root)
        if job_return.status is JobStatus.FAILED:
            error = job_return._return_value
            registry.update_run(
                run_dir, status=Status.FAILED, error=f"{type(error).__name__}: {error}"
            )
        elif job_return.status is JobStatus.COMPLETED:
            registry.update_run(run_dir, status=Status.COMPLETED)
    except (OcrError, OSError) as exc:
        _log.error("ocr: the record of %s was not finished: %s", run_dir, exc)


def task_name_of(config: DictConfig) -> str | None:
    """The launch's task: ``ocr.task_name``, else ``task_name``, else Hydra's job name.

    Args:
        config: The job's whole config.

    Returns:
        The task name, or ``None`` when none is known.
    """
    for key in ("ocr.task_name", "task_name", "hydra.job.name"):
        value = OmegaConf.select(config, key, default=None)
        if value is not None and str(value):
            return str(value)
    return None


def _is_global_rank_zero() -> bool:
    # Lightning's DDP workers re-launch the script as Hydra jobs of their own
    # (and SLURM starts one per task); only rank zero keeps the record. The
    # variables are Lightning's own rank sources, read in its order, without
    # importing lightning into every Hydra job.
    for variable in _RANK_VARIABLES:
        if variable in os.environ:
            return os.environ[variable].strip() in ("", "0")
    return True


def _tags_of(config: DictConfig) -> list[str]:
    tags = OmegaConf.select(config, "ocr.tags", default=None)
    if tags is None or isinstance(tags, str):
        return [tags] if tags else []
    return [str(tag) for tag in tags]
