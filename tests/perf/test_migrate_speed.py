"""Migration speed gate (docs/design.md, "Speed targets").

1,000 legacy experiments holding 10,000 checkpoints migrate by move in under
30 s here. The tree mixes the eras as real ones do: name-based folders with a
``.hydra`` config and a log naming their old paths (rewritten), model
subfolders, tagged folders with a W&B run, and sweeps in ``multirun/``. The
checkpoints are small (a move is a rename, so their size does not matter; the
sidecars, records, rewrites and journal do).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Final

import pytest

from ocr.catalog import CheckpointCatalog
from ocr.migrate import apply_migration

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = pytest.mark.perf

EXPERIMENTS: Final = 1_000
CHECKPOINTS_PER_EXPERIMENT: Final = 10
GATE_SECONDS: Final = 30.0
LAUNCHES_FROM: Final = 1_756_684_800  # 2025-09-01


def make_legacy_experiments(base: Path, *, experiments: int, per_experiment: int) -> int:
    """Write a legacy tree under ``base`` (``outputs/``, ``multirun/``, ``wandb/``).

    Returns:
        The number of checkpoints written.
    """
    written = 0
    for number in range(experiments):
        kind = number % 10
        day, second = 1 + number % 28, number % 60
        stamp = f"202510{day:02d}_{number // 60 % 24:02d}{number % 60:02d}{second:02d}"
        if kind == 9:
            folder = (
                base
                / "multirun"
                / f"2025-10-{day:02d}"
                / f"{number // 60 % 24:02d}-{number % 60:02d}-{second:02d}"
            )
            jobs = [folder / str(job) for job in range(2)]
            (folder).mkdir(parents=True, exist_ok=True)
            (folder / "multirun.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
        elif kind == 8:
            folder = base / "outputs" / f"tag{number}-dbnet-resnet18_train_{stamp}"
            jobs = [folder]
            wandb = base / "wandb" / f"run-{stamp}-id{number:05d}" / "files"
            wandb.mkdir(parents=True)
            (wandb / "output.log").write_text(f"saving to outputs/{folder.name}/checkpoints\n")
        else:
            folder = base / "outputs" / f"exp {number}-dbnet-unet-resnet34"
            jobs = [folder]
        for job in jobs:
            checkpoints = job / "checkpoints"
            if kind == 7:
                checkpoints /= "dbnet_resnet34"
            checkpoints.mkdir(parents=True, exist_ok=True)
            hydra = job / ".hydra"
            hydra.mkdir(exist_ok=True)
            (hydra / "config.yaml").write_text(f"model:\n  encoder: resnet34\nlr: 0.{number:04d}\n")
            launched = LAUNCHES_FROM + number * 3_600  # one launch an hour, as Hydra wrote it
            os.utime(hydra / "config.yaml", (launched, launched))
            (hydra / "hydra.yaml").write_text(
                f"hydra:\n  run:\n    dir: {job.relative_to(base).as_posix()}\n"
            )
            (hydra / "overrides.yaml").write_text(f"- lr=0.00{number % 9 + 1}\n")
            (job / "train.log").write_text(
                f"[2025-10-{day:02d} 01:02:03,456][__main__][INFO] - writing to "
                f"{job.relative_to(base).as_posix()}/checkpoints\n"
            )
            count = per_experiment // len(jobs)
            for index in range(count):
                name = (
                    "last.ckpt" if index == count - 1 else f"epoch={index}-step={index * 100}.ckpt"
                )
                (checkpoints / name).write_bytes(b"\x80\x02legacy checkpoint" * 16)
                written += 1
    return written


def test_migrating_1000_experiments_by_move(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    rounds = iter(range(1_000))

    def fresh_tree() -> tuple[tuple[Path], dict[str, object]]:
        base = tmp_path / f"round-{next(rounds)}"
        written = make_legacy_experiments(
            base, experiments=EXPERIMENTS, per_experiment=CHECKPOINTS_PER_EXPERIMENT
        )
        assert written == EXPERIMENTS * CHECKPOINTS_PER_EXPERIMENT
        return (base / "outputs",), {}

    started = time.perf_counter()
    report = benchmark.pedantic(apply_migration, setup=fresh_tree, rounds=2, iterations=1)
    assert report.counts.checkpoints == EXPERIMENTS * CHECKPOINTS_PER_EXPERIMENT
    assert report.counts.runs == EXPERIMENTS
    assert benchmark.stats is not None
    seconds = benchmark.stats.stats.max
    print(
        f"\nmigrated {EXPERIMENTS} experiments / {report.counts.checkpoints} checkpoints by move: "
        f"{seconds:.1f} s (gate {GATE_SECONDS:.0f} s); {report.counts.steps} steps, "
        f"{report.counts.files_rewritten} rewritten files; whole test {time.perf_counter() - started:.0f} s"
    )
    assert seconds < GATE_SECONDS
    last_root = tmp_path / "round-1" / "outputs"
    assert len(CheckpointCatalog([last_root]).scan(index=False)) == report.counts.checkpoints
