"""Generators of large output trees for the benchmarks."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import torch

from ocr.layout import RunLayout, RunStamp, format_run_path
from ocr.metadata import read_metadata
from ocr.naming import sidecar_path

__all__ = ["make_legacy_tree", "make_sidecar_tree"]

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


def make_legacy_tree(root: Path, *, checkpoints: int, megabytes: int) -> None:
    """An era A tree of real Lightning-shaped checkpoints of ``megabytes`` each.

    Args:
        root: The legacy outputs folder to fill.
        checkpoints: How many checkpoints.
        megabytes: The size of each.
    """
    floats = megabytes * 1_000_000 // 4
    for number in range(checkpoints):
        folder = root / f"ocr_training-dbnet-unet-resnet18_{number // 5}" / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        state = {
            "epoch": number,
            "global_step": 100 * number,
            "state_dict": {"model.encoder.model.conv1.weight": torch.randn(floats)},
            "cleval_metrics": {"recall": 0.8, "precision": 0.9, "hmean": 0.85},
        }
        path = folder / f"epoch={number:02d}-step={100 * number}.ckpt"
        torch.save(state, path)
