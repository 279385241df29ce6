from __future__ import annotations

import json
import os
import stat
from typing import TYPE_CHECKING

import pytest

from ocr.cli import main
from ocr.layout import RootLayout, RunLayout
from ocr.naming import sidecar_path
from ocr.validate import ValidationReport
from tests.unit.test_validate import FIRST, SWEEP_JOB, build_healthy_root

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SUMMARY = [
    "checked: catalog, sidecars, config-hashes, records, mappings",
    "found: 6 checkpoints, 5 sidecars, 6 config hashes, 2 runs, 2 records, 1 mapping file "
    "(1 entry)",
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return build_healthy_root(tmp_path / "outputs")


def _break(root: Path) -> None:
    """Two problems: a missing sidecar and a missing record."""
    sidecar_path(root / FIRST / "checkpoints" / "last.ckpt").unlink()
    RunLayout(root / SWEEP_JOB).record_file.unlink()


def test_validate_prints_a_summary_and_exits_0_when_every_check_holds(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(root)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"root: {root}",
        *SUMMARY,
        "result: ok, every check holds",
    ]
    assert captured.err == ""


def test_validate_prints_one_line_per_problem_and_exits_1_when_a_check_fails(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(root)
    assert main(["validate", str(root)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:4] == [
        SUMMARY[0],
        "found: 6 checkpoints, 4 sidecars, 4 config hashes, 2 runs, 1 record, 1 mapping file "
        "(1 entry)",
        "result: 2 problems",
    ]
    assert lines[4].startswith(f"outputs/{FIRST}/checkpoints/last.ckpt: sidecar-missing: ")
    assert lines[5].startswith(f"outputs/{SWEEP_JOB}: record-missing: the run folder has no ")
    assert len(lines) == 6


def test_validate_prints_stable_json_when_asked(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(root)
    assert main(["validate", str(root), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["schema_version", "root", "ok", "checks", "counts", "problems"]
    assert (data["schema_version"], data["root"], data["ok"]) == (1, root.as_posix(), False)
    assert data["checks"] == ["catalog", "sidecars", "config-hashes", "records", "mappings"]
    assert data["counts"] == {
        "checkpoints": 6,
        "sidecars": 4,
        "config_hashes": 4,
        "runs": 2,
        "records": 1,
        "mappings": 1,
        "mapping_entries": 1,
    }
    assert [list(problem) for problem in data["problems"]] == [
        ["check", "kind", "path", "message"]
    ] * 2
    assert [(p["check"], p["kind"]) for p in data["problems"]] == [
        ("sidecars", "sidecar-missing"),
        ("records", "record-missing"),
    ]
    assert ValidationReport.model_validate(data).problems[1].path == f"outputs/{SWEEP_JOB}"


def test_validate_writes_a_markdown_report_atomically_when_asked(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break(root)
    target = tmp_path / "report.md"
    assert main(["validate", str(root), "--report", str(target)]) == 1
    assert "result: 2 problems" in capsys.readouterr().out
    lines = target.read_text().splitlines()
    assert lines[:11] == [
        "# Validation report",
        "",
        f"- Root: `{root}`",
        "- Result: **failed, 2 problems**",
        "",
        "| check | looked at | problems |",
        "|---|---|---|",
        "| catalog | 6 checkpoints | 0 |",
        "| sidecars | 4 sidecars | 1 |",
        "| config-hashes | 4 config hashes | 0 |",
        "| records | 2 runs, 1 record | 1 |",
    ]
    assert lines[11:17] == [
        "| mappings | 1 mapping file, 1 entry | 0 |",
        "",
        "## Problems",
        "",
        "| check | kind | path | problem |",
        "|---|---|---|---|",
    ]
    assert lines[17].startswith(
        f"| sidecars | sidecar-missing | `outputs/{FIRST}/checkpoints/last.ckpt` | the checkpoint"
    )
    assert len(lines) == 19
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_validate_report_says_none_when_every_check_holds(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    assert main(["validate", str(root), "--format", "json", "--report", str(target)]) == 0
    text = target.read_text()
    assert "- Result: **ok**" in text
    assert text.endswith("## Problems\n\nNone.\n")


def test_validate_keeps_each_problem_on_one_line_when_paths_hold_newlines(
    weird_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_healthy_root(weird_path / "out|puts")
    _break(root)
    report = weird_path / "report.md"
    assert main(["validate", str(root), "--report", str(report)]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 6
    problems = report.read_text().split("## Problems\n\n", 1)[1].splitlines()
    assert len(problems) == 4
    rows = [line for line in problems if not line.startswith("|---")]
    assert all(line.count(" | ") == 3 for line in rows)  # every '|' in a path is escaped


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["validate", "{missing}"],
            "ocr: error: output root '{missing}' is not a folder ('{missing}'). "
            "Pass the folder that holds your runs (default: ./outputs)\n",
            id="missing-root",
        ),
        pytest.param(
            ["validate", "{file}"],
            "ocr: error: output root '{file}' is not a folder ('{file}'). "
            "Pass the folder that holds your runs (default: ./outputs)\n",
            id="root-is-a-file",
        ),
        pytest.param(
            ["validate", "{root}", "--report", "{missing}/report.md"],
            "ocr: error: report path '{missing}/report.md' is not a file in an existing folder "
            "('{missing}/report.md'). Pass a file path whose folder exists to --report\n",
            id="report-folder-missing",
        ),
        pytest.param(
            ["validate", "{root}", "--report", "{root}"],
            "ocr: error: report path '{root}' is not a file in an existing folder ('{root}'). "
            "Pass a file path whose folder exists to --report\n",
            id="report-is-a-folder",
        ),
    ],
)
def test_validate_prints_one_line_and_exits_2_when_input_is_bad(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "outputs"
    root.mkdir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    values = {"missing": str(tmp_path / "missing"), "file": str(a_file), "root": str(root)}
    assert main([arg.format(**values) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.err == message.format(**values)
    assert captured.out == ""
    assert not RootLayout(root).state_dir.exists()  # bad input is refused before any check runs


def test_validate_reports_an_unwritable_report_with_one_line_when_writing_fails(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("ocr.validate.write_markdown", refuse)
    target = tmp_path / "report.md"
    assert main(["validate", str(root), "--report", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"ocr: error: cannot write the report {str(target)!r}: Permission denied. "
        "Pass a writable file path to --report\n"
    )


def test_validate_needs_a_root_when_called_without_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 2
    assert capsys.readouterr().err == (
        "ocr: error: ocr validate takes one ROOT, got 0. Pass the output root (ocr validate "
        "outputs), or check a training command with ocr validate --pipeline -- python train.py\n"
    )


def _fifo(folder: Path) -> Path:
    path = folder / "report.fifo"
    os.mkfifo(path)
    return path


def _device(folder: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("only root may make a device node to stand for /dev/null")
    path = folder / "null"
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    return path


def _link_to_device(folder: Path) -> Path:
    link = folder / "report.md"
    link.symlink_to(_device(folder))
    return link


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_fifo, id="fifo"),
        pytest.param(_device, id="device"),
        pytest.param(_link_to_device, id="link-to-a-device"),
    ],
)
def test_validate_refuses_a_report_path_that_is_no_regular_file(
    make: Callable[[Path], Path], root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = make(tmp_path)
    target = given.resolve()
    kind = stat.S_IFMT(target.lstat().st_mode)
    assert main(["validate", str(root), "--report", str(given)]) == 2
    assert capsys.readouterr().err == (
        f"ocr: error: report path {str(given)!r} is not a regular file ({str(target)!r} is a "
        "device, FIFO or socket), and writing the report would replace it. Pass a regular file "
        "or a new path to --report\n"
    )
    assert stat.S_IFMT(target.lstat().st_mode) == kind  # still what it was
