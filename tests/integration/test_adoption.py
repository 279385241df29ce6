"""A foreign Lightning + Hydra project adopts ocr with one defaults line (issue #16).

The project (``foreign_project/``, laid out like the lightning-hydra-template)
is copied into a temporary folder and launched as its users launch it: its own
``foreign/train.py``, from a subfolder, as a joblib sweep, with a crash before
``fit``, with a debug config, and with the settings ocr must refuse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ocr.layout import RootLayout, RunLayout, SweepLayout
from ocr.layout._shared import is_date_name
from ocr.metadata import read_metadata
from ocr.naming import is_checkpoint_file, sidecar_path
from ocr.registry import Status, read_record, read_sweep_record

PROJECT = Path(__file__).parent / "foreign_project"
ONE_LINE = "  - ocr # adopt ocr: timestamp run folders, checkpoint sidecars, experiment records\n"
pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _launch(
    project: Path, *overrides: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(project / "foreign" / "train.py"), *overrides],
        cwd=cwd or project,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PROJECT_ROOT"},
    )


def _ocr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocr.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


def _checkpoints(run_dir: Path) -> list[Path]:
    folder = RunLayout(run_dir).checkpoint_dir
    return sorted(p for p in folder.iterdir() if is_checkpoint_file(p)) if folder.is_dir() else []


def _launch_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if is_date_name(p.parent.name))


def _lock_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.lock") if ".ocr" not in p.relative_to(folder).parts)


def test_a_launch_from_a_subfolder_lands_in_the_project_layout_when_adopted_with_one_line(
    project: Path,
) -> None:
    subfolder = project / "scripts"
    subfolder.mkdir()
    done = _launch(project, cwd=subfolder)
    assert done.returncode == 0, done.stderr
    # The root is the project's (paths.root_dir), not the launch folder's.
    assert sorted(p.name for p in project.iterdir() if not p.name.startswith(".")) == [
        "README.md",
        "configs",
        "foreign",
        "outputs",
        "scripts",
    ]
    assert list(subfolder.iterdir()) == []
    root = project / "outputs"
    (run_dir,) = RootLayout(root).run_dirs()
    assert _launch_folders(root) == [run_dir]
    # Each take-over was said in one line.
    taken = [line for line in done.stdout.splitlines() if "] ocr: " in line]
    assert len(taken) == 2, done.stdout
    assert "hydra.run.dir" in taken[0] and f"launches go under {str(root)!r}" in taken[0]
    assert "callbacks.model_checkpoint (lightning.pytorch.callbacks.ModelCheckpoint)" in taken[1]
    assert "keeping monitor='val/acc', mode='max', save_top_k=1, save_last=True" in taken[1]
    record = read_record(RunLayout(run_dir).record_file)
    assert (record.status, record.task_name, record.tags) == (Status.COMPLETED, "train", ["dev"])
    assert record.log_file == "train.log" and (run_dir / "train.log").is_file()
    checkpoints = _checkpoints(run_dir)
    assert [p.name for p in checkpoints][-1] == "last.ckpt" and len(checkpoints) == 2
    best = checkpoints[0]
    assert best.name.startswith("epoch=") and "-val_acc=" in best.name
    assert record.best_checkpoint == f"checkpoints/{best.name}"
    sidecars = {p.name: read_metadata(sidecar_path(p)) for p in checkpoints}
    assert (
        sidecars[best.name].training.is_best and sidecars[best.name].training.monitor == "val/acc"
    )
    assert {s.model.architecture for s in sidecars.values()} == {"SimpleDenseNet"}
    assert {s.experiment.id for s in sidecars.values()} == {record.id}
    assert _lock_files(root) == []
    assert _ocr("validate", "outputs", cwd=project).returncode == 0


def test_the_catalog_and_registry_know_the_task_and_metric_when_adopted(project: Path) -> None:
    assert _launch(project).returncode == 0
    table = _ocr("catalog", "outputs", cwd=project)
    assert table.returncode == 0, table.stderr
    header = table.stdout.splitlines()[0].split()
    assert "val/acc" in header and "val/hmean" not in header
    found = _ocr(
        "catalog",
        "outputs",
        "--task",
        "train",
        "--where",
        "val/acc >= 0 and is_best = true",
        "--format",
        "json",
        cwd=project,
    )
    assert found.returncode == 0, found.stderr
    (entry,) = json.loads(found.stdout)
    assert (entry["task"], entry["monitor"], entry["architecture"]) == (
        "train",
        "val/acc",
        "SimpleDenseNet",
    )
    assert (
        json.loads(
            _ocr("catalog", "outputs", "--task", "eval", "--format", "json", cwd=project).stdout
        )
        == []
    )
    listed = _ocr("registry", "list", "outputs", "--task", "train", "--format", "json", cwd=project)
    assert [run["task_name"] for run in json.loads(listed.stdout)] == ["train"]


def test_a_two_job_sweep_lands_in_one_sweep_folder_when_launched_with_joblib(
    project: Path,
) -> None:
    done = _launch(
        project, "-m", "seed=1,2", "hydra/launcher=joblib", "ocr.checkpoint_names=underscore"
    )
    assert done.returncode == 0, done.stderr
    root = project / "outputs"
    (sweep_dir,) = _launch_folders(root)
    sweep = SweepLayout(sweep_dir)
    assert sweep.multirun_file.is_file()
    sweep_id = read_sweep_record(sweep.record_file).id
    jobs = list(sweep.job_dirs())
    assert [job.name for job in jobs] == ["0", "1"]
    for job in jobs:
        record = read_record(RunLayout(job).record_file)
        assert (record.status, record.sweep_id) == (Status.COMPLETED, sweep_id)
        names = [p.name for p in _checkpoints(job)]
        assert names[-1] == "last.ckpt" and all("=" not in name for name in names)
        assert names[0].startswith("epoch_") and "-val_acc_" in names[0]
    assert not (project / "logs").exists()
    assert _lock_files(root) == []
    assert _ocr("validate", "outputs", cwd=project).returncode == 0


def test_a_checkpoint_name_without_equals_passes_back_unquoted_when_resuming(
    project: Path,
) -> None:
    assert _launch(project, "ocr.checkpoint_names=underscore").returncode == 0
    (run_dir,) = RootLayout(project / "outputs").run_dirs()
    best = _checkpoints(run_dir)[0]
    resumed = _launch(
        project, f"ckpt_path={best}", "trainer.max_epochs=4", "ocr.checkpoint_names=underscore"
    )
    assert resumed.returncode == 0, resumed.stderr
    (again,) = [p for p in RootLayout(project / "outputs").run_dirs() if p != run_dir]
    assert (
        f"Restoring states from the checkpoint path at {best}" in (again / "train.log").read_text()
    )
    assert read_record(RunLayout(again).record_file).status is Status.COMPLETED


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        pytest.param(
            ("crash_before_fit=true",),
            Status.FAILED,
            "RuntimeError: the data folder is not mounted",
            id="crash-before-fit",
        ),
        pytest.param(("train=false", "test=false"), Status.COMPLETED, None, id="never-trains"),
    ],
)
def test_every_launch_has_a_record_when_it_never_reaches_fit(
    overrides: tuple[str, ...], status: Status, error: str | None, project: Path
) -> None:
    done = _launch(project, *overrides)
    assert (done.returncode == 0) is (status is Status.COMPLETED), done.stderr
    (run_dir,) = RootLayout(project / "outputs").run_dirs()
    record = read_record(RunLayout(run_dir).record_file)
    assert (record.status, record.error, record.best_checkpoint) == (status, error, None)
    assert _checkpoints(run_dir) == []
    assert _ocr("validate", "outputs", cwd=project).returncode == 0


def test_a_debug_launch_without_callbacks_keeps_its_record_and_sidecars(project: Path) -> None:
    done = _launch(project, "debug=default")
    assert done.returncode == 0, done.stderr
    assert "ocr keeps its own (ocr_recorder, ocr_checkpoint)" in done.stdout
    (run_dir,) = RootLayout(project / "outputs").run_dirs()
    record = read_record(RunLayout(run_dir).record_file)
    assert (record.status, record.task_name, record.log_file) == (
        Status.COMPLETED,
        "debug",
        "debug.log",
    )
    assert _checkpoints(run_dir) and all(sidecar_path(p).is_file() for p in _checkpoints(run_dir))
    assert _ocr("validate", "outputs", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        pytest.param(
            ("hydra.run.dir=/tmp/elsewhere",),
            "ocr: error: hydra.run.dir is set on the command line to '/tmp/elsewhere', but ocr's "
            "layout keeps every launch under '{root}'. Drop the hydra.run.dir override, "
            "and choose the root with ocr.output_root=...",
            id="run-dir-on-the-command-line",
        ),
        pytest.param(
            (
                "+callbacks.best_loss._target_=lightning.pytorch.callbacks.ModelCheckpoint",
                "+callbacks.best_loss.monitor=val/loss",
            ),
            "ocr: error: the launch config holds 2 ModelCheckpoints (callbacks.model_checkpoint, "
            "callbacks.best_loss); ocr's UniqueModelCheckpoint takes over one, and a second would "
            "save checkpoints without sidecars. Keep one: remove the others from the config, or "
            "set callbacks.best_loss=null",
            id="a-second-model-checkpoint",
        ),
        pytest.param(
            ("callbacks.model_checkpoint.dirpath=/tmp/shared-checkpoints",),
            "ocr: error: callbacks.model_checkpoint saves checkpoints to '/tmp/shared-checkpoints', "
            "outside the run folder; ocr keeps them with their sidecars in <run folder>/checkpoints. "
            "Remove callbacks.model_checkpoint.dirpath, or point it inside the run folder "
            "(${paths.output_dir}/checkpoints)",
            id="checkpoints-outside-the-run",
        ),
    ],
)
def test_the_launch_stops_with_one_line_when_ocr_cannot_take_over(
    overrides: tuple[str, ...], line: str, project: Path
) -> None:
    done = _launch(project, *overrides)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == line.replace("{root}", str(project / "outputs"))
    assert "Traceback" not in done.stderr
    assert _launch_folders(project / "outputs") == []
    assert not (project / "logs").exists()


def test_the_pipeline_check_passes_when_ocr_is_the_last_default(project: Path) -> None:
    train_yaml = project / "configs" / "train.yaml"
    text = train_yaml.read_text().replace(ONE_LINE, "")
    train_yaml.write_text(text.replace("  - debug: null\n", "  - debug: null\n  - ocr\n"))
    done = _ocr("validate", "--pipeline", "--", sys.executable, "foreign/train.py", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ["ok", "launch"],
        ["ok", "layout"],
        ["ok", "record"],
        ["ok", "checkpoints"],
        ["ok", "validate"],
        ["ok", "empty-folders"],
        ["ok", "strays"],
    ]
    assert lines[-1] == "result: ok, every check holds"
    assert not (project / "outputs").exists()


def test_the_pipeline_check_fails_with_the_fix_when_the_project_has_not_adopted(
    project: Path,
) -> None:
    train_yaml = project / "configs" / "train.yaml"
    train_yaml.write_text(train_yaml.read_text().replace(ONE_LINE, ""))
    done = _ocr("validate", "--pipeline", "--", sys.executable, "foreign/train.py", cwd=project)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("FAIL")}
    assert set(failed) == {"layout", "record", "checkpoints", "validate", "strays"}
    assert failed["layout"].endswith(
        "nothing landed in the output root ocr gave the launch: it does not use ocr's layout. "
        "Add `- ocr` to the defaults list of the primary config (see docs/adopt.md)"
    )
    assert f"the launch wrote outside its run folder: {project / 'logs'}." in failed["strays"]
