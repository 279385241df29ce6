"""Real Hydra launches of an app that adopts the layout with one defaults line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ocr.layout import FolderKind, RootLayout, SweepLayout, classify_folder
from ocr.layout._shared import is_date_name

APP = Path(__file__).parent / "hydra_app" / "app.py"


def _launch(
    workdir: Path, *overrides: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(APP), *overrides],
        cwd=workdir,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _run(workdir: Path, *overrides: str) -> None:
    process = _launch(workdir, *overrides)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output


def _probe(folder: Path) -> dict[str, Any]:
    probe: dict[str, Any] = json.loads((folder / "probe.json").read_text())
    return probe


def _launch_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if is_date_name(p.parent.name))


@pytest.mark.parametrize(
    "chdir", [pytest.param(True, id="chdir"), pytest.param(False, id="no-chdir")]
)
def test_output_dir_is_the_timestamp_folder_when_chdir_is(chdir: bool, tmp_path: Path) -> None:
    _run(tmp_path, f"hydra.job.chdir={str(chdir).lower()}")
    root = tmp_path / "outputs"
    (run_dir,) = _launch_dirs(root)
    probe = _probe(run_dir)
    assert probe["output_dir"] == str(run_dir)
    assert RootLayout(root).location_of(run_dir).job_num is None
    assert classify_folder(run_dir, root=root) is FolderKind.RUN
    assert probe["cwd"] == str(run_dir if chdir else tmp_path)
    assert probe["run_dir_reads"] == [str(run_dir)] * 3
    assert probe["checkpoint_dir"] == str(run_dir / "checkpoints")
    assert probe["output_root"] == str(root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs"]
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert (run_dir / "app.log").is_file()


def test_relative_output_root_is_taken_from_the_launch_folder_when_chdir(tmp_path: Path) -> None:
    _run(tmp_path, "hydra.job.chdir=true", "paths.output_root=${ocr_root:elsewhere/runs}")
    root = tmp_path / "elsewhere" / "runs"
    (run_dir,) = _launch_dirs(root)
    assert _probe(run_dir)["output_root"] == str(root)


def test_two_launches_get_distinct_folders_when_started_in_the_same_second(tmp_path: Path) -> None:
    # Both processes import Hydra first, then wait for the same instant; on a
    # loaded machine one may still slip into the next second, so try again.
    for attempt in range(4):
        workdir = tmp_path / str(attempt)
        workdir.mkdir()
        start_at = math.ceil(time.time()) + 3.05
        env = {"OCR_TEST_START_AT": repr(start_at)}
        processes = [_launch(workdir, f"value={i}", env=env) for i in range(2)]
        for process in processes:
            output, _ = process.communicate(timeout=120)
            assert process.returncode == 0, output
        made = _launch_dirs(workdir / "outputs")
        assert len(made) == 2
        assert sorted(_probe(p)["value"] for p in made) == [0, 1]
        names = sorted(p.name for p in made)
        if names[0] == names[1].removesuffix("_1"):
            assert names[1] == f"{names[0]}_1"
            return
    pytest.fail("the two launches never landed in the same second")


@pytest.mark.parametrize(
    "launcher",
    [
        pytest.param("basic", id="basic"),
        pytest.param("joblib", id="joblib"),
        pytest.param("submitit_local", id="submitit-local"),
    ],
)
def test_multirun_puts_each_job_in_a_numbered_folder_when_swept(
    launcher: str, tmp_path: Path
) -> None:
    _run(tmp_path, "--multirun", "value=10,20", f"hydra/launcher={launcher}")
    root = tmp_path / "outputs"
    (sweep_dir,) = _launch_dirs(root)
    sweep = SweepLayout(sweep_dir)
    assert sweep.multirun_file.is_file()
    assert classify_folder(sweep_dir, root=root) is FolderKind.SWEEP
    assert [p.name for p in sweep.job_dirs()] == ["0", "1"]
    for job_num, value in enumerate((10, 20)):
        job_dir = sweep.job_dir(job_num)
        probe = _probe(job_dir)
        assert (probe["output_dir"], probe["job_num"], probe["value"]) == (
            str(job_dir),
            job_num,
            value,
        )
        assert classify_folder(job_dir, root=root) is FolderKind.SWEEP_JOB
        assert (job_dir / ".hydra" / "overrides.yaml").is_file()


def test_the_reference_trainer_groups_stay_off_a_foreign_apps_search_path_when_installed(
    tmp_path: Path,
) -> None:
    process = _launch(tmp_path, "--help")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    groups = output.split("== Configuration groups ==", 1)[1].split("== Config ==", 1)[0]
    assert "paths: default" in groups  # the app's own group
    assert not {"model:", "data:", "trainer:"} & set(groups.split())
    process = _launch(tmp_path, "--info", "searchpath")
    output, _ = process.communicate(timeout=120)
    assert "configs/searchpath" in output and "configs/train" not in output
