"""The reference trainer's Hydra entry point: ``ocr-train`` and ``python -m ocr.train``.

A launch gets its own run folder from the layout (``outputs/YYYY-MM-DD/HH-MM-SS/``)
and writes everything there: Hydra's configs, the job log, metrics,
checkpoints and artifacts. Nothing lands in the working directory.

Example (a sweep of two encoders, one job folder each)::

    ocr-train --multirun model.encoder=tiny_cnn,tiny_resnet
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
import lightning
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.loggers import CSVLogger
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue

from ocr.callbacks import ExperimentRecorder, UniqueModelCheckpoint
from ocr.errors import OcrError
from ocr.layout import RunLayout, packaged_config_dir
from ocr.resolvers import register_resolvers
from ocr.train.receipts import write_receipt_annotations

__all__ = ["build_trainer", "main", "train", "write_predictions"]

_log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, float]:
    """Train the detector described by ``cfg`` inside the current Hydra run folder.

    Args:
        cfg: The composed ``train.yaml`` config of a Hydra launch.

    Returns:
        The metrics Lightning logged last (``val/hmean``, ...), as floats, so a
        Hydra sweeper can optimise them.
    """
    layout = RunLayout(Path(HydraConfig.get().runtime.output_dir))
    lightning.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = instantiate(cfg.data)
    module = instantiate(cfg.model)
    trainer = build_trainer(cfg, layout)
    _log.info("experiment %s (%s) in %s", cfg.experiment.id, cfg.experiment.name, layout.run_dir)
    trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.experiment.get("resume_from"))
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    _log.info("final metrics: %s", metrics)
    write_predictions(trainer, module, datamodule, layout)
    return metrics


def write_predictions(
    trainer: lightning.Trainer,
    module: lightning.LightningModule,
    datamodule: lightning.LightningDataModule,
    layout: RunLayout,
) -> None:
    """Write the validation boxes of the best checkpoint as an artifact.

    The file, ``artifacts/val_predictions.json``, is in the receipt JSON
    format, ready to compare or submit; images are named by their position in
    the validation set.

    Args:
        trainer: The trainer after ``fit``.
        module: The trained module.
        datamodule: The data the module was trained on.
        layout: The run's layout.
    """
    checkpoint = trainer.checkpoint_callback
    best = getattr(checkpoint, "best_model_path", "") or None
    batches = trainer.predict(module, dataloaders=datamodule.val_dataloader(), ckpt_path=best)
    images = [boxes for batch in batches or [] for boxes in batch]
    layout.artifact_dir.mkdir(parents=True, exist_ok=True)
    target = layout.artifact_dir / "val_predictions.json"
    write_receipt_annotations(target, {f"val-{i:05d}": b for i, b in enumerate(images)})
    _log.info("validation predictions of %s: %s", best or "the last weights", target)


def build_trainer(cfg: DictConfig, layout: RunLayout) -> lightning.Trainer:
    """Build a Lightning trainer that writes only inside the run folder.

    Args:
        cfg: The composed config (``trainer`` holds the Trainer keyword arguments,
            ``checkpoint`` the checkpointing policy).
        layout: The run's layout.

    Returns:
        The trainer, with its root, logger and checkpoints in the run folder.
    """
    recorder = ExperimentRecorder(
        run_dir=layout.run_dir, name=cfg.experiment.name, tags=cfg.experiment.tags
    )
    checkpoint = UniqueModelCheckpoint(
        run_dir=layout.run_dir,
        experiment_name=cfg.experiment.name,
        monitor=cfg.checkpoint.monitor,
        mode=cfg.checkpoint.mode,
        save_top_k=cfg.checkpoint.save_top_k,
        save_last=cfg.checkpoint.save_last,
    )
    # version="" and name="" keep the CSV files directly in logs/, instead of
    # Lightning's lightning_logs/version_<k>/ tree.
    logger = CSVLogger(save_dir=layout.log_dir, name="", version="")
    trainer_kwargs = OmegaConf.to_container(cfg.trainer, resolve=True)
    return lightning.Trainer(
        **trainer_kwargs,  # type: ignore[arg-type]
        default_root_dir=layout.run_dir,
        logger=logger,
        callbacks=[recorder, checkpoint],
    )


def _task(cfg: DictConfig) -> dict[str, float]:
    try:
        return train(cfg)
    except (OcrError, InstantiationException, MissingMandatoryValue) as err:
        message = _expected_error(err)
        if message is None or os.environ.get("OCR_FULL_ERROR") == "1":
            raise
        # Bad input: one line and exit code 2, like the ocr command.
        sys.stderr.write(f"ocr-train: error: {message}\n")
        raise SystemExit(2) from None


def _expected_error(err: Exception) -> str | None:
    if isinstance(err, OcrError):
        return str(err)
    if isinstance(err, MissingMandatoryValue):
        key = err.full_key
        return f"the config value {key!r} is required. Set it on the command line, e.g. {key}=..."
    cause = err.__cause__
    return str(cause) if isinstance(cause, OcrError) else None


def main() -> None:
    """Run the trainer with Hydra on the packaged configs (``ocr-train``).

    Hydra reads the overrides from the command line.
    """
    register_resolvers()
    hydra_main = hydra.main(
        version_base="1.3", config_path=str(packaged_config_dir("train")), config_name="train"
    )
    hydra_main(_task)()
