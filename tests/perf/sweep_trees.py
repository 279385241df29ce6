"""A large tree of sweeps as the reference trainer leaves them, for the ablation benchmark.

Every run holds what a real one does (sizes from a real run of ``ocr-train``):
``.hydra/config.yaml`` (the full saved config, about 1.3 kB) and
``overrides.yaml``, ``run.json``, ``logs/metrics.csv`` (6 epochs of 16 steps,
logged every 4 steps: 36 rows) and two checkpoints with their sidecars (the
best and ``last.ckpt``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from ocr.layout import RunLayout
from ocr.metadata import read_metadata
from ocr.naming import sidecar_path
from tests.ablation_trees import RunSpec, trainer_config, write_run, write_sweep

__all__ = ["make_sweep_tree"]

GOLDEN: Final = Path(__file__).parents[2] / "fixtures" / "golden" / "sidecar-v1.ckpt.meta.json"
EPOCHS: Final = 6
STEPS_PER_EPOCH: Final = 16
LOG_EVERY: Final = 4


def _history(job: int) -> list[dict[str, float]]:
    rows: list[dict[str, float]] = []
    for epoch in range(EPOCHS):
        for step in range(epoch * STEPS_PER_EPOCH, (epoch + 1) * STEPS_PER_EPOCH, LOG_EVERY):
            rows.append(
                {"epoch": epoch, "step": step + LOG_EVERY - 1, "train/loss_step": 3.0 - step / 40}
            )
        last = (epoch + 1) * STEPS_PER_EPOCH - 1
        hmean = min(0.99, 0.3 + 0.1 * epoch + job / 1000)
        rows.append({"epoch": epoch, "step": last, "val/hmean": hmean, "val/loss": 2 - hmean})
        rows.append({"epoch": epoch, "step": last, "train/loss_epoch": 3.0 - epoch / 3})
    return rows


def make_sweep_tree(root: Path, *, runs: int, jobs_per_sweep: int = 20) -> None:
    """Sweeps of ``jobs_per_sweep`` jobs (two encoders by seeds), ``runs`` jobs in all.

    Args:
        root: The output root to fill.
        runs: How many runs.
        jobs_per_sweep: Jobs per sweep folder.
    """
    template = read_metadata(GOLDEN)
    for job in range(runs):
        sweep, number = divmod(job, jobs_per_sweep)
        location = f"2025-10-{1 + sweep // 24:02d}/{sweep % 24:02d}-00-00"
        if number == 0:
            write_sweep(root, location, sweep_id=f"sweep{sweep:05d}", params={"seed": "0..9"})
        encoder, seed = ("tiny_cnn", "tiny_resnet")[number % 2], number // 2
        run_dir = write_run(
            root,
            RunSpec(
                location=f"{location}/{number}",
                config=trainer_config(model__encoder=encoder, seed=seed),
                overrides=[f"model.encoder={encoder}", f"seed={seed}", "data=synthetic_hard"],
                history=_history(job),
                sweep_id=f"sweep{sweep:05d}",
            ),
        )
        checkpoints = RunLayout(run_dir).checkpoint_dir
        checkpoints.mkdir()
        for name in ("epoch=05-step=000096-val_hmean=0.8000.ckpt", "last.ckpt"):
            checkpoint = checkpoints / name
            checkpoint.write_bytes(b"x" * 64)
            stat = checkpoint.stat()
            info = template.checkpoint.model_copy(
                update={
                    "file_name": name,
                    "size_bytes": stat.st_size,
                    "modified_ns": stat.st_mtime_ns,
                }
            )
            sidecar_path(checkpoint).write_text(
                template.model_copy(update={"checkpoint": info}).model_dump_json(indent=2)
            )
