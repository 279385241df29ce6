"""The Lightning module end to end, and the Hydra configs that build it."""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING, Any

import lightning
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from lightning.pytorch.loggers import CSVLogger
from omegaconf import OmegaConf

from ocr.layout import packaged_config_dir
from ocr.train.data import ReceiptDataModule
from ocr.train.model import DBNet
from ocr.train.module import DetectorModule

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

CONFIGS = packaged_config_dir("train")
LOGGED = {"train/loss", "val/loss", "val/precision", "val/recall", "val/hmean"}
TINY_MODEL: dict[str, Any] = {"encoder": "tiny_cnn", "decoder": "fpn", "width": 4}
TINY_DATA: dict[str, Any] = {
    "train_size": 4,
    "val_size": 2,
    "height": 32,
    "width": 32,
    "batch_size": 2,
}


def _defaults(cls: type) -> dict[str, Any]:
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()}


def _values(config: str) -> dict[str, Any]:
    values = OmegaConf.to_container(OmegaConf.load(CONFIGS / config))
    assert isinstance(values, dict)
    return {str(key): value for key, value in values.items()}


# Lightning suggests more loader workers on machines with more than 2 cores; 0 is our
# choice (generation is cheap, and workers would compete with torch's threads).
@pytest.mark.filterwarnings("ignore:The '.*dataloader' does not have many workers")
def test_fit_logs_loss_and_detection_scores_when_run_for_one_epoch_with_a_logger(
    tmp_path: Path,
) -> None:
    lightning.seed_everything(0, verbose=False)
    module = DetectorModule(**TINY_MODEL)
    trainer = lightning.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=1,
        log_every_n_steps=1,
        num_sanity_val_steps=0,
        default_root_dir=tmp_path,
        # A real logger: it merges module and datamodule hparams, which must not clash.
        logger=CSVLogger(tmp_path),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )

    trainer.fit(module, datamodule=ReceiptDataModule(**TINY_DATA))

    metrics = trainer.callback_metrics
    assert set(metrics) >= LOGGED
    assert {"train/loss_step", "train/loss_epoch"} <= set(metrics)
    assert all(math.isfinite(float(metrics[name])) for name in LOGGED)
    assert all(
        0.0 <= float(metrics[f"val/{name}"]) <= 1.0 for name in ("precision", "recall", "hmean")
    )
    assert trainer.global_step == 2


def test_module_saves_hyperparameters_and_predicts_maps_when_built() -> None:
    module = DetectorModule(**TINY_MODEL, lr=0.5).eval()

    with torch.no_grad():
        out = module(torch.zeros(1, 3, 32, 32))

    expected = _defaults(DetectorModule) | TINY_MODEL | {"lr": 0.5}
    assert dict(module.hparams) == expected
    assert isinstance(module.model, DBNet)
    assert out["prob"].shape == (1, 1, 32, 32)


class _UnboundedTrainer:
    """Stands in for a trainer with neither max_epochs nor max_steps set."""

    estimated_stepping_batches = math.inf


def test_optimizer_keeps_learning_rate_constant_when_run_is_unbounded() -> None:
    module = DetectorModule(**TINY_MODEL)
    module.trainer = _UnboundedTrainer()  # type: ignore[assignment]

    optimizer = module.configure_optimizers()

    assert isinstance(optimizer, torch.optim.AdamW)
    assert optimizer.defaults["lr"] == module.hparams["lr"]


@pytest.mark.parametrize(
    ("config", "cls"),
    [
        pytest.param("model/dbnet_tiny.yaml", DetectorModule, id="model"),
        pytest.param("data/synthetic.yaml", ReceiptDataModule, id="data"),
    ],
)
def test_default_config_spells_out_constructor_defaults_when_loaded(config: str, cls: type) -> None:
    values = _values(config)

    assert values.pop("_target_") == f"{cls.__module__}.{cls.__qualname__}"
    assert values == _defaults(cls)


@pytest.mark.parametrize(
    "config",
    [pytest.param(path.name, id=path.stem) for path in sorted((CONFIGS / "model").glob("*.yaml"))],
)
def test_model_config_builds_module_when_instantiated(config: str) -> None:
    cfg = OmegaConf.load(CONFIGS / "model" / config)

    module = instantiate(cfg)

    assert isinstance(module, DetectorModule)
    assert set(cfg) - {"_target_"} == set(_defaults(DetectorModule))


def test_receipts_json_config_requires_paths_when_loaded() -> None:
    cfg = OmegaConf.load(CONFIGS / "data" / "receipts_json.yaml")
    paths = ("annotation_file", "image_dir", "val_annotation_file", "val_image_dir")

    assert set(cfg) - {"_target_"} == set(_defaults(ReceiptDataModule))
    assert all(OmegaConf.is_missing(cfg, key) for key in paths)


def test_hard_data_config_is_the_synthetic_one_with_hard_pages_when_composed() -> None:
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIGS)):
        easy = compose(config_name="train")
        hard = compose(config_name="train", overrides=["data=synthetic_hard"])

    assert hard.data.difficulty == "hard"
    assert {**hard.data, "difficulty": "easy"} == {**easy.data}


def test_trainer_config_builds_trainer_without_run_folder_logger_or_callbacks_when_loaded(
    tmp_path: Path,
) -> None:
    kwargs = _values("trainer/cpu.yaml")

    trainer = lightning.Trainer(
        **kwargs, default_root_dir=tmp_path, logger=False, enable_checkpointing=False
    )

    assert not {"default_root_dir", "logger", "callbacks"} & set(kwargs)
    assert trainer.max_epochs == kwargs["max_epochs"]
