"""UniqueModelCheckpoint: checkpoints that land in the run folder, each with its sidecar.

>>> from pathlib import Path
>>> callback = UniqueModelCheckpoint(run_dir=Path("/tmp/outputs/2025-10-18/14-03-22"))
>>> callback.dirpath
'/tmp/outputs/2025-10-18/14-03-22/checkpoints'
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_info

from ocr.callbacks._resume import translated_checkpoint_state
from ocr.errors import CallbackConfigError, OcrError
from ocr.identity import describe_model
from ocr.layout import RunLayout
from ocr.metadata import (
    CheckpointInfo,
    CheckpointMetadata,
    ModelInfo,
    Provenance,
    TrainingInfo,
    write_metadata,
)
from ocr.naming import checkpoint_filename_template, sidecar_path
from ocr.run_context import RunContext, resolve_run_dir, scalar_metrics

if TYPE_CHECKING:
    import lightning

    from ocr._typing import StrPath

__all__ = ["UniqueModelCheckpoint"]

_log = logging.getLogger(__name__)


class UniqueModelCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` that saves into the run folder and writes a sidecar per checkpoint.

    Checkpoints go to ``<run_dir>/checkpoints/`` as
    ``epoch=03-step=000120-val_hmean=0.8123.ckpt`` plus ``last.ckpt``; each
    gets ``<name>.meta.json`` (written by global rank zero only, right after
    the checkpoint, on a background thread so saving is not slowed). When
    top-k rotation removes a checkpoint its sidecar goes too. A sidecar that
    cannot be written is logged as an error and listed in
    :attr:`sidecar_failures`; training and the checkpoint are unaffected.

    Args:
        run_dir: The run folder; defaults to the current Hydra job's folder.
        monitor: The metric that ranks checkpoints, or ``None`` for "latest".
        mode: Whether a higher (``max``) or lower (``min``) value is better.
        save_top_k: How many ranked checkpoints to keep (``-1``: all).
        save_last: Whether to keep ``last.ckpt`` too.
        experiment_name: The experiment name for the sidecars; defaults to
            Hydra's job name.
        **kwargs: Any other ``ModelCheckpoint`` option except ``dirpath``,
            ``filename`` and ``auto_insert_metric_name``, which are ours.

    Raises:
        CallbackConfigError: No run folder is known, or an option
            conflicts with the layout.
    """

    def __init__(
        self,
        *,
        run_dir: StrPath | None = None,
        monitor: str | None = "val/hmean",
        mode: Literal["min", "max"] = "max",
        save_top_k: int = 3,
        save_last: bool = True,
        experiment_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        layout = RunLayout(resolve_run_dir(run_dir, user=type(self).__name__))
        _refuse_layout_options(kwargs, save_last)
        super().__init__(
            dirpath=layout.checkpoint_dir,
            filename=checkpoint_filename_template(monitor),
            monitor=monitor,
            mode=mode,
            save_top_k=save_top_k,
            save_last=save_last,
            auto_insert_metric_name=False,
            **kwargs,
        )
        self._layout = layout
        self._experiment_name = experiment_name
        self._context: RunContext | None = None
        self._model: ModelInfo | None = None
        self._written: dict[Path, CheckpointMetadata] = {}
        self._best: Path | None = None
        self._writer = _SidecarWriter()
        self.sidecar_failures: list[str] = []
        """One line per sidecar that could not be written or removed."""

    @property
    def run_layout(self) -> RunLayout:
        """The layout of the run folder this callback saves into."""
        return self._layout

    def setup(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str
    ) -> None:
        """Capture the run's identity once, on global rank zero."""
        super().setup(trainer, pl_module, stage)
        if trainer.is_global_zero:
            self._capture(pl_module)

    def _capture(self, pl_module: lightning.LightningModule) -> tuple[RunContext, ModelInfo]:
        if self._context is None or self._model is None:
            self._context = RunContext.capture(self._layout.run_dir, name=self._experiment_name)
            self._model = describe_model(pl_module)
        return self._context, self._model

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint: the same as ``ModelCheckpoint``'s.

        A run saved with a plain ``ModelCheckpoint`` (every legacy run) resumes
        with this callback and keeps its top-k state, and the other way round.
        """
        own = super().state_key  # "UniqueModelCheckpoint{...options...}"
        return ModelCheckpoint.__qualname__ + own.removeprefix(type(self).__qualname__)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the top-k state, also from a checkpoint whose folder was migrated here."""
        assert self.dirpath is not None  # always the layout's checkpoint folder
        translated = translated_checkpoint_state(state_dict, self._layout.run_dir, self.dirpath)
        super().load_state_dict(translated)

    def _save_checkpoint(self, trainer: lightning.Trainer, filepath: str) -> None:
        super()._save_checkpoint(trainer, filepath)
        if trainer.is_global_zero:
            self._record_saved(trainer, filepath)

    def _remove_checkpoint(self, trainer: lightning.Trainer, filepath: str) -> None:
        super()._remove_checkpoint(trainer, filepath)
        if trainer.is_global_zero:
            self._written.pop(Path(filepath), None)
            self._writer.remove(sidecar_path(Path(filepath)), self.sidecar_failures)

    def on_train_end(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule
    ) -> None:
        """Wait for pending sidecars, so a finished fit has all of them on disk."""
        self._writer.drain()

    def on_exception(
        self,
        trainer: lightning.Trainer,
        pl_module: lightning.LightningModule,
        exception: BaseException,
    ) -> None:
        """Flush pending sidecars before the error propagates."""
        self._writer.drain()

    def teardown(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str
    ) -> None:
        """Flush pending sidecars and stop the writer thread."""
        self._writer.close()
        if self.sidecar_failures:
            rank_zero_info(f"{len(self.sidecar_failures)} checkpoint sidecar(s) failed, see errors")

    def _record_saved(self, trainer: lightning.Trainer, filepath: str) -> None:
        # Lightning sets last_model_path/best_model_path before saving the file.
        is_last = filepath == self.last_model_path
        is_best = not is_last and self.monitor is not None and filepath == self.best_model_path
        checkpoint = Path(filepath)
        metadata = self._describe(trainer, checkpoint, is_best=is_best, is_last=is_last)
        self._written[checkpoint] = metadata
        self._writer.write(checkpoint, metadata, self.sidecar_failures)
        if is_best:
            self._demote_previous_best(checkpoint)

    def _demote_previous_best(self, new_best: Path) -> None:
        previous, self._best = self._best, new_best
        if previous is None or previous == new_best or previous not in self._written:
            return
        old = self._written[previous]
        demoted = old.model_copy(
            update={"training": old.training.model_copy(update={"is_best": False})}
        )
        self._written[previous] = demoted
        self._writer.write(previous, demoted, self.sidecar_failures)

    def _describe(
        self, trainer: lightning.Trainer, checkpoint: Path, *, is_best: bool, is_last: bool
    ) -> CheckpointMetadata:
        context, model = self._capture(trainer.lightning_module)
        stat = checkpoint.stat()
        metrics = scalar_metrics(trainer)
        return CheckpointMetadata(
            checkpoint=CheckpointInfo(
                file_name=checkpoint.name,
                size_bytes=stat.st_size,
                modified_ns=stat.st_mtime_ns,
                created_at=datetime.now().astimezone(),
            ),
            experiment=context.experiment,
            model=model,
            training=TrainingInfo(
                epoch=trainer.current_epoch,
                global_step=trainer.global_step,
                monitor=self.monitor,
                mode=self.mode if self.monitor else None,
                score=metrics.get(self.monitor) if self.monitor else None,
                metrics=metrics,
                is_best=is_best,
                is_last=is_last,
            ),
            config=context.config,
            environment=context.environment,
            provenance=Provenance(source="trained"),
        )


def _refuse_layout_options(kwargs: dict[str, Any], save_last: object) -> None:
    taken = sorted({"dirpath", "filename", "auto_insert_metric_name"} & kwargs.keys())
    if taken:
        raise CallbackConfigError(
            f"UniqueModelCheckpoint sets {', '.join(taken)} itself from the run layout",
            fix="Remove those options",
            value=taken,
        )
    if not isinstance(save_last, bool):
        raise CallbackConfigError(
            f"save_last must be True or False, got {save_last!r} (links have no sidecar)",
            fix="Use save_last=True",
            value=save_last,
        )


class _SidecarWriter:
    """Writes and removes sidecars in order on one background thread.

    One worker keeps operations on a file in the order they were asked for
    (a rotation's removal never overtakes the write it follows).
    """

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def write(self, checkpoint: Path, metadata: CheckpointMetadata, failures: list[str]) -> None:
        self._submit(_write_sidecar, checkpoint, metadata, failures)

    def remove(self, sidecar: Path, failures: list[str]) -> None:
        self._submit(_remove_sidecar, sidecar, failures)

    def drain(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        self.drain()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _submit(self, task: Any, *args: Any) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-sidecar")
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._executor.submit(task, *args))


def _write_sidecar(checkpoint: Path, metadata: CheckpointMetadata, failures: list[str]) -> None:
    try:
        written = write_metadata(checkpoint, metadata)
    except (OSError, OcrError) as exc:
        # Losing a sidecar must not cost the checkpoint or the training run;
        # it is shouted about and recorded instead.
        message = f"could not write the sidecar of {str(checkpoint)!r}: {exc}"
        _log.error(message)
        failures.append(message)
        return
    _log.debug("wrote sidecar %s at step %d", written.name, metadata.training.global_step)


def _remove_sidecar(sidecar: Path, failures: list[str]) -> None:
    try:
        sidecar.unlink(missing_ok=True)
    except OSError as exc:
        message = f"could not remove the sidecar {str(sidecar)!r}: {exc}"
        _log.error(message)
        failures.append(message)
