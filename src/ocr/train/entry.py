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
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

import hydra
import lightning
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from ocr.callbacks import ExperimentRecorder, UniqueModelCheckpoint
from ocr.errors import OcrError, ocr_error_in
from ocr.layout import RunLayout, packaged_config_dir
from ocr.resolvers import register_resolvers
from ocr.train.receipts import write_receipt_annotations

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["SIGTERM_EXIT_CODE", "build_trainer", "main", "train", "write_predictions"]

_log = logging.getLogger(__name__)
SIGTERM_EXIT_CODE: Final = 128 + signal.SIGTERM
"""The exit code of a training stopped by SIGTERM (143, as a shell reports it)."""


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
    if trainer.received_sigterm:
        # SIGTERM after the last step: Lightning lets the fit end normally, but
        # the process was still told to stop, and says so by its exit code.
        raise SIGTERMException
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
    except SIGTERMException:
        # Lightning's SIGTERMException is a SystemExit without a code: exit 0.
        # A run stopped by SIGTERM must not look like a success.
        sys.stderr.write("ocr-train: stopped by SIGTERM\n")
        raise SystemExit(SIGTERM_EXIT_CODE) from None
    except (OcrError, InstantiationException, MissingMandatoryValue) as err:
        _exit_if_expected(err)
        raise


def _exit_if_expected(err: Exception) -> None:
    """Bad input: one line and exit code 2, like the ocr command (unless OCR_FULL_ERROR=1)."""
    message = _expected_error(err)
    if message is None or os.environ.get("OCR_FULL_ERROR") == "1":
        return
    sys.stderr.write(f"ocr-train: error: {message}\n")
    raise SystemExit(2) from None


def _expected_error(err: BaseException) -> str | None:
    """The one line of an error ocr expects, if it is one.

    An OcrError anywhere in the chain (Hydra and OmegaConf wrap what a
    resolver raised), or a required config value left unset.
    """
    if isinstance(err, MissingMandatoryValue):
        key = err.full_key
        return f"the config value {key!r} is required. Set it on the command line, e.g. {key}=..."
    expected = ocr_error_in(err)
    return None if expected is None else str(expected)


@contextmanager
def _errors_reach_us() -> Iterator[None]:
    """Let Hydra raise what fails before the task runs, and report it the ocr way.

    Hydra reports errors itself: an OcrError that ocr's resolver raises while
    Hydra resolves ``hydra.run.dir`` (a read-only output root, a file given as
    the root) made its report fail and print 105 lines. With HYDRA_FULL_ERROR
    set, Hydra raises instead: an expected error becomes one line and exit 2,
    Hydra's own short errors (a typo in an override) keep their short message
    and exit 1, and anything else is a bug that keeps its traceback.
    """
    asked = "HYDRA_FULL_ERROR" in os.environ
    if not asked:
        os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    except Exception as err:
        _exit_if_expected(err)
        if asked or not isinstance(err, CompactHydraException):
            raise
        sys.stderr.write(f"{err}\n")
        if isinstance(err.__cause__, OmegaConfBaseException):
            sys.stderr.write(f"{err.__cause__}\n")
        raise SystemExit(1) from None
    finally:
        if not asked:
            os.environ.pop("HYDRA_FULL_ERROR", None)


def main() -> None:
    """Run the trainer with Hydra on the packaged configs (``ocr-train``).

    Hydra reads the overrides from the command line. Bad input (an unknown
    component, a required value left unset, an output root that cannot hold
    a run folder) prints one line and exits 2; SIGTERM exits 143.
    """
    register_resolvers()
    hydra_main = hydra.main(
        version_base="1.3", config_path=str(packaged_config_dir("train")), config_name="train"
    )
    with _errors_reach_us():
        hydra_main(_task)()
