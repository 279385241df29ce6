"""Generators of large output trees for the benchmarks."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import torch

from ocr.layout import RunLayout, RunStamp, format_run_path
from ocr.metadata import read_metadata
from ocr.naming import sidecar_path
from ocr.registry import ExperimentRecord, ExperimentRegistry, Status, new_experiment_id

__all__ = ["make_legacy_tree", "make_records", "make_sidecar_tree"]

GOLDEN = Path(__file__).parents[2] / "fixtures" / "golden" / "sidecar-v1.ckpt.meta.json"
START = datetime(2025, 10, 1, 8, 0, 0)


def make_sidecar_tree(root: Path, *, checkpoints: int, per_run: int = 10) -> None:
    """A new-layout tree: runs of ``per_run`` small checkpoints, each with a sidecar.

    Args:
        root: The output root to fill.
        checkpoints: How many checkpoints in all.
        per_run: Checkpoints per run.
    """
    template = read_metadata(GOLDEN)
    for number in range(checkpoints):
        run, index = divmod(number, per_run)
        stamp = RunStamp(START + timedelta(minutes=run))
        layout = RunLayout(root / format_run_path(stamp))
        layout.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = layout.checkpoint_dir / f"epoch={index:02d}-step={index * 10:06d}.ckpt"
        checkpoint.write_bytes(b"x" * 64)
        stat = checkpoint.stat()
        metadata = template.model_copy(
            update={
                "checkpoint": template.checkpoint.model_copy(
                    update={
                        "file_name": checkpoint.name,
                        "size_bytes": stat.st_size,
                        "modified_ns": stat.st_mtime_ns,
                    }
                ),
                "training": template.training.model_copy(
                    update={"epoch": index, "global_step": index * 10}
                ),
            }
        )
        # Plain write, not the atomic one: the generator only needs the bytes.
        sidecar_path(checkpoint).write_text(metadata.model_dump_json(indent=2))


def make_records(root: Path, *, runs: int, per_run: int = 0) -> None:
    """Run folders with a completed experiment record each, and the registry's index.

    The records are written as files (what ``start_run`` and ``update_run``
    leave, without their locks), then the index is rebuilt from them once.

    Args:
        root: The output root (created).
        runs: How many runs.
        per_run: Checkpoints with sidecars per run (``make_sidecar_tree``'s runs).
    """
    if per_run:
        make_sidecar_tree(root, checkpoints=runs * per_run, per_run=per_run)
    started = START.astimezone()
    for number in range(runs):
        layout = RunLayout(root / format_run_path(RunStamp(START + timedelta(minutes=number))))
        layout.run_dir.mkdir(parents=True, exist_ok=True)
        when = started + timedelta(minutes=number)
        record = ExperimentRecord(
            id=new_experiment_id(int(when.timestamp() * 1e9)),
            name=f"dbnet-{('tiny_cnn', 'tiny_resnet')[number % 2]}-{number % 17}",
            status=Status.COMPLETED,
            created_at=when,
            updated_at=when,
            heartbeat_at=when,
            ended_at=when + timedelta(minutes=5),
            host="bench",
            pid=1,
            run_dir=layout.run_dir.relative_to(root).as_posix(),
            overrides=[f"model.width={4 * (1 + number % 4)}", f"seed={number % 3}"],
            tags=["sweep"] if number % 3 else [],
            best_metrics={"val/hmean": 0.5 + (number % 100) / 200},
            metrics={"val/hmean": 0.5 + (number % 100) / 200, "val/loss": 0.4, "lr": 1e-05},
            task_name="train",
        )
        layout.record_file.write_text(record.model_dump_json(indent=2))
    ExperimentRegistry(root).rebuild()


def make_legacy_tree(root: Path, *, checkpoints: int, megabytes: float, per_run: int = 10) -> None:
    """An era A tree of Lightning-shaped checkpoints of about ``megabytes`` each.

    Each file holds what Lightning saves for a DBNet with a ResNet-18 encoder:
    epoch, step, the weights (every layer of the real model, scaled down),
    the batch-norm buffers, Adam's state (``exp_avg`` and ``exp_avg_sq`` for
    every parameter, so the file is about three times the weights), the
    scheduler, the ModelCheckpoint callback state with its best score, the
    loops, and the ``cleval_metrics`` the old picker read. Every file is
    flushed to disk.

    Args:
        root: The legacy outputs folder to fill.
        checkpoints: How many checkpoints.
        megabytes: The size of each file.
        per_run: Checkpoints per experiment folder.
    """
    generator = torch.Generator().manual_seed(0)
    parameters, buffers = _dbnet_resnet18_shapes(floats=int(megabytes * 1_000_000 / 4 / 3))
    for number in range(checkpoints):
        folder = root / f"ocr_training-dbnet-unet-resnet18_{number // per_run}" / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"epoch={number:02d}-step={100 * number}.ckpt"
        state = _lightning_checkpoint(number, parameters, buffers, generator, str(path))
        torch.save(state, path)
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def _dbnet_resnet18_shapes(*, floats: int) -> tuple[dict[str, int], dict[str, int]]:
    """Parameter and buffer sizes named as in a DBNet-ResNet18, about ``floats`` in all."""
    sizes: dict[str, int] = {}
    batch_norms: list[str] = []

    def conv(name: str, out: int, into: int, kernel: int) -> None:
        sizes[f"{name}.weight"] = out * into * kernel * kernel

    def batch_norm(name: str, channels: int) -> None:
        sizes[f"{name}.weight"] = sizes[f"{name}.bias"] = channels
        batch_norms.append(name)

    conv("model.encoder.conv1", 64, 3, 7)
    batch_norm("model.encoder.bn1", 64)
    into = 64
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            name = f"model.encoder.layer{stage}.{block}"
            conv(f"{name}.conv1", width, into if block == 0 else width, 3)
            batch_norm(f"{name}.bn1", width)
            conv(f"{name}.conv2", width, width, 3)
            batch_norm(f"{name}.bn2", width)
            if block == 0 and into != width:
                conv(f"{name}.downsample.0", width, into, 1)
                batch_norm(f"{name}.downsample.1", width)
        into = width
    for level, width in enumerate((64, 128, 256, 512), start=2):
        conv(f"model.decoder.in{level}", 256, width, 1)
        conv(f"model.decoder.out{level}", 64, 256, 3)
    for branch in ("binarize", "thresh"):
        conv(f"model.head.{branch}.0", 64, 256, 3)
        batch_norm(f"model.head.{branch}.1", 64)
        conv(f"model.head.{branch}.3", 64, 64, 2)
        batch_norm(f"model.head.{branch}.4", 64)
        conv(f"model.head.{branch}.6", 1, 64, 2)
    scale = floats / sum(sizes.values())
    parameters = {name: max(1, round(size * scale)) for name, size in sizes.items()}
    buffers = {}
    for name in batch_norms:
        channels = parameters[f"{name}.weight"]
        buffers[f"{name}.running_mean"] = buffers[f"{name}.running_var"] = channels
        buffers[f"{name}.num_batches_tracked"] = 0  # a scalar
    return parameters, buffers


def _lightning_checkpoint(
    number: int,
    parameters: dict[str, int],
    buffers: dict[str, int],
    generator: torch.Generator,
    path: str,
) -> dict[str, Any]:
    def randn(size: int) -> torch.Tensor:
        return torch.randn(size, generator=generator)

    step = 100 * number
    hmean = 0.5 + number / 200
    state_dict = {name: randn(size) for name, size in parameters.items()}
    state_dict.update(
        (name, randn(size) if size else torch.tensor(step)) for name, size in buffers.items()
    )
    adam = {
        index: {
            "step": torch.tensor(float(step)),
            "exp_avg": randn(size),
            "exp_avg_sq": randn(size).abs(),
        }
        for index, size in enumerate(parameters.values())
    }
    group = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-4, "amsgrad": False}
    monitor = "val/hmean"
    return {
        "epoch": number,
        "global_step": step,
        "pytorch-lightning_version": "2.1.3",
        "state_dict": state_dict,
        "loops": {
            "fit_loop": {
                "state_dict": {},
                "epoch_progress": {"total": {"ready": number + 1, "completed": number}},
                "epoch_loop.batch_progress": {"total": {"ready": step, "completed": step}},
            }
        },
        "callbacks": {
            f"ModelCheckpoint{{'monitor': '{monitor}', 'mode': 'max'}}": {
                "monitor": monitor,
                "best_model_score": torch.tensor(hmean),
                "best_model_path": path,
                "current_score": torch.tensor(hmean),
                "dirpath": str(Path(path).parent),
                "best_k_models": {path: torch.tensor(hmean)},
                "kth_best_model_path": path,
                "kth_value": torch.tensor(hmean),
                "last_model_path": "",
            }
        },
        "optimizer_states": [{"state": adam, "param_groups": [{**group, "params": list(adam)}]}],
        "lr_schedulers": [
            {
                "step_size": 30,
                "gamma": 0.1,
                "base_lrs": [1e-3],
                "last_epoch": number,
                "_last_lr": [1e-3],
            }
        ],
        "hparams_name": "kwargs",
        "hyper_parameters": {"encoder": "resnet18", "decoder": "unet", "lr": 1e-3},
        "cleval_metrics": {"recall": hmean - 0.02, "precision": hmean + 0.02, "hmean": hmean},
    }
