from __future__ import annotations

import gc
import json
import logging
import math
import os
import pickle
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import ocr.catalog._describe
import ocr.catalog._runs
from ocr.catalog import (
    CatalogEntry,
    CatalogFilter,
    CheckpointCatalog,
    CheckpointQuery,
    LayoutKind,
    SidecarState,
)
from ocr.cli import main as cli_main
from ocr.compat._shared import MULTIRUN_DIR_NAME, WANDB_DIR_NAME
from ocr.errors import CatalogQueryError, OcrError
from ocr.layout import RootLayout, RunLayout, allocate_launch_dir
from ocr.metadata import UNKNOWN_NAMES, CheckpointMetadata, read_metadata, write_metadata
from ocr.naming import sidecar_path
from ocr.registry import ExperimentRegistry
from tests.sidecar_checkpoints import save_checkpoint

FIXTURES = Path(__file__).parents[2] / "fixtures"
LAUNCH = datetime(2025, 10, 18, 14, 3, 22)
ERAS = [pytest.param(era, id=era) for era in ("A", "B", "C", "D")]


def _save(run_dir: Path, name: str, *, epoch: int, hmean: float, encoder: str = "tiny_cnn") -> Path:
    return save_checkpoint(
        run_dir,
        name,
        epoch=epoch,
        step=10 * epoch,
        metrics={"val/hmean": hmean},
        model={"encoder": encoder},
    )


@pytest.fixture
def new_tree(run_root: Path) -> Path:
    run_root.mkdir()
    registry = ExperimentRegistry(run_root)
    first = allocate_launch_dir(run_root, now=LAUNCH)
    registry.start_run(first, name="first", tags=["baseline"])
    _save(first, "epoch=00-step=000000.ckpt", epoch=0, hmean=0.5)
    _save(first, "epoch=01-step=000010.ckpt", epoch=1, hmean=0.9)
    second = allocate_launch_dir(run_root, now=LAUNCH + timedelta(hours=1))
    _save(second, "last.ckpt", epoch=2, hmean=0.7, encoder="tiny_resnet")
    return run_root


def test_new_checkpoints_come_from_their_sidecars_when_valid(new_tree: Path) -> None:
    entries = CheckpointCatalog([new_tree]).scan()
    assert [Path(e.path).name for e in entries] == [
        "epoch=00-step=000000.ckpt",
        "epoch=01-step=000010.ckpt",
        "last.ckpt",
    ]
    first = entries[0]
    assert (first.layout, first.sidecar, first.epoch, first.step) == (
        LayoutKind.NEW,
        SidecarState.VALID,
        0,
        0,
    )
    assert (first.status, first.tags, first.encoder) == ("running", ("baseline",), "tiny_cnn")
    assert first.run_dir == str(new_tree / "2025-10-18" / "14-03-22")
    assert entries[2].status is None


def test_sidecar_states_say_stale_and_invalid_when_files_disagree(new_tree: Path) -> None:
    run_dir = new_tree / "2025-10-18" / "14-03-22"
    stale = RunLayout(run_dir).checkpoint_dir / "epoch=00-step=000000.ckpt"
    stale.write_bytes(b"rewritten after its sidecar")
    broken = RunLayout(run_dir).checkpoint_dir / "epoch=01-step=000010.ckpt"
    sidecar_path(broken).write_text('{"schema_version": 1}')
    by_name = {Path(e.path).name: e for e in CheckpointCatalog([new_tree]).scan()}
    assert by_name["epoch=00-step=000000.ckpt"].sidecar is SidecarState.STALE
    invalid = by_name["epoch=01-step=000010.ckpt"]
    assert invalid.sidecar is SidecarState.INVALID
    assert invalid.problems[0].startswith("checkpoint metadata is invalid: ")
    assert (invalid.epoch, invalid.step) == (1, 10)  # recovered from the file name instead


@pytest.mark.parametrize("era", ERAS)
def test_every_legacy_checkpoint_is_found_with_no_placeholder_names_when_scanned(
    era: str, tmp_path: Path
) -> None:
    tree = tmp_path / era
    shutil.copytree(FIXTURES / "legacy" / era, tree, symlinks=True)
    root = tree / "outputs"
    root.mkdir(exist_ok=True)
    expected = sorted(str(p) for p in tree.rglob("*.ckpt"))
    entries = CheckpointCatalog([root]).scan()
    assert sorted(e.path for e in entries) == expected
    for entry in entries:
        names = (entry.architecture, entry.encoder, entry.decoder, entry.head, entry.name)
        assert all(n is None or n.strip().lower() not in UNKNOWN_NAMES for n in names)
        assert entry.sidecar is SidecarState.MISSING
        assert entry.created_at is not None


def test_legacy_fields_say_where_they_came_from_when_recovered(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "legacy" / "A", tmp_path / "A")
    entries = CheckpointCatalog([tmp_path / "A" / "outputs"]).scan()
    by_name = {Path(e.path).name: e for e in entries}
    split = by_name["loss=1.6217.ckpt"]
    assert (split.epoch, split.step, split.metrics) == (1, 546, {"val/loss": 1.6217})
    assert split.sources["epoch"] == "file_name"
    zero = by_name["epoch_0_step_273.ckpt"]
    assert zero.epoch == 0
    best = by_name["best.ckpt"]
    assert best.is_best and best.sources["epoch"] == "sidecar"


def test_era_d_sweeps_beside_the_root_are_scanned_when_present(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "legacy" / "D", tmp_path / "D")
    (tmp_path / "D" / "outputs").mkdir()
    entries = CheckpointCatalog([tmp_path / "D" / "outputs"]).scan()
    assert {e.layout for e in entries} == {LayoutKind.SWEEP}
    assert all(MULTIRUN_DIR_NAME in e.path for e in entries)
    assert len(entries) == 2


def test_a_second_scan_opens_no_sidecar_nor_rewrites_the_index_when_nothing_changed(
    new_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = CheckpointCatalog([new_tree])
    first = catalog.scan()
    index = RootLayout(new_tree).catalog_index_file
    written = (index.stat().st_ino, index.stat().st_mtime_ns)

    def forbidden(*_: object, **__: object) -> CheckpointMetadata:
        raise AssertionError("the warm scan opened a sidecar")

    monkeypatch.setattr(ocr.catalog._describe, "read_sidecar_bytes", forbidden)
    monkeypatch.setattr(ocr.catalog._describe, "parse_sidecar", forbidden)
    assert catalog.scan() == first
    assert (index.stat().st_ino, index.stat().st_mtime_ns) == written


def test_a_deep_change_is_seen_when_rescanning_with_the_index(new_tree: Path) -> None:
    catalog = CheckpointCatalog([new_tree])
    catalog.scan()
    run_dir = new_tree / "2025-10-18" / "15-03-22"
    _save(run_dir, "epoch=05-step=000050.ckpt", epoch=5, hmean=0.95)
    (RunLayout(run_dir).checkpoint_dir / "last.ckpt").unlink()
    names = [Path(e.path).name for e in catalog.scan()]
    assert "epoch=05-step=000050.ckpt" in names and "last.ckpt" not in names
    ExperimentRegistry(new_tree).start_run(run_dir, name="late")
    assert {e.status for e in catalog.scan() if e.run_dir == str(run_dir)} == {"running"}


def test_a_corrupt_index_is_rebuilt_and_said_when_scanning(
    new_tree: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = CheckpointCatalog([new_tree])
    first = catalog.scan()
    index = RootLayout(new_tree).catalog_index_file
    index.write_bytes(index.read_bytes()[:-10])
    with caplog.at_level(logging.WARNING, logger="ocr.catalog"):
        assert catalog.scan() == first
    assert (
        f"the catalog index {index} is unreadable (checksum mismatch); rebuilding it" in caplog.text
    )
    assert catalog.scan() == first


def test_discovery_never_unpickles_when_checkpoints_are_hostile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "outputs" / "exp" / "checkpoints"
    root.mkdir(parents=True)

    class Bomb:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, ("touch pwned",))

    (root / "epoch=1-step=5.ckpt").write_bytes(pickle.dumps(Bomb()))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pickle, "load", lambda *_: pytest.fail("unpickled"))
    (entry,) = CheckpointCatalog([tmp_path / "outputs"]).scan()
    assert (entry.epoch, entry.step) == (1, 5)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        pytest.param({"encoder": "tiny_resnet"}, ["last.ckpt"], id="encoder"),
        pytest.param({"min_metrics": {"val/hmean": 0.8}}, ["epoch=01-step=000010.ckpt"], id="min"),
        pytest.param(
            {"tags": ("baseline",)},
            ["epoch=00-step=000000.ckpt", "epoch=01-step=000010.ckpt"],
            id="tag",
        ),
        pytest.param(
            {"status": "running", "search": "STEP=000010"},
            ["epoch=01-step=000010.ckpt"],
            id="search",
        ),
        pytest.param({"since": datetime(2025, 10, 18, 14, 30).astimezone()}, [], id="since"),
        pytest.param({"architecture": "craft"}, [], id="arch"),
    ],
)
def test_flag_filters_keep_matching_checkpoints_when_given(
    flags: dict[str, object], names: list[str], new_tree: Path
) -> None:
    found = CheckpointCatalog([new_tree]).query(CatalogFilter(**flags))  # type: ignore[arg-type]
    assert [Path(e.path).name for e in found] == names


def test_sort_puts_the_best_first_and_unknowns_last_when_sorting(new_tree: Path) -> None:
    (new_tree / "legacy" / "checkpoints").mkdir(parents=True)
    (new_tree / "legacy" / "checkpoints" / "best.ckpt").write_bytes(b"x")
    found = CheckpointCatalog([new_tree]).query(sort="val/hmean")
    assert [e.metrics.get("val/hmean") for e in found] == [0.9, 0.7, 0.5, None]
    ascending = CheckpointCatalog([new_tree]).query(sort="val/hmean", descending=False)
    assert [e.metrics.get("val/hmean") for e in ascending][:3] == [0.5, 0.7, 0.9]


def test_nan_metrics_sort_last_and_print_as_strict_json_when_a_run_diverged(
    new_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diverged = allocate_launch_dir(new_tree, now=LAUNCH + timedelta(hours=2))
    _save(diverged, "last.ckpt", epoch=3, hmean=math.nan)
    found = CheckpointCatalog([new_tree]).query(sort="val/hmean")
    assert [e.sidecar for e in found] == [SidecarState.VALID] * 4
    assert [e.metrics["val/hmean"] for e in found][:3] == [0.9, 0.7, 0.5]
    assert math.isnan(found[3].metrics["val/hmean"])
    assert cli_main(["catalog", str(new_tree), "--format", "json", "--sort", "val/hmean"]) == 0

    def refuse(token: str) -> None:
        raise AssertionError(f"not strict JSON: {token}")

    printed = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert [entry["metrics"]["val/hmean"] for entry in printed] == [0.9, 0.7, 0.5, "NaN"]
    assert math.isnan(CatalogEntry.from_json(printed[3]).metrics["val/hmean"])


def test_legacy_siblings_are_left_out_when_legacy_support_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "legacy" / "D", tmp_path / "D")
    (tmp_path / "D" / "outputs").mkdir()
    (tmp_path / "D" / WANDB_DIR_NAME).mkdir()
    monkeypatch.setenv("OCR_LEGACY", "0")
    assert CheckpointCatalog([tmp_path / "D" / "outputs"]).scan() == []


def test_an_index_made_with_legacy_support_is_not_used_when_it_is_switched_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "outputs"
    shutil.copytree(FIXTURES / "legacy" / "A" / "outputs", root)
    with_legacy = CheckpointCatalog([root]).scan()
    assert any(entry.encoder for entry in with_legacy)
    monkeypatch.setenv("OCR_LEGACY", "0")
    without = CheckpointCatalog([root]).scan()
    assert without == CheckpointCatalog([root]).scan(rescan=True)
    assert {entry.path for entry in without} == {entry.path for entry in with_legacy}
    assert not any(entry.encoder or entry.run_dir for entry in without)
    monkeypatch.delenv("OCR_LEGACY")
    assert CheckpointCatalog([root]).scan() == with_legacy


@pytest.fixture
def renamed_legacy(tmp_path: Path) -> Path:
    """Eras C and D whose ``wandb/`` and ``multirun/`` were kept as ``wb/`` and ``old/sweeps``."""
    base = tmp_path / "project"
    for era in "CD":
        shutil.copytree(FIXTURES / "legacy" / era, base, dirs_exist_ok=True)
    (base / "old").mkdir()
    (base / MULTIRUN_DIR_NAME).rename(base / "old" / "sweeps")
    (base / WANDB_DIR_NAME).rename(base / "wb")
    return base


def _by_layout(entries: list[dict[str, object]]) -> dict[object, int]:
    counts: dict[object, int] = {}
    for entry in entries:
        counts[entry["layout"]] = counts.get(entry["layout"], 0) + 1
    return counts


def test_legacy_folders_of_other_names_are_scanned_when_named(
    renamed_legacy: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    root = str(renamed_legacy / "outputs")
    assert main_json(["catalog", root], capsys) == main_json(["catalog", root, "--rescan"], capsys)
    unnamed = main_json(["catalog", root], capsys)
    assert _by_layout(unnamed) == {LayoutKind.TAGGED: 3}
    tagged = [e for e in unnamed if "ocr_training-unknown" in str(e["path"])]
    assert {e["encoder"] for e in tagged} == {None}  # no W&B run joins it to its config

    options = ["--multirun", str(renamed_legacy / "old" / "sweeps"), "--wandb", "wb"]
    with caplog.at_level(logging.WARNING):
        named = main_json(["catalog", root, *options], capsys, cwd=renamed_legacy)
    assert caplog.text == ""  # an index made with other folders is replaced, not "corrupt"
    assert _by_layout(named) == {LayoutKind.TAGGED: 3, LayoutKind.SWEEP: 2}
    joined = [e for e in named if "ocr_training-unknown" in str(e["path"])]
    assert {e["encoder"] for e in joined} == {"resnet50"}
    assert {e["sources"]["encoder"] for e in joined} == {"hydra_config"}  # type: ignore[index]
    assert main_json(["catalog", root, *options], capsys, cwd=renamed_legacy) == named
    assert main_json(["catalog", root], capsys) == unnamed
    assert main_json(["catalog", root, "--no-wandb", "--no-multirun"], capsys) == unnamed


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            ["--wandb", "missing"],
            "ocr: error: --wandb 'missing' is not a folder. Give the legacy folder itself, or "
            "leave it out with --no-wandb",
            id="missing",
        ),
        pytest.param(
            ["--multirun", "outputs"],
            "ocr: error: --multirun 'outputs' overlaps the output root '{root}'. Give a folder "
            "beside the output root, not in or around it",
            id="the-root-itself",
        ),
        pytest.param(
            ["--no-wandb", "--wandb", "wb"],
            "ocr catalog: error: argument --wandb: not allowed with argument --no-wandb",
            id="both-choices",
        ),
        pytest.param(
            ["old", "--wandb", "wb"],
            "ocr: error: --multirun/--wandb and --no-multirun/--no-wandb choose the legacy "
            "folders of one ROOT, but 2 were given. Scan one ROOT with them, or leave them out",
            id="two-roots",
        ),
    ],
)
def test_cli_refuses_unusable_legacy_folders_with_one_line(
    options: list[str],
    message: str,
    renamed_legacy: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(renamed_legacy)
    code: int | str | None
    try:
        code = cli_main(["catalog", "outputs", *options])
    except SystemExit as exc:  # argparse's own usage errors exit by themselves
        code = exc.code
    assert code == 2
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line == message.format(root=renamed_legacy / "outputs")


def main_json(
    argv: list[str], capsys: pytest.CaptureFixture[str], *, cwd: Path | None = None
) -> list[dict[str, object]]:
    """Run ``ocr`` with JSON output (from ``cwd``) and return the parsed entries."""
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        assert cli_main([*argv, "--format", "json"]) == 0
    finally:
        os.chdir(previous)
    printed: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return printed


def test_entries_serialise_to_the_documented_json_fields_when_dumped(new_tree: Path) -> None:
    entry = CheckpointCatalog([new_tree]).scan()[0]
    dumped = json.loads(json.dumps(entry.as_json()))
    assert {
        "path",
        "run_dir",
        "experiment_id",
        "name",
        "created_at",
        "layout",
        "architecture",
        "encoder",
        "decoder",
        "head",
        "epoch",
        "step",
        "metrics",
        "is_best",
        "is_last",
        "sidecar",
    } <= dumped.keys()
    assert CatalogEntry.from_json(dumped) == entry


def _checkpoint(folder: Path, name: str = "epoch=1-step=10.ckpt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = folder / name
    checkpoint.write_bytes(b"not a pickle")
    return checkpoint


def _scan_by_path(root: Path) -> dict[str, CatalogEntry]:
    return {entry.path: entry for entry in CheckpointCatalog([root]).scan()}


def test_new_layout_folders_are_placed_as_compat_places_them_when_scanned(
    new_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    date = new_tree / "2025-10-18"
    _save(date / "16-00-00_1", "epoch=00-step=000000.ckpt", epoch=0, hmean=0.1)  # clash suffix
    _save(date / "17-00-00" / "0", "last.ckpt", epoch=3, hmean=0.2)  # a sweep job
    (RunLayout(date / "17-00-00" / "0").hydra_dir).mkdir()
    RunLayout(date / "17-00-00" / "0").config_file.write_text("model:\n  encoder: resnet18\n")
    _checkpoint(RunLayout(date / "18-00-00" / "lightning_logs" / "version_0").checkpoint_dir)
    _checkpoint(RunLayout(date / "19-00-00").checkpoint_dir / "dbnet_resnet18")  # era B shape
    _checkpoint(RunLayout(new_tree / "exp1").checkpoint_dir)  # era A
    _checkpoint(RunLayout(new_tree / "2025-13-45" / "10-00-00").checkpoint_dir)  # no such date
    _checkpoint(RunLayout(date).checkpoint_dir)  # a date folder is no run
    fast = CheckpointCatalog([new_tree]).scan(rescan=True)
    monkeypatch.setattr(ocr.catalog._runs.Runs, "_new_run_dir", lambda *_: None)
    assert CheckpointCatalog([new_tree]).scan(rescan=True) == fast
    assert len(fast) == 10
    assert {e.layout for e in fast} == {LayoutKind.NEW, LayoutKind.NAME_BASED}


def test_a_root_named_like_a_legacy_folder_is_read_by_compat_when_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "legacy" / "D", tmp_path / "D")
    root = tmp_path / "D" / MULTIRUN_DIR_NAME
    fast = CheckpointCatalog([root]).scan()
    monkeypatch.setattr(ocr.catalog._runs.Runs, "_new_run_dir", lambda *_: None)
    assert CheckpointCatalog([root]).scan(rescan=True) == fast
    assert {e.layout for e in fast} == {LayoutKind.SWEEP}


def test_sidecar_entries_hold_every_field_of_the_sidecar_when_valid(new_tree: Path) -> None:
    checkpoint = RunLayout(new_tree / "2025-10-18" / "15-03-22").checkpoint_dir / "last.ckpt"
    entry = _scan_by_path(new_tree)[str(checkpoint)]
    metadata = read_metadata(sidecar_path(checkpoint))
    assert entry._asdict() == {
        "path": entry.path,
        "layout": LayoutKind.NEW,
        "sidecar": SidecarState.VALID,
        "run_dir": str(checkpoint.parents[1]),
        "experiment_id": metadata.experiment.id,
        "name": metadata.experiment.name,
        "created_at": metadata.checkpoint.created_at,
        "architecture": "dbnet",
        "encoder": "tiny_resnet",
        "decoder": "unet",
        "head": "db_head",
        "epoch": 2,
        "step": 20,
        "metrics": {"val/hmean": 0.7},
        "is_best": True,
        "is_last": False,
        "size_bytes": checkpoint.stat().st_size,
        "config_hash": metadata.config.config_hash,
        "status": None,
        "tags": (),
        "sources": dict.fromkeys(("architecture", "encoder", "decoder", "head"), "sidecar"),
        "problems": (),
        "monitor": "val/hmean",
        "task": None,
    }


def test_older_sidecars_are_upgraded_and_valid_when_scanned(new_tree: Path) -> None:
    checkpoint = _checkpoint(RunLayout(new_tree / "2025-10-18" / "16-00-00").checkpoint_dir)
    stat = checkpoint.stat()
    raw = json.loads((FIXTURES / "golden" / "sidecar-v1.ckpt.meta.json").read_text())
    raw["checkpoint"].update(size_bytes=stat.st_size, modified_ns=stat.st_mtime_ns)
    assert raw["schema_version"] == 1
    sidecar_path(checkpoint).write_text(json.dumps(raw))
    entry = _scan_by_path(new_tree)[str(checkpoint)]
    assert (entry.sidecar, entry.epoch, entry.encoder) == (SidecarState.VALID, 3, "tiny_resnet")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"schema_version": 2, "checkpoint": {}}', id="invalid"),
        pytest.param('{"schema_version": 99}', id="newer"),
        pytest.param("not json", id="not-json"),
        pytest.param(None, id="unreadable"),  # listed, but a folder: no file to read
    ],
)
def test_sidecar_problems_are_read_metadatas_words_when_invalid(
    content: str | None, new_tree: Path
) -> None:
    checkpoint = _checkpoint(RunLayout(new_tree / "2025-10-18" / "16-00-00").checkpoint_dir)
    if content is None:
        sidecar_path(checkpoint).mkdir()
    else:
        sidecar_path(checkpoint).write_text(content)
    with pytest.raises((OcrError, IsADirectoryError)) as expected:
        read_metadata(sidecar_path(checkpoint))
    entry = _scan_by_path(new_tree)[str(checkpoint)]
    assert (entry.sidecar, entry.problems) == (SidecarState.INVALID, (str(expected.value),))
    assert (entry.epoch, entry.step) == (1, 10)  # from the file name instead


def test_a_sidecar_longer_than_one_read_is_read_whole_when_scanned(new_tree: Path) -> None:
    run_dir = new_tree / "2025-10-18" / "16-00-00"
    metrics = {f"val/metric_{number:05d}": number / 7 for number in range(4_000)}
    checkpoint = _save(run_dir, "last.ckpt", epoch=1, hmean=0.5)
    metadata = read_metadata(sidecar_path(checkpoint))
    training = metadata.training.model_copy(update={"metrics": metrics})
    write_metadata(checkpoint, metadata.model_copy(update={"training": training}))
    assert sidecar_path(checkpoint).stat().st_size > 1 << 16
    entry = _scan_by_path(new_tree)[str(checkpoint)]
    assert (entry.sidecar, entry.metrics) == (SidecarState.VALID, metrics)


@pytest.mark.parametrize("enabled", [pytest.param(True, id="on"), pytest.param(False, id="off")])
def test_the_garbage_collector_is_left_as_it_was_when_scanning(
    enabled: bool, new_tree: Path
) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        CheckpointCatalog([new_tree]).scan()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_an_era_b_model_subfolder_outranks_the_shared_config_of_the_last_launch(
    tmp_path: Path,
) -> None:
    experiment = tmp_path / "outputs" / "ocr_training"
    (experiment / ".hydra").mkdir(parents=True)
    (experiment / ".hydra" / "config.yaml").write_text(
        "model:\n  architecture_name: dbnetpp\n  encoder:\n    model_name: efficientnet_b3\n"
        "  decoder:\n    name: dbnetpp_decoder\n"
    )
    for subfolder in ("dbnet_resnet18", "dbnetpp_efficientnet_b3"):
        (experiment / "checkpoints" / subfolder).mkdir(parents=True)
        (experiment / "checkpoints" / subfolder / "last.ckpt").write_bytes(b"x")
    entries = {
        Path(e.path).parent.name: e for e in CheckpointCatalog([tmp_path / "outputs"]).scan()
    }
    older = entries["dbnet_resnet18"]
    assert (older.architecture, older.encoder) == ("dbnet", "resnet18")
    assert older.sources["encoder"] == "folder_name"
    assert older.decoder == "dbnetpp_decoder"  # the subfolder does not say; the config does
    assert entries["dbnetpp_efficientnet_b3"].encoder == "efficientnet_b3"


def test_find_answers_filters_where_best_and_sort_in_one_call_when_asked(new_tree: Path) -> None:
    catalog = CheckpointCatalog([new_tree])
    everything = catalog.find()
    assert [Path(e.path).name for e in everything.entries] == [
        Path(e.path).name for e in catalog.scan()
    ]
    assert everything.problems == []
    sorted_best_first = catalog.find(CheckpointQuery(sort="val/hmean")).entries
    assert [e.metrics["val/hmean"] for e in sorted_best_first] == [0.9, 0.7, 0.5]
    narrowed = catalog.find(
        CheckpointQuery(
            filters=CatalogFilter(encoder="tiny_cnn"),
            where="metrics.val/hmean > 0.6",
        )
    ).entries
    assert [e.epoch for e in narrowed] == [1]
    per_encoder = catalog.find(
        CheckpointQuery(best="best(metrics.val/hmean, by=[model.encoder])", best_mode="min")
    ).entries
    assert sorted((e.encoder, e.metrics["val/hmean"]) for e in per_encoder) == [
        ("tiny_cnn", 0.5),
        ("tiny_resnet", 0.7),
    ]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"where": "metrics.val/hmean >"}, id="where"),
        pytest.param({"best": "worst(metrics.val/hmean)"}, id="best"),
        pytest.param({"best": "best(metrics.val/hmean)", "best_mode": "middle"}, id="mode"),
    ],
)
def test_a_query_is_refused_when_made_with_a_bad_expression(query: dict[str, str]) -> None:
    with pytest.raises(CatalogQueryError):
        CheckpointQuery(**query)  # type: ignore[arg-type]


def test_find_reads_config_keys_through_its_own_lookup_when_a_where_names_one(
    new_tree: Path,
) -> None:
    run_dir = new_tree / "2025-10-18" / "14-03-22"
    RunLayout(run_dir).hydra_dir.mkdir()
    RunLayout(run_dir).config_file.write_text("model:\n  lr: 0.01\n")
    found = CheckpointCatalog([new_tree]).find(CheckpointQuery(where="config.model.lr = 0.01"))
    assert {Path(e.run_dir or "") for e in found.entries} == {run_dir}
    assert len(found.entries) == 2


def test_entries_carry_the_monitored_metric_when_a_sidecar_names_it(new_tree: Path) -> None:
    assert {e.monitor for e in CheckpointCatalog([new_tree]).scan()} == {"val/hmean"}


def test_legacy_entries_carry_the_monitor_their_legacy_sidecar_names_when_found(
    tmp_path: Path,
) -> None:
    shutil.copytree(FIXTURES / "legacy" / "A", tmp_path / "A")
    entries = CheckpointCatalog([tmp_path / "A" / "outputs"]).scan()
    best = next(e for e in entries if Path(e.path).name == "best.ckpt")
    assert (best.monitor, best.sources["monitor"]) == ("val/hmean", "sidecar")


def test_a_bare_metric_name_selects_like_its_prefixed_key_when_unambiguous(new_tree: Path) -> None:
    catalog = CheckpointCatalog([new_tree])
    bare = catalog.find(CheckpointQuery(where="val/hmean > 0.6", best="best(val/hmean)"))
    prefixed = catalog.find(
        CheckpointQuery(where="metrics.val/hmean > 0.6", best="best(metrics.val/hmean)")
    )
    assert bare == prefixed and [e.epoch for e in bare.entries] == [1]


def test_a_bare_name_no_checkpoint_has_is_a_problem_line_when_queried(new_tree: Path) -> None:
    found = CheckpointCatalog([new_tree]).find(CheckpointQuery(where="val/acc > 0.5 or epoch = 1"))
    assert [e.epoch for e in found.entries] == [1]
    assert found.problems == [
        "the query names 'val/acc', which is no field and no metric of any checkpoint here; check "
        "its spelling (a metric is also metrics.`val/acc`)"
    ]


def test_the_task_of_a_run_comes_from_its_record_when_filtered(new_tree: Path) -> None:
    first = new_tree / "2025-10-18" / "14-03-22"
    ExperimentRegistry(new_tree).update_run(first, task_name="train")
    catalog = CheckpointCatalog([new_tree])
    tasks = {Path(e.path).name: e.task for e in catalog.scan(rescan=True)}
    assert tasks == {
        "epoch=00-step=000000.ckpt": "train",
        "epoch=01-step=000010.ckpt": "train",
        "last.ckpt": None,
    }
    found = catalog.find(
        CheckpointQuery(filters=CatalogFilter(task="train"), where="task = 'train'")
    )
    assert len(found.entries) == 2


# -- issue 11: folder checkpoints, special files, failed listings, the index as a hint --


def _sharded(run_dir: Path, name: str = "sharded.ckpt") -> Path:
    folder = RunLayout(run_dir).checkpoint_dir / name
    (folder / "checkpoint").mkdir(parents=True)
    (folder / "checkpoint" / "mp_rank_00_model_states.pt").write_bytes(b"m" * 300)
    (folder / "latest").write_bytes(b"checkpoint")
    return folder


def test_a_folder_checkpoint_is_one_entry_whose_size_is_its_files_when_scanned(
    new_tree: Path,
) -> None:
    run_dir = new_tree / "2025-10-18" / "14-03-22"
    folder = _sharded(run_dir)
    entries = {e.path: e for e in CheckpointCatalog([new_tree]).scan()}
    entry = entries[str(folder)]
    assert (entry.size_bytes, entry.sidecar, entry.layout) == (310, SidecarState.MISSING, "new")
    assert not any(path.startswith(str(folder) + os.sep) for path in entries)  # never walked in
    (folder / "checkpoint" / "mp_rank_01_model_states.pt").write_bytes(b"n" * 100)
    warm = {e.path: e for e in CheckpointCatalog([new_tree]).scan()}  # the index, re-checked
    assert warm[str(folder)].size_bytes == 310  # a shard inside a shard folder: not seen
    (folder / "latest").write_bytes(b"checkpoint-2")  # no rename: the folder's mtime stays
    (folder / "extra").write_bytes(b"x")  # a new file: the folder's mtime changes
    assert {e.path: e for e in CheckpointCatalog([new_tree]).scan()}[str(folder)].size_bytes == (
        300 + 100 + 12 + 1
    )


def test_a_special_file_named_like_a_checkpoint_is_no_checkpoint_when_scanned(
    new_tree: Path,
) -> None:
    fifo = new_tree / "2025-10-18" / "14-03-22" / "checkpoints" / "pipe.ckpt"
    os.mkfifo(fifo)
    assert str(fifo) not in {e.path for e in CheckpointCatalog([new_tree]).scan()}


def test_two_roots_that_overlap_list_each_checkpoint_once(new_tree: Path) -> None:
    inner = new_tree / "2025-10-18"
    paths = [e.path for e in CheckpointCatalog([new_tree, inner, new_tree]).scan()]
    assert len(paths) == len(set(paths)) == 3


def test_a_linked_multirun_folder_beside_the_root_is_named_when_listing(
    new_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweeps = new_tree.parent / "sweeps-on-scratch"
    sweeps.mkdir()
    (new_tree.parent / MULTIRUN_DIR_NAME).symlink_to(sweeps)
    assert cli_main(["catalog", str(new_tree)]) == 0
    link = new_tree.parent / MULTIRUN_DIR_NAME
    assert capsys.readouterr().err == (
        f"ocr: warning: {str(link)!r} beside the root is a link, and links are never followed, "
        "so nothing in it is listed. Scan the folder it points to with --multirun DIR\n"
    )
