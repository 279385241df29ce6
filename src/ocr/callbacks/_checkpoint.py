"""UniqueModelCheckpoint: checkpoints that land in the run folder, each with its sidecar.

>>> from pathlib import Path
>>> callback = UniqueModelCheckpoint(run_dir=Path("/tmp/outputs/2025-10-18/14-03-22"))
>>> callback.dirpath
'/tmp/outputs/2025-10-18/14-03-22/checkpoints'
>>> UniqueModelCheckpoint(
...     run_dir=Path("/tmp/outputs/2025-10-18/14-03-22"), monitor="val/acc", name_format="underscore"
... ).filename
'epoch_{epoch:02d}-step_{step:06d}-val_acc_{val/acc:.4f}'
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_info

from ocr.callbacks._recorder import ExperimentRecorder
from ocr.callbacks._resume import translated_checkpoint_state
from ocr.callbacks._sidecars import SidecarWriter
from ocr.errors import CallbackConfigError
from ocr.layout import RunLayout
from ocr.naming import NAME_STYLES, NameStyle, checkpoint_filename_template, sidecar_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    import lightning

    from ocr._typing import StrPath
    from ocr.metadata import CheckpointMetadata, ModelInfo
    from ocr.run_context import RunContext

# The metadata models and the run context (Pydantic, YAML, OmegaConf) load when
# a callback is made, not when ocr.callbacks is imported: every script that
# imports Lightning and ocr pays the import, most never build the callback.

__all__ = ["UniqueModelCheckpoint"]


class UniqueModelCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` that saves into the run folder and writes a sidecar per checkpoint.

    Checkpoints go to ``<run_dir>/checkpoints/`` as
    ``epoch=03-step=000120-val_hmean=0.8123.ckpt`` (or, with
    ``name_format="underscore"``, ``epoch_03-step_000120-val_hmean_0.8123.ckpt``)
    plus ``last.ckpt``; each gets ``<name>.meta.json`` (written by global rank
    zero only, right after the checkpoint, on a background thread so saving is
    not slowed). When top-k rotation removes a checkpoint its sidecar goes too.
    A sidecar that cannot be written is logged as an error and listed in
    :attr:`sidecar_failures`; training and the checkpoint are unaffected.

    The layout owns ``dirpath``, ``filename`` and ``auto_insert_metric_name``:
    a config entry that carries them (a project's ``ModelCheckpoint`` entry
    pointed at this class) may keep them at null, a ``dirpath`` inside the run
    folder and any ``filename`` are ignored with one log line, and a ``dirpath``
    outside the run folder is refused.

    Args:
        run_dir: The run folder; defaults to the current Hydra job's folder.
        monitor: The metric that ranks checkpoints, or ``None`` for "latest".
        mode: Whether a higher (``max``) or lower (``min``) value is better.
        save_top_k: How many ranked checkpoints to keep (``-1``: all).
        save_last: Whether to keep ``last.ckpt`` too (``None``: no).
        experiment_name: The experiment name for the sidecars; defaults to
            Hydra's job name.
        name_format: ``equals`` or ``underscore`` (see :mod:`ocr.naming`).
        identity: The model's identity as the project declares it
            (``architecture``, ``encoder``, ``decoder``, ``head``; see
            :mod:`ocr.identity`); what it leaves out is read from the module.
        **kwargs: Any other ``ModelCheckpoint`` option.

    Raises:
        CallbackConfigError: No run folder is known, or an option conflicts
            with the layout (a ``dirpath`` outside the run folder, a
            ``save_last`` link, an unknown name format or identity field).
    """

    def __init__(
        self,
        *,
        run_dir: StrPath | None = None,
        monitor: str | None = "val/hmean",
        mode: Literal["min", "max"] = "max",
        save_top_k: int = 3,
        save_last: bool | None = True,
        experiment_name: str | None = None,
        name_format: NameStyle = "equals",
        identity: Mapping[str, str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        from ocr.identity import check_declared_identity  # noqa: PLC0415 (see the imports)
        from ocr.run_context import resolve_run_dir  # noqa: PLC0415

        layout = RunLayout(resolve_run_dir(run_dir, user=type(self).__name__))
        _check_layout_options(kwargs, layout, save_last, name_format)
        super().__init__(
            dirpath=layout.checkpoint_dir,
            filename=checkpoint_filename_template(monitor, style=name_format),
            monitor=monitor,
            mode=mode,
            save_top_k=save_top_k,
            save_last=bool(save_last),
            auto_insert_metric_name=False,
            **kwargs,
        )
        self._layout = layout
        self._experiment_name = experiment_name
        self._identity = check_declared_identity(identity)
        self._context: RunContext | None = None
        self._model: ModelInfo | None = None
        self._written: dict[Path, CheckpointMetadata] = {}
        self._best: Path | None = None
        self._writer = SidecarWriter()
        self.sidecar_failures: list[str] = []
        """One line per sidecar that could not be written or removed."""

    @property
    def run_layout(self) -> RunLayout:
        """The layout of the run folder this callback saves into."""
        return self._layout

    def setup(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str
    ) -> None:
        """Refuse a second, plain ModelCheckpoint; capture the run's identity on rank zero."""
        others = [
            type(callback).__name__
            for callback in trainer.checkpoint_callbacks
            if isinstance(callback, ModelCheckpoint) and not isinstance(callback, type(self))
        ]
        if others:
            raise CallbackConfigError(
                f"the trainer has another ModelCheckpoint ({', '.join(others)}) beside "
                "UniqueModelCheckpoint; it would save checkpoints without sidecars, outside the "
                "run layout",
                fix="Remove it and give its monitor, mode, save_top_k and save_last to "
                "UniqueModelCheckpoint",
                value=others,
            )
        super().setup(trainer, pl_module, stage)
        if trainer.is_global_zero:
            self._capture(pl_module)

    def _capture(self, pl_module: lightning.LightningModule) -> tuple[RunContext, ModelInfo]:
        from ocr.identity import describe_model  # noqa: PLC0415 (see the imports)
        from ocr.run_context import RunContext  # noqa: PLC0415

        if self._context is None or self._model is None:
            self._context = RunContext.capture(self._layout.run_dir, name=self._experiment_name)
            self._model = describe_model(pl_module, declared=self._identity)
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
        for callback in trainer.callbacks:  # type: ignore[attr-defined]
            if isinstance(callback, ExperimentRecorder):
                callback.checkpoint_saved(trainer)

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
        from ocr.metadata import (  # noqa: PLC0415 (see the imports)
            CheckpointInfo,
            CheckpointMetadata,
            Provenance,
            TrainingInfo,
        )
        from ocr.run_context import scalar_metrics  # noqa: PLC0415

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


def _check_layout_options(
    kwargs: dict[str, Any], layout: RunLayout, save_last: object, name_format: str
) -> None:
    """Take the options the layout owns out of ``kwargs``; refuse those that conflict."""
    dirpath = kwargs.pop("dirpath", None)
    filename = kwargs.pop("filename", None)
    kwargs.pop("auto_insert_metric_name", None)  # ours is always False: names are spelled once
    if dirpath is not None and not layout.holds(Path(str(dirpath))):
        raise CallbackConfigError(
            f"UniqueModelCheckpoint saves into the run folder {str(layout.run_dir)!r}, but "
            f"dirpath is {str(dirpath)!r}",
            fix="Remove dirpath (or set it to null)",
            value=str(dirpath),
        )
    if save_last is not None and not isinstance(save_last, bool):
        raise CallbackConfigError(
            f"save_last must be True or False, got {save_last!r} (links have no sidecar)",
            fix="Use save_last=True",
            value=save_last,
        )
    if name_format not in NAME_STYLES:
        raise CallbackConfigError(
            f"unknown checkpoint name format {name_format!r}",
            fix=f"Use one of {', '.join(map(repr, NAME_STYLES))}",
            value=name_format,
        )
    ignored = [f"{k}={v!r}" for k, v in (("dirpath", dirpath), ("filename", filename)) if v]
    if ignored:
        rank_zero_info(
            f"UniqueModelCheckpoint ignores {', '.join(ignored)}: checkpoints go to "
            f"{str(layout.checkpoint_dir)!r}, named by ocr ({name_format})"
        )
