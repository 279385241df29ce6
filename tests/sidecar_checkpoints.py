"""Checkpoint files with real, consistent sidecars, for tests that need a new-layout tree.

The files are not pickles: nothing that discovers or validates checkpoints
may load one. Their sidecars start from the committed golden v1 sidecar.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ocr.layout import RunLayout
from ocr.metadata import read_metadata, write_metadata

if TYPE_CHECKING:
    from collections.abc import Mapping

GOLDEN = read_metadata(
    Path(__file__).parents[1] / "fixtures" / "golden" / "sidecar-v1.ckpt.meta.json"
)


def save_checkpoint(
    run_dir: Path,
    name: str,
    *,
    epoch: int,
    step: int,
    metrics: Mapping[str, float] | None = None,
    model: Mapping[str, object] | None = None,
    config: Mapping[str, object] | None = None,
    experiment: Mapping[str, object] | None = None,
    training: Mapping[str, object] | None = None,
    content: bytes | None = None,
) -> Path:
    """Write ``<run_dir>/checkpoints/<name>`` and its sidecar, consistent with each other.

    Args:
        run_dir: The run folder.
        name: The checkpoint's file name.
        epoch: The epoch the sidecar says (the file's size grows with it).
        step: The global step the sidecar says.
        metrics: The sidecar's metrics (default: the golden sidecar's).
        model: Model fields to change (``{"encoder": "tiny_resnet"}``).
        config: Config fields to change (``{"config_hash": None}``).
        experiment: Experiment fields to change (``{"id": ...}``).
        training: More training fields to change (``{"monitor": "val/hmean"}``).
        content: The checkpoint's bytes (default: a few bytes that are no pickle).

    Returns:
        The checkpoint.
    """
    checkpoint = RunLayout(run_dir).checkpoint_dir / name
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_bytes(content or b"not a pickle: discovery never loads this" * (epoch + 1))
    stat = checkpoint.stat()
    progress: dict[str, object] = {"epoch": epoch, "global_step": step, **(training or {})}
    if metrics is not None:
        progress["metrics"] = dict(metrics)
    metadata = GOLDEN.model_copy(
        update={
            "checkpoint": GOLDEN.checkpoint.model_copy(
                update={
                    "file_name": name,
                    "size_bytes": stat.st_size,
                    "modified_ns": stat.st_mtime_ns,
                }
            ),
            "experiment": GOLDEN.experiment.model_copy(update=dict(experiment or {})),
            "model": GOLDEN.model.model_copy(update=dict(model or {})),
            "training": GOLDEN.training.model_copy(update=progress),
            "config": GOLDEN.config.model_copy(update=dict(config or {})),
        }
    )
    write_metadata(checkpoint, metadata)
    return checkpoint
