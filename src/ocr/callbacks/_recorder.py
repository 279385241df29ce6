"""ExperimentRecorder: keeps a run's experiment record true while it trains."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException

from ocr.errors import OcrError

if TYPE_CHECKING:
    from collections.abc import Iterable

    import lightning

    from ocr._typing import StrPath
    from ocr.registry import ExperimentRegistry, Status

# The registry and the run context (Pydantic, YAML, OmegaConf) load when a
# recorder is made or used, not when ocr.callbacks is imported.

__all__ = ["ExperimentRecorder"]

_log = logging.getLogger(__name__)
DEFAULT_HEARTBEAT_SECONDS: Final = 30.0


class ExperimentRecorder(Callback):
    """Registers the run and keeps its record true (global rank zero only).

    ``running`` from setup with a heartbeat every ``heartbeat_seconds`` (a
    record ocr's Hydra launch callback made when the job started is joined);
    the latest metrics after each validation; the best checkpoint and its
    score right after every checkpoint ``UniqueModelCheckpoint`` saves, and
    again when the fit ends or stops; ``completed`` at the end of a fit,
    ``failed`` with the error text on an exception, ``interrupted`` on Ctrl-C
    or SIGTERM. A registry problem is logged as an error and never stops
    training.

    Args:
        run_dir: The run folder; defaults to the current Hydra job's folder.
        name: The experiment name; defaults to Hydra's job name.
        tags: Tags for the record.
        heartbeat_seconds: How often the record's heartbeat is refreshed.

    Raises:
        CallbackConfigError: No run folder is known.
    """

    def __init__(
        self,
        *,
        run_dir: StrPath | None = None,
        name: str | None = None,
        tags: Iterable[str] = (),
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    ) -> None:
        from ocr.run_context import resolve_run_dir  # noqa: PLC0415 (see the imports)

        self.run_dir = resolve_run_dir(run_dir, user=type(self).__name__)
        self._name = name
        self._tags = list(tags)
        self._heartbeat_seconds = heartbeat_seconds
        self._registry: ExperimentRegistry | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._recorded_best: str | None = None
        self.experiment_id: str | None = None
        """The run's ID once registered."""

    def setup(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str
    ) -> None:
        """Register the run (or join its record) and start the heartbeat, for a fit."""
        if trainer.is_global_zero and stage == TrainerFn.FITTING:
            self._start()

    def on_validation_end(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule
    ) -> None:
        """Record the best checkpoint and the metrics so far."""
        fitting = trainer.state.fn == TrainerFn.FITTING
        if trainer.is_global_zero and fitting and not trainer.sanity_checking:
            self._update(**self._progress(trainer))

    def checkpoint_saved(self, trainer: lightning.Trainer) -> None:
        """Record the best checkpoint when a checkpoint callback just changed it.

        ``UniqueModelCheckpoint`` calls this after every save, on global rank
        zero: checkpoint callbacks run after every other callback, so without it
        the record would lag one validation behind the checkpoints.

        Args:
            trainer: The trainer.
        """
        progress = self._progress(trainer)
        best = progress.get("best_checkpoint")
        if best is not None and best != self._recorded_best:
            self._update(**progress)

    def on_fit_end(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule) -> None:
        """Mark the run completed."""
        from ocr.registry import Status  # noqa: PLC0415 (see the imports)

        if trainer.is_global_zero:
            self._finish(Status.COMPLETED, **self._progress(trainer))

    def on_exception(
        self,
        trainer: lightning.Trainer,
        pl_module: lightning.LightningModule,
        exception: BaseException,
    ) -> None:
        """Mark the run interrupted (Ctrl-C, SIGTERM) or failed (anything else)."""
        from ocr.registry import Status  # noqa: PLC0415 (see the imports)

        # The record follows the fit; a later validate or predict call is not the run.
        if not trainer.is_global_zero or trainer.state.fn != TrainerFn.FITTING:
            return
        if self._registry is None:
            self._start()
        progress = self._progress(trainer)
        if isinstance(exception, KeyboardInterrupt | SIGTERMException):
            self._finish(
                Status.INTERRUPTED,
                error=f"{type(exception).__name__}: stopped by a signal",
                **progress,
            )
        else:
            self._finish(
                Status.FAILED, error=f"{type(exception).__name__}: {exception}", **progress
            )

    def teardown(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str
    ) -> None:
        """Stop the heartbeat."""
        self._stop_heartbeat()

    def _start(self) -> None:
        from ocr.registry import ExperimentRegistry  # noqa: PLC0415 (see the imports)
        from ocr.run_context import RunContext, job_log_file  # noqa: PLC0415

        context = RunContext.capture(self.run_dir, name=self._name)
        self._registry = ExperimentRegistry(context.root)
        record = self._guard(
            self._registry.start_run,
            self.run_dir,
            name=context.experiment.name,
            tags=self._tags,
            overrides=context.config.overrides,
            config_hash=context.config.config_hash,
            task_name=context.job_name,
            log_file=job_log_file(self.run_dir),
        )
        if record is None:
            return
        self.experiment_id = record.id
        # The record may come from ocr's launch callback or the
        # ${ocr_experiment_id:} resolver, which know nothing of this
        # callback's name and tags; fill them in.
        self._update(
            name=context.experiment.name,
            tags=sorted({*record.tags, *self._tags}),
            overrides=context.config.overrides,
            config_hash=context.config.config_hash,
            log_file=job_log_file(self.run_dir),
            artifact_dir=_relative(context.layout.artifact_dir, self.run_dir),
            task_name=record.task_name or context.job_name,
        )
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._beat, name="ocr-heartbeat", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat_seconds):
            self._update()

    def _stop_heartbeat(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None

    def _progress(self, trainer: lightning.Trainer) -> dict[str, Any]:
        from ocr.run_context import scalar_metrics  # noqa: PLC0415 (see the imports)

        metrics = scalar_metrics(trainer)
        progress: dict[str, Any] = {"metrics": metrics}
        checkpoint = trainer.checkpoint_callback
        if isinstance(checkpoint, ModelCheckpoint) and checkpoint.best_model_path:
            progress["best_checkpoint"] = _relative(Path(checkpoint.best_model_path), self.run_dir)
            score = checkpoint.best_model_score
            best = (
                {checkpoint.monitor: float(score)}
                if checkpoint.monitor and score is not None
                else {}
            )
            progress["best_metrics"] = best
        return progress

    def _update(self, **changes: Any) -> None:
        if self._registry is not None:
            updated = self._guard(self._registry.update_run, self.run_dir, **changes)
            if updated is not None:
                self._recorded_best = updated.best_checkpoint

    def _finish(self, status: Status, **changes: Any) -> None:
        self._stop_heartbeat()
        self._update(status=status, **changes)

    def _guard(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except (OcrError, OSError) as exc:
            # The record is bookkeeping; losing an update must not stop training.
            _log.error("experiment record of %s not updated: %s", self.run_dir, exc)
            return None


def _relative(path: Path, run_dir: Path) -> str:
    try:
        return path.resolve().relative_to(run_dir).as_posix()
    except ValueError:
        return str(path)
