from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ocr.cli import main
from ocr.errors import InputPathError
from ocr.validate import SHORT_RUN, PipelineCheck, validate_pipeline

REPO = Path(__file__).parents[2]


def _fake(behaviour: str) -> list[str]:
    return [sys.executable, "-m", "tests.fake_launch", behaviour]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def _failed(report_results: list[tuple[PipelineCheck, bool, str]]) -> dict[str, str]:
    return {check.value: message for check, ok, message in report_results if not ok}


def _results(
    behaviour: str, project: Path, **options: object
) -> list[tuple[PipelineCheck, bool, str]]:
    report = validate_pipeline(_fake(behaviour), cwd=project, **options)  # type: ignore[arg-type]
    return [(r.check, r.ok, r.message) for r in report.results]


def test_every_check_holds_when_the_launch_is_in_the_layout(project: Path) -> None:
    report = validate_pipeline(_fake("good"), cwd=project)
    assert report.ok and [r.check for r in report.results] == list(PipelineCheck)
    assert report.command[-len(SHORT_RUN) :] == list(SHORT_RUN)
    assert report.command[len(_fake("good"))].startswith('++ocr.output_root="')
    assert not Path(report.output_root).exists()  # the temporary root is removed
    assert list(project.iterdir()) == []


def test_the_layout_and_strays_fail_with_the_fix_when_the_launch_writes_elsewhere(
    project: Path,
) -> None:
    failed = _failed(_results("elsewhere", project))
    assert set(failed) == {"layout", "record", "checkpoints", "validate", "strays"}
    assert failed["strays"] == (
        f"the launch wrote outside its run folder: {project / 'logs'}. Derive every output path "
        "from the run folder (${hydra:runtime.output_dir}), and let ocr's layout choose it"
    )


def test_the_launch_fails_with_its_last_error_line_when_the_command_fails(project: Path) -> None:
    failed = _failed(_results("crash", project))
    assert failed["launch"] == (
        "the command failed (exit 3): RuntimeError: the data folder is not mounted. Run it by "
        "hand with the overrides shown above and fix what it says"
    )


def test_an_empty_launch_folder_fails_when_the_launch_leaves_one(project: Path) -> None:
    failed = _failed(_results("empty", project))
    assert set(failed) == {"empty-folders", "validate"}  # validate: a run folder without record
    assert failed["empty-folders"].startswith("empty launch folders were left behind: outputs/")


def test_checkpoints_fail_when_the_launch_saves_none(project: Path) -> None:
    failed = _failed(_results("no-checkpoint", project))
    assert set(failed) == {"checkpoints"}


def test_the_launch_fails_when_it_runs_out_of_time(project: Path) -> None:
    failed = _failed(_results("slow", project, timeout=2))
    assert failed["launch"].startswith("the command failed (exit -1): did not finish within 2 s")


def test_the_temporary_root_stays_when_kept(project: Path) -> None:
    report = validate_pipeline(_fake("good"), cwd=project, keep=True, as_is=True)
    assert Path(report.output_root).is_dir()
    assert not set(SHORT_RUN) & set(report.command)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        pytest.param(
            [],
            "no training command given. Pass it after --, e.g. ocr validate --pipeline -- python "
            "train.py",
            id="none",
        ),
        pytest.param(
            ["/nonexistent/python"],
            "cannot start the training command '/nonexistent/python': No such file or directory. "
            "Pass a command that runs from this folder, e.g. python train.py",
            id="missing",
        ),
    ],
)
def test_a_pipeline_is_refused_with_one_line_when_the_command_is_wrong(
    command: list[str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(InputPathError) as info:
        validate_pipeline(command, cwd=tmp_path)
    assert str(info.value) == message


def test_the_command_line_prints_each_check_and_exits_1_when_one_fails(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    assert main(["validate", "--pipeline", "--", *_fake("elsewhere")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"launched: {sys.executable} -m tests.fake_launch elsewhere ")
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ["ok", "launch"],
        ["FAIL", "layout"],
        ["FAIL", "record"],
        ["FAIL", "checkpoints"],
        ["FAIL", "validate"],
        ["ok", "empty-folders"],
        ["FAIL", "strays"],
    ]
    assert lines[-1] == "result: 5 check(s) failed"


def test_the_command_line_prints_stable_json_when_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    assert main(["validate", "--format", "json", "--pipeline", "--", *_fake("good")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["schema_version", "command", "output_root", "results", "ok"]
    assert data["ok"] is True and [r["check"] for r in data["results"]] == [
        c.value for c in PipelineCheck
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["validate", "a", "b"],
            "ocr: error: ocr validate takes one ROOT, got 2. Pass the output root (ocr validate "
            "outputs), or check a training command with ocr validate --pipeline -- python train.py\n",
            id="two-roots",
        ),
        pytest.param(
            ["validate", "--pipeline"],
            "ocr: error: no training command given. Pass it after --, e.g. ocr validate "
            "--pipeline -- python train.py\n",
            id="no-command",
        ),
    ],
)
def test_the_command_line_says_what_to_pass_when_the_arguments_are_wrong(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == message
