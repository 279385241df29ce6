"""``ocr ablation`` on a real sweep: a Hydra multirun (joblib launcher) of the reference trainer."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from ocr.layout import RunLayout
from ocr.naming import parse_checkpoint_name
from ocr.registry import Status, read_record
from tests.tree_snapshot import snapshot

__all__: list[str] = []

REPO: Final = Path(__file__).parents[2]
TINY: Final = (
    "data=synthetic_hard",
    "data.train_size=16",
    "data.val_size=8",
    "data.batch_size=8",
    "data.height=48",
    "data.width=32",
    "model.width=4",
    "trainer.max_epochs=2",
    "trainer.log_every_n_steps=1",
)


def _run(workdir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.timeout(600)
def test_ablation_of_a_joblib_sweep_matches_the_runs_own_records_when_run(tmp_path: Path) -> None:
    sweep = (
        "--multirun",
        "hydra/launcher=joblib",
        "model.encoder=tiny_cnn,tiny_resnet",
        "seed=0,1",
    )
    trained = _run(tmp_path, "ocr.train", *sweep, *TINY)
    assert trained.returncode == 0, trained.stderr
    outputs = tmp_path / "outputs"
    before = snapshot(outputs)

    done = _run(tmp_path, "ocr.cli", "ablation", "outputs", "--format", "json", "--plot", "a.png")

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"plot: {tmp_path / 'a.png'}\n"
    assert (tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")
    data: dict[str, Any] = json.loads(done.stdout)
    assert (data["factors"], data["metric"], data["mode"]) == (
        ["model.encoder"],
        "val/hmean",
        "max",
    )
    assert [(g["factors"], g["n"]) for g in data["groups"]] == [
        ({"model.encoder": "tiny_cnn"}, 2),
        ({"model.encoder": "tiny_resnet"}, 2),
    ]
    assert len(data["runs"]) == 4 and data["excluded"] == []
    for run in data["runs"]:
        record = read_record(RunLayout(Path(run["run_dir"])).record_file)
        assert record.status is Status.COMPLETED
        assert (run["experiment_id"], run["sweep_id"]) == (record.id, record.sweep_id)
        assert f"model.encoder={run['factors']['model.encoder']}" in record.overrides
        assert f"seed={run['seed']}" in record.overrides
        assert run["best"]["value"] == pytest.approx(record.best_metrics["val/hmean"])
        assert run["last"]["value"] == pytest.approx(record.metrics["val/hmean"])
        assert record.best_checkpoint is not None
        best = parse_checkpoint_name(Path(record.best_checkpoint).name)
        assert best is not None and run["best"]["epoch"] == best.epoch
    for group in data["groups"]:
        values = [run["best"]["value"] for run in data["runs"] if run["run"] in group["runs"]]
        assert group["mean"] == pytest.approx(statistics.fmean(values))
    after = snapshot(outputs)
    assert {p: s for p, s in after.items() if not p.startswith(".ocr")} == {
        p: s for p, s in before.items() if not p.startswith(".ocr")
    }  # nothing written into the runs
