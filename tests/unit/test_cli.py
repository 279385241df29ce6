from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from ocr.catalog import ENTRY_FIELDS
from ocr.cli import main
from ocr.layout import allocate_launch_dir
from ocr.registry import ExperimentRegistry, Status

LAUNCH = datetime(2025, 10, 18, 14, 3, 22)
FIXTURES = Path(__file__).parents[2] / "fixtures"


@pytest.fixture
def populated(run_root: Path) -> list[str]:
    run_root.mkdir()
    registry = ExperimentRegistry(run_root)
    ids = []
    for name in ("alpha", "beta"):
        run_dir = allocate_launch_dir(run_root, now=LAUNCH)
        ids.append(registry.start_run(run_dir, name=name, tags=[name]).id)
    registry.update_run(
        registry.get(ids[0]).run_dir, status=Status.COMPLETED, best_metrics={"val/hmean": 0.93}
    )
    return ids


def test_registry_list_prints_a_table_when_asked(
    populated: list[str], run_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "list", str(run_root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "status", "name", "task", "started", "best", "run_dir"]
    assert lines[2].split()[:3] == [populated[1], "running", "beta"]
    assert "val/hmean=0.9300" in lines[3]


def test_registry_list_prints_stable_json_when_asked(
    populated: list[str], run_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["registry", "list", str(run_root), "--status", "completed", "--format", "json"]) == 0
    )
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["id"] == populated[0]
    assert entry["status"] == "completed"
    assert entry["path"] == str(run_root / "2025-10-18" / "14-03-22")
    assert {"name", "created_at", "best_metrics", "sweep_id", "job_num", "tags"} <= entry.keys()


def test_registry_show_finds_a_run_by_prefix_when_asked(
    populated: list[str], run_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "show", populated[0][:12], str(run_root), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == populated[0]
    assert main(["registry", "show", populated[1], str(run_root)]) == 0
    assert f"id: {populated[1]}" in capsys.readouterr().out


def test_registry_rebuild_and_mark_stale_report_counts_when_run(
    populated: list[str], run_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "rebuild", str(run_root)]) == 0
    assert capsys.readouterr().out == "rebuilt the registry index from 2 run records\n"
    assert main(["registry", "mark-stale", str(run_root)]) == 0
    assert capsys.readouterr().out == "0 run(s) marked interrupted\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["registry", "list", "{missing}"],
            "ocr: error: output root '{missing}' is not a folder ('{missing}'). "
            "Pass the folder that holds your runs (default: ./outputs)\n",
            id="missing-root",
        ),
        pytest.param(
            ["registry", "show", "zzz", "{root}"],
            "ocr: error: no experiment has the ID 'zzz'. List the IDs with `ocr registry list`\n",
            id="unknown-id",
        ),
    ],
)
def test_bad_input_prints_one_line_and_exits_2_when_given(
    argv: list[str],
    message: str,
    run_root: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_root.mkdir()
    missing = str(run_root / "missing")
    argv = [a.format(missing=missing, root=run_root) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == message.format(missing=missing)
    assert captured.out == ""


def test_full_error_reraises_when_asked(run_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCR_FULL_ERROR", "1")
    with pytest.raises(FileNotFoundError):
        main(["registry", "list", str(run_root / "missing")])


@pytest.fixture
def catalog_root(run_root: Path) -> Path:
    shutil.copytree(FIXTURES / "legacy" / "A" / "outputs", run_root)
    return run_root


def test_catalog_prints_a_table_with_dashes_for_unknowns_when_asked(
    catalog_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", str(catalog_root), "--search", "größer"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["created_at", "name", "architecture", "encoder"]
    row = lines[2]
    assert " - " in row and "None" not in row and "unknown" not in row
    assert lines[-1] == "1 checkpoint(s)"


def test_catalog_prints_stable_json_with_nulls_when_asked(
    catalog_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", str(catalog_root), "--format", "json", "--min", "hmean=0.8"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries
    assert all(e["metrics"]["hmean"] >= 0.8 for e in entries)
    assert set(ENTRY_FIELDS) == set(entries[0])
    assert entries[0]["sidecar"] == "missing"


def test_catalog_writes_csv_with_every_field_when_asked(
    catalog_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", str(catalog_root), "--format", "csv", "--sort", "hmean"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == ENTRY_FIELDS
    assert len(rows) == 1 + 20


def test_catalog_filters_with_where_and_best_when_given(
    catalog_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["catalog", str(catalog_root), "--format", "json"]
    assert main([*argv, "--where", "epoch = 0 and step > 100"]) == 0
    assert {e["step"] for e in json.loads(capsys.readouterr().out)} == {103, 273}
    assert main([*argv, "--best", "best(metrics.hmean, by=[model.encoder])"]) == 0
    (best,) = json.loads(capsys.readouterr().out)
    assert best["metrics"]["hmean"] == 0.892


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--where", "metrics.hmean > 'high'"],
            "ocr: error: invalid catalog query",
            id="bad-where",
        ),
        pytest.param(["--best", "worst(x)"], "ocr: error: ", id="bad-best"),
    ],
)
def test_catalog_refuses_bad_queries_with_one_line_when_given(
    argv: list[str], message: str, catalog_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", str(catalog_root), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_catalog_refuses_a_malformed_threshold_when_given(
    catalog_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["catalog", str(catalog_root), "--min", "hmean"])
    assert info.value.code == 2
    assert "not METRIC=VALUE: 'hmean' (e.g. val/hmean=0.9)" in capsys.readouterr().err


def test_registry_list_and_catalog_filter_by_task_when_asked(
    populated: list[str], run_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = ExperimentRegistry(run_root)
    registry.update_run(registry.get(populated[1]).run_dir, task_name="eval")
    assert main(["registry", "list", str(run_root), "--task", "eval", "--format", "json"]) == 0
    assert [run["id"] for run in json.loads(capsys.readouterr().out)] == [populated[1]]
    assert main(["registry", "list", str(run_root)]) == 0
    assert "eval" in capsys.readouterr().out.splitlines()[2].split()
    assert main(["catalog", str(run_root), "--task", "eval", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # the runs saved no checkpoints


def test_parser_choices_match_the_library_when_spelled_for_a_fast_start() -> None:
    from datetime import timedelta

    from ocr.cli import _migrate, _registry
    from ocr.migrate import Mode
    from ocr.registry import DEFAULT_STALE_AFTER

    assert tuple(Mode) == _migrate.MODES
    assert Mode(_migrate.MODES[0]) is Mode.MOVE  # the default
    assert tuple(Status) == _registry.STATUSES
    assert timedelta(minutes=_registry.STALE_AFTER_MINUTES) == DEFAULT_STALE_AFTER
