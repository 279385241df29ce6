"""Real trainings of the reference trainer through its Hydra entry point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ocr.layout import RootLayout, RunLayout, SweepLayout
from ocr.metadata import read_metadata
from ocr.naming import is_checkpoint_file, sidecar_path
from ocr.registry import ExperimentRegistry, Status, read_record
from ocr.train.entry import SIGTERM_EXIT_CODE
from tests.unprivileged import as_other_user, hand_over, unprivileged_env

REPO = Path(__file__).parents[2]
TINY = [
    "data.train_size=16",
    "data.val_size=8",
    "data.batch_size=8",
    "model.width=4",
    "trainer.log_every_n_steps=1",
]


def _train(
    workdir: Path, *overrides: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocr.train", *overrides],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.timeout(300)
def test_a_run_keeps_everything_in_its_folder_when_trained_in_an_empty_folder(
    tmp_path: Path,
) -> None:
    done = _train(tmp_path, "trainer.max_epochs=3", *TINY)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["outputs"]
    (run_dir,) = RootLayout(tmp_path / "outputs").run_dirs()
    layout = RunLayout(run_dir)
    assert layout.config_file.is_file() and layout.overrides_file.is_file()
    assert (layout.log_dir / "metrics.csv").is_file()
    assert layout.log_file("train").is_file()
    checkpoints = sorted(p for p in layout.checkpoint_dir.iterdir() if is_checkpoint_file(p))
    assert "last.ckpt" in {p.name for p in checkpoints} and len(checkpoints) >= 2
    record = read_record(layout.record_file)
    assert record.status is Status.COMPLETED
    assert record.best_checkpoint is not None and (run_dir / record.best_checkpoint).is_file()
    assert {"val/hmean", "val/loss"} <= record.metrics.keys()
    assert record.log_file == "train.log"
    for checkpoint in checkpoints:
        metadata = read_metadata(sidecar_path(checkpoint))
        assert metadata.experiment.id == record.id
        assert metadata.config.config_hash == record.config_hash
    assert f"experiment {record.id}" in layout.log_file("train").read_text()
    assert record.artifact_dir == "artifacts"
    assert "ERROR" not in layout.log_file("train").read_text()
    assert (layout.artifact_dir / "val_predictions.json").is_file()
    assert not (tmp_path / "lightning_logs").exists()


@pytest.mark.timeout(300)
def test_training_resumes_from_a_checkpoint_when_its_quoted_path_holds_equals_signs(
    tmp_path: Path,
) -> None:
    assert _train(tmp_path, "trainer.max_epochs=2", *TINY).returncode == 0
    (first,) = RootLayout(tmp_path / "outputs").run_dirs()
    (epoch_0,) = RunLayout(first).checkpoint_dir.glob("epoch=00-*.ckpt")
    relative = epoch_0.relative_to(tmp_path).as_posix()
    assert relative.count("=") >= 3
    done = _train(tmp_path, "trainer.max_epochs=2", *TINY, f"experiment.resume_from='{relative}'")
    assert done.returncode == 0, done.stderr
    (resumed,) = set(RootLayout(tmp_path / "outputs").run_dirs()) - {first}
    saved = sorted(p.name for p in RunLayout(resumed).checkpoint_dir.glob("epoch=*.ckpt"))
    assert [name.split("-")[0] for name in saved] == ["epoch=01"]  # epoch 0 was not trained again
    record = read_record(RunLayout(resumed).record_file)
    assert record.status is Status.COMPLETED
    assert record.config_hash == read_record(RunLayout(first).record_file).config_hash


@pytest.mark.timeout(300)
def test_the_record_says_failed_with_the_error_when_a_step_raises(tmp_path: Path) -> None:
    done = _train(
        tmp_path,
        "model._target_=tests.integration.failing_module.FailingModule",
        "trainer.max_epochs=3",
        *TINY,
    )
    assert done.returncode != 0
    (run_dir,) = RootLayout(tmp_path / "outputs").run_dirs()
    record = read_record(RunLayout(run_dir).record_file)
    assert record.status is Status.FAILED
    assert record.error == "RuntimeError: boom in training_step"
    assert record.ended_at is not None


@pytest.mark.timeout(300)
def test_the_record_names_the_newest_best_checkpoint_when_interrupted_after_it(
    tmp_path: Path,
) -> None:
    # Issue #11 item 20: the record lagged one validation behind the checkpoints.
    done = _train(
        tmp_path,
        "model._target_=tests.integration.failing_module.InterruptedModule",
        "checkpoint.monitor=val/score",
        "checkpoint.save_top_k=1",
        "trainer.max_epochs=5",
        *TINY,
    )
    assert done.returncode != 0
    (run_dir,) = RootLayout(tmp_path / "outputs").run_dirs()
    record = read_record(RunLayout(run_dir).record_file)
    assert record.status is Status.INTERRUPTED
    best = [
        path.name
        for path in RunLayout(run_dir).checkpoint_dir.iterdir()
        if is_checkpoint_file(path) and read_metadata(sidecar_path(path)).training.is_best
    ]
    assert best == ["epoch=01-step=000004-val_score=2.0000.ckpt"]
    assert record.best_checkpoint == f"checkpoints/{best[0]}"
    assert record.best_metrics == {"val/score": 2.0}


@pytest.mark.timeout(300)
def test_mark_stale_interrupts_a_run_when_its_process_was_killed(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ocr.train", "trainer.max_epochs=10000", *TINY],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        run_dir = _wait_for_a_checkpoint(tmp_path / "outputs", timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    record_file = RunLayout(run_dir).record_file
    assert read_record(record_file).status is Status.RUNNING
    done = subprocess.run(
        [sys.executable, "-m", "ocr.cli", "registry", "mark-stale", str(tmp_path / "outputs")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = read_record(record_file)
    assert record.status is Status.INTERRUPTED
    assert record.error == f"marked interrupted: its process {record.pid} on {record.host} is gone"
    assert done.stdout.endswith("1 run(s) marked interrupted\n")


@pytest.mark.timeout(300)
def test_the_record_says_interrupted_when_training_gets_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ocr.train", "trainer.max_epochs=10000", *TINY],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run_dir = _wait_for_a_checkpoint(tmp_path / "outputs", timeout=120)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    finally:
        process.kill()
    record = read_record(RunLayout(run_dir).record_file)
    assert record.status is Status.INTERRUPTED
    assert record.error == "SIGTERMException: stopped by a signal"
    assert process.returncode == SIGTERM_EXIT_CODE  # never 0: it did not succeed


@pytest.mark.timeout(300)
def test_training_exits_143_when_sigterm_comes_after_its_last_step(tmp_path: Path) -> None:
    done = _train(
        tmp_path,
        "model._target_=tests.integration.sigterm_module.SigtermAtTrainEnd",
        "trainer.max_epochs=1",
        *TINY,
    )
    assert done.returncode == SIGTERM_EXIT_CODE, done.stderr
    assert done.stderr.splitlines()[-1] == "ocr-train: stopped by SIGTERM"
    (run_dir,) = RootLayout(tmp_path / "outputs").run_dirs()
    assert read_record(RunLayout(run_dir).record_file).status is Status.COMPLETED  # it did


@pytest.mark.parametrize(
    ("make_root", "why"),
    [
        pytest.param("file", "Not a directory", id="a-file"),
        pytest.param("read-only", "Permission denied", id="a-read-only-folder"),
    ],
)
@pytest.mark.timeout(120)
def test_an_output_root_that_cannot_hold_runs_is_one_line_and_exit_2(
    make_root: str, why: str, shared_folder: Path
) -> None:
    root = shared_folder / "root"
    if make_root == "file":
        root.write_text("not a folder")
    else:
        root.mkdir()
        hand_over(shared_folder)
        root.chmod(0o555)
    done = subprocess.run(
        [*as_other_user(), sys.executable, "-m", "ocr.train", f"paths.output_root={root}"],
        cwd=shared_folder,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
        env=unprivileged_env() | {"PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2, done.stderr
    # ocr's launch callback (the layout, adopted) meets the root first; ocr-train
    # says the same where no callback runs.
    assert done.stderr == (
        f"ocr: error: cannot create a run folder under {str(root)!r}: {why}. Choose a "
        "writable output root (paths.output_root=...)\n"
    )


def _wait_for_a_checkpoint(root: Path, *, timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run_dir in RootLayout(root).run_dirs():
            if any(RunLayout(run_dir).checkpoint_dir.glob("*.ckpt")):
                return run_dir
        time.sleep(0.2)
    pytest.fail(f"no checkpoint appeared under {root} in {timeout} s")


@pytest.mark.timeout(420)
@pytest.mark.parametrize(
    "launcher",
    [pytest.param("joblib", id="joblib"), pytest.param("submitit_local", id="submitit-local")],
)
def test_every_job_of_a_sweep_is_registered_when_launched(launcher: str, tmp_path: Path) -> None:
    done = _train(
        tmp_path,
        "--multirun",
        f"hydra/launcher={launcher}",
        "model.encoder=tiny_cnn,tiny_resnet",
        "model.decoder=unet,fpn",
        "trainer.max_epochs=1",
        *TINY,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    sweep = SweepLayout(next(RootLayout(tmp_path / "outputs").run_dirs()).parent)
    sweep_record: dict[str, Any] = json.loads(sweep.record_file.read_text())
    runs = ExperimentRegistry(tmp_path / "outputs").query(sweep_id=sweep_record["id"])
    assert sorted(r.record.job_num for r in runs if r.record.job_num is not None) == [0, 1, 2, 3]
    assert all(r.record.status is Status.COMPLETED for r in runs)
    assert {r.run_dir for r in runs} == set(sweep.job_dirs())
    assert len({r.record.config_hash for r in runs}) == 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            ["model.encoder=vit"],
            "ocr-train: error: unknown encoder 'vit'. Use one of: tiny_cnn, tiny_resnet",
            id="unknown-encoder",
        ),
        pytest.param(
            ["data=receipts_json"],
            "ocr-train: error: the config value 'data.annotation_file' is required. "
            "Set it on the command line, e.g. data.annotation_file=...",
            id="missing-value",
        ),
    ],
)
@pytest.mark.timeout(120)
def test_bad_input_prints_one_line_and_exits_2_when_training(
    overrides: list[str], message: str, tmp_path: Path
) -> None:
    done = _train(tmp_path, *overrides)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in done.stderr
