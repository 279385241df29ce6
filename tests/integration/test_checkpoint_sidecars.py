"""Real Lightning trainings with UniqueModelCheckpoint: the checkpoints and their sidecars."""

from __future__ import annotations

import csv
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch

import ocr.errors
import ocr.metadata
from ocr.callbacks import UniqueModelCheckpoint
from ocr.layout import RootLayout, RunLayout, allocate_launch_dir
from ocr.metadata import CheckpointMetadata, read_metadata
from ocr.naming import is_checkpoint_file, is_sidecar_file, sidecar_path
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
# Lightning warns that num_workers=0 may be a bottleneck; with 4-image batches it is not.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The '(train|val)_dataloader' does not have many workers"
)


def _fit(callback: UniqueModelCheckpoint, run_dir: Path, epochs: int) -> lightning.Trainer:
    lightning.seed_everything(0, verbose=False)
    trainer = lightning.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        default_root_dir=run_dir,
        logger=lightning.pytorch.loggers.CSVLogger(RunLayout(run_dir).log_dir, name="", version=""),
        callbacks=[callback],
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(DetectorModule(**TINY_MODEL), datamodule=ReceiptDataModule(**TINY_DATA))
    return trainer


def _sidecars(folder: Path) -> dict[str, CheckpointMetadata]:
    return {
        p.name.removesuffix(".meta.json"): read_metadata(p)
        for p in folder.iterdir()
        if is_sidecar_file(p)
    }


def _val_losses(run_dir: Path) -> dict[int, float]:
    with (RunLayout(run_dir).log_dir / "metrics.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("val/loss")]
    return {int(row["epoch"]): float(row["val/loss"]) for row in rows}


def test_top_k_and_last_each_have_a_matching_sidecar_when_training_ends(tmp_path: Path) -> None:
    run_dir = allocate_launch_dir(tmp_path / "outputs")
    callback = UniqueModelCheckpoint(
        run_dir=run_dir, monitor="val/loss", mode="min", save_top_k=2, experiment_name="tiny"
    )
    trainer = _fit(callback, run_dir, epochs=4)
    folder = RunLayout(run_dir).checkpoint_dir
    checkpoints = sorted(p.name for p in folder.iterdir() if is_checkpoint_file(p))
    sidecars = _sidecars(folder)
    assert sorted(sidecars) == checkpoints
    losses = _val_losses(run_dir)
    best_two = sorted(sorted(losses, key=losses.__getitem__)[:2])
    epochs = [m.training.epoch for n, m in sidecars.items() if n != "last.ckpt"]
    assert None not in epochs  # training always knows its epoch
    assert sorted(e for e in epochs if e is not None) == best_two
    assert "last.ckpt" in checkpoints and len(checkpoints) == 3
    for name, metadata in sidecars.items():
        saved = torch.load(folder / name, weights_only=False, map_location="cpu")
        assert (metadata.training.epoch, metadata.training.global_step) == (
            saved["epoch"],
            saved["global_step"],
        )
        assert metadata.checkpoint.size_bytes == (folder / name).stat().st_size
        assert metadata.checkpoint.file_name == name
        assert metadata.training.is_last is (name == "last.ckpt")
        assert metadata.experiment.name == "tiny"
        assert metadata.experiment.run_dir == run_dir.relative_to(tmp_path / "outputs").as_posix()
        assert metadata.provenance.source == "trained"
        assert metadata.model.encoder == "tiny_cnn"
        if name != "last.ckpt":
            assert metadata.training.epoch is not None
            assert metadata.training.score == pytest.approx(
                losses[metadata.training.epoch], abs=1e-4
            )
            assert f"val_loss={metadata.training.score:.4f}" in name
    best = [n for n, m in sidecars.items() if m.training.is_best]
    assert best == [Path(callback.best_model_path).name]
    assert sidecars["last.ckpt"].training.global_step == trainer.global_step
    assert set(sidecars["last.ckpt"].training.metrics) >= {
        "train/loss",
        "val/loss",
        "val/precision",
        "val/recall",
        "val/hmean",
    }
    assert callback.sidecar_failures == []


def test_training_goes_on_and_the_failure_is_recorded_when_a_sidecar_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full_disk(checkpoint: Path, metadata: CheckpointMetadata) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ocr.metadata, "write_metadata", full_disk)
    run_dir = allocate_launch_dir(tmp_path / "outputs")
    callback = UniqueModelCheckpoint(run_dir=run_dir, monitor="val/loss", mode="min", save_top_k=1)
    with caplog.at_level(logging.ERROR, logger="ocr.callbacks"):
        trainer = _fit(callback, run_dir, epochs=2)
    assert trainer.state.finished
    folder = RunLayout(run_dir).checkpoint_dir
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [Path(callback.best_model_path).name, "last.ckpt"]
    )
    assert len(callback.sidecar_failures) >= 2
    assert callback.sidecar_failures[0].startswith("could not write the sidecar of ")
    assert callback.sidecar_failures[0].endswith("[Errno 28] No space left on device")
    assert any("could not write the sidecar" in r.getMessage() for r in caplog.records)


@pytest.mark.timeout(300)
def test_each_sidecar_is_written_once_by_rank_zero_when_training_under_ddp(tmp_path: Path) -> None:
    overrides = [
        "trainer.max_epochs=2",
        "trainer.strategy=ddp",
        "trainer.devices=2",
        "+trainer.enable_progress_bar=false",
        *(f"data.{key}={value}" for key, value in TINY_DATA.items()),
        *(f"model.{key}={value}" for key, value in TINY_MODEL.items()),
        "hydra.verbose=ocr.callbacks",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "ocr.train", *overrides],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        env={**os.environ, "PL_DISABLE_FORK": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = RootLayout(tmp_path / "outputs").run_dirs()
    rank_zero_log = (run_dir / "train.log").read_text()
    rank_one_log = (run_dir / "train_ddp_process_1.log").read_text()
    writes = re.findall(r"wrote sidecar (\S+) at step (\d+)", rank_zero_log)
    assert "wrote sidecar" not in rank_one_log
    assert writes
    assert len(writes) == len(set(writes)), "a sidecar was written twice for one save"
    folder = RunLayout(run_dir).checkpoint_dir
    sidecars = _sidecars(folder)
    assert sorted(sidecars) == sorted(p.name for p in folder.iterdir() if is_checkpoint_file(p))
    assert {sidecar_path(folder / name).name for name in sidecars} <= {w[0] for w in writes}


# The CSV logger of the second fit warns that it reuses the logs folder; the
# layout never reuses a run folder, this test does so on purpose.
@pytest.mark.filterwarnings("ignore:Experiment logs directory .* exists and is not empty")
@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_a_rerun_into_the_same_folder_keeps_the_first_runs_files_when_saving(
    tmp_path: Path,
) -> None:
    run_dir = allocate_launch_dir(tmp_path / "outputs")
    folder = RunLayout(run_dir).checkpoint_dir
    _fit(UniqueModelCheckpoint(run_dir=run_dir, monitor=None, save_top_k=1), run_dir, epochs=1)
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    _fit(UniqueModelCheckpoint(run_dir=run_dir, monitor=None, save_top_k=1), run_dir, epochs=1)
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {name: after[name] for name in first} == first
    assert {"last-v1.ckpt", "last-v1.ckpt.meta.json"} <= after.keys() - first.keys()


def test_callback_refuses_a_folder_outside_the_run_when_given_one(tmp_path: Path) -> None:
    run_dir, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    with pytest.raises(ocr.errors.CallbackConfigError) as info:
        UniqueModelCheckpoint(run_dir=run_dir, dirpath=elsewhere)
    assert str(info.value) == (
        f"UniqueModelCheckpoint saves into the run folder {str(run_dir)!r}, but dirpath is "
        f"{str(elsewhere)!r}. Remove dirpath (or set it to null)"
    )


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(
            {"dirpath": None, "filename": None, "auto_insert_metric_name": None}, id="nulls"
        ),
        pytest.param(
            {
                "dirpath": "checkpoints",
                "filename": "epoch_{epoch:03d}",
                "auto_insert_metric_name": True,
            },
            id="a-project-entry",
        ),
    ],
)
def test_callback_keeps_its_own_names_when_a_config_entry_carries_layout_options(
    options: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative dirpath inside the run folder
    callback = UniqueModelCheckpoint(run_dir=tmp_path, monitor="val/acc", **options)
    assert callback.dirpath == str(tmp_path / "checkpoints")
    assert callback.filename == "epoch={epoch:02d}-step={step:06d}-val_acc={val/acc:.4f}"
    assert callback.auto_insert_metric_name is False


def test_callback_refuses_linked_last_checkpoints_when_asked(tmp_path: Path) -> None:
    link: Any = "link"
    with pytest.raises(ocr.errors.CallbackConfigError) as info:
        UniqueModelCheckpoint(run_dir=tmp_path, save_last=link)
    assert str(info.value) == (
        "save_last must be True or False, got 'link' (links have no sidecar). Use save_last=True"
    )


def test_callback_needs_a_run_folder_when_outside_hydra() -> None:
    with pytest.raises(ocr.errors.CallbackConfigError) as info:
        UniqueModelCheckpoint()
    assert str(info.value) == (
        "UniqueModelCheckpoint has no run folder: run_dir was not given and no Hydra job is "
        "running. Pass run_dir=... or create the callback inside a Hydra job"
    )


def test_callback_refuses_an_unknown_name_format_when_given(tmp_path: Path) -> None:
    odd: Any = "dashes"
    with pytest.raises(ocr.errors.CallbackConfigError) as info:
        UniqueModelCheckpoint(run_dir=tmp_path, name_format=odd)
    assert str(info.value) == (
        "unknown checkpoint name format 'dashes'. Use one of 'equals', 'underscore'"
    )


def test_sidecars_carry_the_declared_identity_and_names_hold_no_equals_when_asked(
    tmp_path: Path,
) -> None:
    run_dir = allocate_launch_dir(tmp_path / "outputs")
    callback = UniqueModelCheckpoint(
        run_dir=run_dir,
        monitor="val/hmean",
        name_format="underscore",
        identity={"architecture": "receipt-dbnet", "encoder": None},
    )
    _fit(callback, run_dir, epochs=1)
    sidecars = _sidecars(RunLayout(run_dir).checkpoint_dir)
    assert sorted(sidecars) == ["epoch_00-step_000002-val_hmean_0.0000.ckpt", "last.ckpt"]
    assert {(s.model.architecture, s.model.encoder) for s in sidecars.values()} == {
        ("receipt-dbnet", "tiny_cnn")
    }


def test_training_stops_before_it_starts_when_a_plain_model_checkpoint_sits_beside_ours(
    tmp_path: Path,
) -> None:
    run_dir = allocate_launch_dir(tmp_path / "outputs")
    trainer = lightning.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        default_root_dir=run_dir,
        enable_progress_bar=False,
        callbacks=[
            UniqueModelCheckpoint(run_dir=run_dir, monitor="val/hmean"),
            lightning.pytorch.callbacks.ModelCheckpoint(
                dirpath=tmp_path / "old", monitor="val/loss"
            ),
        ],
    )
    with pytest.raises(ocr.errors.CallbackConfigError) as info:
        trainer.fit(DetectorModule(**TINY_MODEL), datamodule=ReceiptDataModule(**TINY_DATA))
    assert str(info.value) == (
        "the trainer has another ModelCheckpoint (ModelCheckpoint) beside UniqueModelCheckpoint; "
        "it would save checkpoints without sidecars, outside the run layout. Remove it and give "
        "its monitor, mode, save_top_k and save_last to UniqueModelCheckpoint"
    )
    assert not (tmp_path / "old").exists() and not RunLayout(run_dir).checkpoint_dir.exists()
