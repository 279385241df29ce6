from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import ocr._yaml
from ocr.catalog import CatalogEntry, CheckpointCatalog, best_per_group, parse_where, resolve_key
from ocr.cli import main
from ocr.compat._shared import WANDB_DIR_NAME
from ocr.layout import RunLayout, allocate_launch_dir

FIXTURES = Path(__file__).parents[2] / "fixtures"
LAUNCH = datetime(2025, 10, 18, 14, 3, 22)
BIG = {
    "model": {"encoder": {"model_name": "resnet18"}, "architecture_name": "dbnet"},
    "trainer": {"max_epochs": 120, "devices": [0, 1], "precision": "16-mixed"},
    "data": {"batch_size": 16},
    "a.b": "dotted",
    "paths": {"root": "${oc.env:HOME}/outputs"},
}
SMALL = {
    "model": {"encoder": {"model_name": "mobilenetv3_small_050"}},
    "trainer": {"max_epochs": 20, "devices": 1},
    "data": {"batch_size": "8"},
}


def _run(root: Path, offset: int, config: dict[str, Any] | str | None) -> Path:
    """A new-layout run with one checkpoint and, unless ``None``, a saved config."""
    run_dir = allocate_launch_dir(root, now=LAUNCH + timedelta(minutes=offset))
    checkpoint = RunLayout(run_dir).checkpoint_dir / "last.ckpt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"never loaded")
    if config is not None:
        config_file = RunLayout(run_dir).config_file
        config_file.parent.mkdir()
        text = config if isinstance(config, str) else yaml.safe_dump(config)
        config_file.write_text(text, encoding="utf-8")
    return run_dir


@pytest.fixture
def runs(run_root: Path) -> dict[str, Path]:
    run_root.mkdir()
    return {
        "big": _run(run_root, 0, BIG),
        "small": _run(run_root, 1, SMALL),
        "bare": _run(run_root, 2, None),
    }


def _select(root: Path, where: str) -> set[str]:
    """The run folders (by fixture name) whose checkpoints ``where`` selects."""
    lookup = CheckpointCatalog([root]).config_lookup()
    predicate = parse_where(where, config_lookup=lookup)
    entries = CheckpointCatalog([root]).scan()
    return {Path(e.run_dir).name for e in entries if predicate(e) and e.run_dir is not None}


@pytest.mark.parametrize(
    ("where", "selected"),
    [
        pytest.param("config.model.encoder.model_name = 'resnet18'", {"14-03-22"}, id="string"),
        pytest.param("config.trainer.max_epochs >= 100", {"14-03-22"}, id="number"),
        pytest.param("config.trainer.max_epochs < 100", {"14-04-22"}, id="other-side"),
        pytest.param("config.trainer.devices.1 = 1", {"14-03-22"}, id="list-index"),
        pytest.param("config.`a.b` = 'dotted'", {"14-03-22"}, id="quoted-dot"),
        pytest.param("config.model.encoder.model_name LIKE 'mobilenet%'", {"14-04-22"}, id="like"),
        pytest.param("config.data.batch_size IN (8, 16)", {"14-03-22"}, id="type-mismatch"),
        pytest.param("config.paths.root LIKE '${%'", {"14-03-22"}, id="as-written"),
        pytest.param("config.trainer IS NOT NULL", {"14-03-22", "14-04-22"}, id="mapping"),
        pytest.param("config.trainer.max_epochs IS NULL", {"14-05-22"}, id="no-config"),
        pytest.param("config.nope IS NULL", {"14-03-22", "14-04-22", "14-05-22"}, id="missing"),
        pytest.param("config.nope != 1", set(), id="missing-never-compares"),
        pytest.param("not config.nope = 1", {"14-03-22", "14-04-22", "14-05-22"}, id="not"),
    ],
)
def test_config_keys_read_each_runs_saved_config_when_queried(
    where: str, selected: set[str], runs: dict[str, Path], run_root: Path
) -> None:
    assert _select(run_root, where) == selected


def test_each_config_file_is_read_once_when_many_keys_and_checkpoints_ask(
    runs: dict[str, Path], run_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = RunLayout(runs["big"]).checkpoint_dir / "best.ckpt"
    second.write_bytes(b"never loaded")
    entries = CheckpointCatalog([run_root]).scan()  # the scan reads configs too: not counted
    reads: list[str] = []
    real_load = ocr._yaml.safe_load

    def counting_load(text: str) -> Any:
        reads.append(text)
        return real_load(text)

    monkeypatch.setattr("ocr.catalog._config_lookup.safe_load", counting_load)
    lookup = CheckpointCatalog([run_root]).config_lookup()
    where = parse_where(
        "config.trainer.max_epochs > 1 and config.data.batch_size = 16", config_lookup=lookup
    )
    assert len([e for e in entries if where(e)]) == 2
    winners = best_per_group(entries, "config.trainer.max_epochs", by=[], config_lookup=lookup)
    assert winners[0].run_dir == str(runs["big"])
    assert len(reads) == 2  # big and small; the bare run has no file to read


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("model: [unclosed\n", "unreadable run config", id="bad-yaml"),
        pytest.param("- just\n- a list\n", "the run config holds a list, not keys", id="list"),
    ],
)
def test_an_unreadable_config_makes_its_keys_unknown_and_is_reported_when_queried(
    text: str, problem: str, run_root: Path
) -> None:
    run_root.mkdir()
    run_dir = _run(run_root, 0, text)
    lookup = CheckpointCatalog([run_root]).config_lookup()
    (entry,) = CheckpointCatalog([run_root]).scan()
    assert resolve_key(entry, "config.model", config_lookup=lookup) is None
    (line,) = lookup.problems
    assert line.startswith(f"{str(RunLayout(run_dir).config_file)!r}: {problem}")
    assert "\n" not in line


def test_an_empty_config_is_unknown_without_a_problem_when_queried(run_root: Path) -> None:
    run_root.mkdir()
    _run(run_root, 0, "")
    lookup = CheckpointCatalog([run_root]).config_lookup()
    (entry,) = CheckpointCatalog([run_root]).scan()
    assert lookup(entry) is None
    assert lookup.problems == []


def test_entries_without_a_run_have_no_config_when_queried() -> None:
    entry = CatalogEntry(path="/elsewhere/a.ckpt", layout="name_based", sidecar="missing")
    assert CheckpointCatalog([Path("/nowhere")]).config_lookup().config_file(entry) is None


def test_a_tagged_legacy_run_finds_its_config_in_another_folder_when_queried(
    tmp_path: Path,
) -> None:
    shutil.copytree(FIXTURES / "legacy" / "C", tmp_path / "C")
    root = tmp_path / "C" / "outputs"
    lookup = CheckpointCatalog([root]).config_lookup()
    entries = CheckpointCatalog([root]).scan()
    joined = [e for e in entries if "ocr_training-unknown-unknown" in e.path]
    assert len(joined) == 2
    expected = root / "receipt_detector" / ".hydra" / "config.yaml"
    assert {lookup.config_file(e) for e in joined} == {expected}
    where = parse_where("config.exp_name = 'receipt_detector'", config_lookup=lookup)
    assert {e.path for e in entries if where(e)} == {e.path for e in joined}
    # Without the W&B folder nothing joins them: unknown, not a guess.
    shutil.rmtree(tmp_path / "C" / WANDB_DIR_NAME)
    rescanned = [e for e in CheckpointCatalog([root]).scan() if e.path in {j.path for j in joined}]
    assert [CheckpointCatalog([root]).config_lookup().config_file(e) for e in rescanned] == [
        None,
        None,
    ]


def test_a_sweep_job_reads_its_own_config_when_queried(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "legacy" / "D", tmp_path / "D")
    root = tmp_path / "D" / "outputs"
    root.mkdir()
    lookup = CheckpointCatalog([root]).config_lookup()
    where = parse_where("config.optimizer.lr < 0.01", config_lookup=lookup)
    selected = [e for e in CheckpointCatalog([root]).scan() if where(e)]
    assert selected
    assert all("/multirun/2025-10-09/01-50-37/" in e.path for e in selected)


def test_cli_where_and_best_use_the_saved_configs_when_asked(
    runs: dict[str, Path], run_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["catalog", str(run_root), "--format", "json"]
    assert main([*argv, "--where", "config.trainer.max_epochs >= 100"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["run_dir"] == str(runs["big"])
    assert main([*argv, "--best", "best(config.trainer.max_epochs)", "--best-mode", "min"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["run_dir"] == str(runs["small"])
    (RunLayout(runs["bare"]).config_file.parent).mkdir()
    RunLayout(runs["bare"]).config_file.write_text("a: [\n")
    assert main([*argv, "--where", "config.a IS NULL"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 3
    (warning,) = captured.err.splitlines()
    assert warning.startswith("ocr: warning: ") and "unreadable run config" in warning
