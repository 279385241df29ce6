"""Train a model, then test it with the best weights: the template's ``src/train.py`` shape."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import hydra

if TYPE_CHECKING:
    from omegaconf import DictConfig

log = logging.getLogger(__name__)


def setup_root(indicator: str = ".project-root") -> Path:
    """What ``rootutils.setup_root(__file__, pythonpath=True)`` does: find the project root
    above this file, export it as ``PROJECT_ROOT`` and make it importable."""
    root = next(p for p in Path(__file__).resolve().parents if (p / indicator).exists())
    os.environ["PROJECT_ROOT"] = str(root)
    sys.path.insert(0, str(root))
    return root


def train(cfg: DictConfig) -> dict[str, float]:
    """Instantiate everything from the config, fit, test; return the metrics."""
    import lightning

    from foreign.utils.instantiators import instantiate_entries

    if cfg.get("seed"):
        lightning.seed_everything(cfg.seed, workers=True)
    log.info("Instantiating datamodule <%s>", cfg.data._target_)
    datamodule = hydra.utils.instantiate(cfg.data)
    log.info("Instantiating model <%s>", cfg.model._target_)
    model = hydra.utils.instantiate(cfg.model)
    if cfg.get("crash_before_fit"):
        msg = "the data folder is not mounted"
        raise RuntimeError(msg)
    callbacks = instantiate_entries(cfg.get("callbacks"))
    logger = instantiate_entries(cfg.get("logger"))
    trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=logger)
    if cfg.get("train"):
        log.info("Starting training!")
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    if cfg.get("test"):
        log.info("Starting testing!")
        ckpt_path = getattr(trainer.checkpoint_callback, "best_model_path", "") or None
        trainer.test(model=model, datamodule=datamodule, ckpt_path=ckpt_path)
    return {name: float(value) for name, value in trainer.callback_metrics.items()}


@hydra.main(version_base="1.3", config_path="../configs", config_name="train.yaml")
def main(cfg: DictConfig) -> float | None:
    """Train, and return the validation accuracy for a sweeper."""
    metrics = train(cfg)
    return metrics.get("val/acc")


if __name__ == "__main__":
    setup_root()
    main()
