"""A checkpoint of a legacy run, migrated, resumes training and keeps its top-k state.

A real Lightning training writes an era A tree (``outputs/<exp_name>/checkpoints``
with a plain ``ModelCheckpoint``); the tree is migrated by move; a second
training resumes from the migrated ``last.ckpt`` through ``ckpt_path`` with
``UniqueModelCheckpoint`` saving into the migrated run folder. The callback's
top-k state (best paths and scores) carries over, translated to the new
folder, and the top k stay the best k of all epochs.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from ocr.callbacks import UniqueModelCheckpoint
from ocr.compat import LegacyPathWarning
from ocr.migrate import apply_migration
from ocr.train.data import ReceiptDataModule
from ocr.train.module import DetectorModule

TINY_DATA: dict[str, Any] = {
    "train_size": 8,
    "val_size": 4,
    "height": 32,
    "width": 32,
    "batch_size": 4,
}
TINY_MODEL: dict[str, Any] = {"encoder": "tiny_cnn", "decoder": "unet", "width": 4}
pytestmark = [
    pytest.mark.filterwarnings("ignore:The '(train|val)_dataloader' does not have many workers"),
    # Resuming into the run's own folder, which holds its earlier checkpoints, is the point.
    pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty"),
]


class _StopAfter(lightning.Callback):
    """Ends a run early, as a stopped legacy run did (its schedule planned for more epochs)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_train_epoch_end(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule
    ) -> None:
        if trainer.current_epoch + 1 >= self.epochs:
            trainer.should_stop = True


class _TopKAtStart(lightning.Callback):
    """Notes the checkpoint callback's top k as training (re)starts, before any new save."""

    seen: dict[str, Any]

    def on_train_start(
        self, trainer: lightning.Trainer, pl_module: lightning.LightningModule
    ) -> None:
        assert trainer.checkpoint_callback is not None
        self.seen = dict(trainer.checkpoint_callback.best_k_models)  # type: ignore[attr-defined]


def _trainer(
    run_dir: Path,
    callback: ModelCheckpoint,
    epochs: int,
    *extra: lightning.Callback,
    logs: str = "first",
) -> lightning.Trainer:
    return lightning.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        default_root_dir=run_dir,
        logger=lightning.pytorch.loggers.CSVLogger(run_dir / "logs", name="", version=logs),
        callbacks=[callback, *extra],
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )


def _val_losses(log_dir: Path) -> dict[int, float]:
    with (log_dir / "metrics.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("val/loss")]
    return {int(row["epoch"]): float(row["val/loss"]) for row in rows}


def test_a_migrated_checkpoint_resumes_training_and_keeps_its_top_k(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    legacy = root / "ocr_training-dbnet-unet-tiny_cnn"
    lightning.seed_everything(0, verbose=False)
    old_callback = ModelCheckpoint(
        dirpath=legacy / "checkpoints", monitor="val/loss", mode="min", save_top_k=2, save_last=True
    )
    _trainer(legacy, old_callback, 5, _StopAfter(3)).fit(
        DetectorModule(**TINY_MODEL), datamodule=ReceiptDataModule(**TINY_DATA)
    )
    old_best = {Path(path).name: float(score) for path, score in old_callback.best_k_models.items()}
    losses_before = _val_losses(legacy / "logs" / "first")

    report = apply_migration(root)
    (run,) = report.runs
    run_dir = tmp_path / run.target
    last = run_dir / "checkpoints" / "last.ckpt"
    assert last.is_file() and not legacy.exists()

    callback = UniqueModelCheckpoint(
        run_dir=run_dir, monitor="val/loss", mode="min", save_top_k=2, experiment_name="resumed"
    )
    at_start = _TopKAtStart()
    trainer = _trainer(run_dir, callback, 5, at_start, logs="resumed")
    with pytest.warns(LegacyPathWarning):
        trainer.fit(
            DetectorModule(**TINY_MODEL),
            datamodule=ReceiptDataModule(**TINY_DATA),
            ckpt_path=last,
        )
    assert trainer.current_epoch == 5  # resumed at epoch 3, not from scratch
    restored = {Path(path): float(score) for path, score in at_start.seen.items()}
    assert {path.name: score for path, score in restored.items()} == old_best
    assert {path.parent for path in restored} == {run_dir / "checkpoints"}

    losses = {**losses_before, **_val_losses(run_dir / "logs" / "resumed")}
    assert sorted(losses) == [0, 1, 2, 3, 4]
    best_two = sorted(losses, key=losses.__getitem__)[:2]
    kept = {Path(path): float(score) for path, score in callback.best_k_models.items()}
    assert sorted(kept.values()) == pytest.approx(sorted(losses[e] for e in best_two), abs=1e-4)
    assert all(path.parent == run_dir / "checkpoints" and path.is_file() for path in kept)
    for name, score in old_best.items():  # an old best that is still top 2 was carried over
        if any(score == pytest.approx(value, abs=1e-6) for value in kept.values()):
            assert run_dir / "checkpoints" / name in kept
    saved = torch.load(callback.best_model_path, weights_only=False, map_location="cpu")
    assert saved["callbacks"]  # a regular Lightning checkpoint, resumable again
