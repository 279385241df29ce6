"""Runs of the reference trainer, made in-process for the UI tests: real configs, real weights.

A run made here has what ``ocr-train`` leaves (``.hydra/config.yaml`` and
``overrides.yaml``, ``run.json``, checkpoints saved with ``torch.save`` in
Lightning's shape, each with its sidecar) without the training: the weights
are a freshly seeded model's. Tests that need a trained model train one with
``ocr-train`` instead.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

import torch
import yaml

from ocr.layout import RunLayout, RunStamp, format_run_path
from ocr.registry import ExperimentRegistry, Status
from ocr.train.module import DetectorModule
from tests.sidecar_checkpoints import save_checkpoint

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["REFERENCE_CONFIG", "make_reference_run", "save_weights"]

REFERENCE_CONFIG: dict[str, Any] = {
    "model": {
        "_target_": "ocr.train.module.DetectorModule",
        "architecture": "dbnet",
        "encoder": "tiny_resnet",
        "decoder": "unet",
        "head": "db_head",
        "width": 4,
        "lr": 0.01,
        "weight_decay": 0.0001,
        "box_threshold": 0.3,
    },
    "data": {
        "_target_": "ocr.train.data.ReceiptDataModule",
        "seed": 0,
        "train_size": 16,
        "val_size": 8,
        "height": 128,
        "width": 96,
        "batch_size": 8,
        "num_workers": 0,
        "annotation_file": None,
        "image_dir": None,
        "val_annotation_file": None,
        "val_image_dir": None,
    },
    "trainer": {"max_epochs": 1},
    "experiment": {"id": "${ocr_experiment_id:}", "name": "dbnet-tiny_resnet-unet", "tags": []},
    "checkpoint": {"monitor": "val/hmean", "mode": "max"},
}


def save_weights(path: Path, module: torch.nn.Module, *, epoch: int = 0, step: int = 2) -> None:
    """Save a module's weights as Lightning lays out a checkpoint (what the app loads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"epoch": epoch, "global_step": step, "state_dict": module.state_dict(), "loops": {}},
        path,
    )


def make_reference_run(
    root: Path,
    *,
    when: datetime = datetime(2025, 10, 18, 14, 3, 22),
    names: tuple[str, ...] = ("epoch=00-step=000002-val_hmean=0.5000.ckpt", "last.ckpt"),
    scores: tuple[float, ...] = (0.5, 0.4),
    overrides: tuple[str, ...] = ("model.width=4",),
    model: dict[str, Any] | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write one run of the reference trainer under ``root``.

    Args:
        root: The output root.
        when: The launch time (names the run folder).
        names: The checkpoints' file names.
        scores: Each checkpoint's ``val/hmean``.
        overrides: The launch's overrides.
        model: Changes to the config's model node.
        seed: Seeds the weights.

    Returns:
        The checkpoints, in ``names`` order.
    """
    layout = RunLayout(root / format_run_path(RunStamp(when)))
    config = {**REFERENCE_CONFIG, "model": {**REFERENCE_CONFIG["model"], **(model or {})}}
    layout.hydra_dir.mkdir(parents=True, exist_ok=True)
    layout.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    layout.overrides_file.write_text(yaml.safe_dump(list(overrides)))
    registry = ExperimentRegistry(root)
    record = registry.start_run(layout.run_dir, name="dbnet-tiny_resnet-unet", overrides=overrides)
    torch.manual_seed(seed)
    arguments = {k: v for k, v in config["model"].items() if not k.startswith("_")}
    module = DetectorModule(**arguments)
    weights = io.BytesIO()
    torch.save({"epoch": 0, "global_step": 2, "state_dict": module.state_dict()}, weights)
    experiment = {"id": record.id, "name": record.name, "run_dir": record.run_dir}
    parts = {"architecture": "dbnet", "head": "db_head"} | {
        key: config["model"][key] for key in ("encoder", "decoder")
    }
    checkpoints = [
        save_checkpoint(
            layout.run_dir,
            name,
            epoch=0,
            step=2,
            metrics={"val/hmean": score, "val/precision": score, "val/recall": score},
            model=parts,
            config={"overrides": list(overrides)},
            experiment=experiment,
            training={
                "monitor": "val/hmean",
                "mode": "max",
                "is_best": index == 0,
                "is_last": name == "last.ckpt",
            },
            content=weights.getvalue(),
        )
        for index, (name, score) in enumerate(zip(names, scores, strict=True))
    ]
    registry.update_run(layout.run_dir, status=Status.COMPLETED)
    return checkpoints
