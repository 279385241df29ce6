"""Issue 12: the shapes real Lightning + Hydra trees hold, beyond the format notes.

Each test reproduces one failure of the issue on a small real tree: a sharded
(folder) checkpoint, folders holding several runs (nested experiments, the
lightning-hydra-template's ``runs/`` and ``multiruns/``), checkpoints elsewhere
inside a run (``submissions/``, ``lightning_logs/version_<k>/``), folder-name
timestamps, empty checkpoints and alias links.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocr.catalog import CheckpointCatalog
from ocr.compat import set_legacy_enabled
from ocr.compat._shared import Era, folder_name_stamp, locate_legacy_run
from ocr.layout import RunLayout, SweepLayout
from ocr.migrate import apply_migration, plan_migration, rollback_migration
from ocr.migrate._model import TimestampSource
from ocr.naming import sidecar_path
from ocr.validate import validate_root
from tests.tree_snapshot import file_digests, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ocr.catalog import CatalogEntry

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "lightning_hydra_template" / "logs"
CONFIG = "model:\n  architecture_name: dbnet\n  encoder:\n    model_name: resnet18\nexp_name: e\n"
NESTED = "experiments/det/receipts/dbnet"


@pytest.fixture(autouse=True)
def _legacy_support_on() -> Iterator[None]:
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


def _write(path: Path, data: bytes | str = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _run(folder: Path, *checkpoints: str) -> Path:
    _write(RunLayout(folder).config_file, CONFIG)
    for name in checkpoints:
        _write(folder / name, b"checkpoint " + name.encode())
    return folder


def _entries(root: Path) -> dict[str, CatalogEntry]:
    scanned = CheckpointCatalog([root]).scan(index=False)
    return {os.path.relpath(entry.path, root): entry for entry in scanned}


def _hydra_folders(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(path.parent, root)
        for path in root.rglob(".hydra")
        if ".ocr" not in path.relative_to(root).parts
    )


# --- the run of a checkpoint -----------------------------------------------------


@pytest.mark.parametrize(
    "inside",
    [
        pytest.param("submissions/final.ckpt", id="submissions"),
        pytest.param("lightning_logs/version_1/checkpoints/epoch=1-step=10.ckpt", id="lightning"),
        pytest.param("checkpoints/x/y/a.ckpt", id="deep-in-checkpoints"),
    ],
)
def test_a_checkpoint_anywhere_below_a_run_belongs_to_it_when_located(
    tmp_path: Path, inside: str
) -> None:
    outputs = tmp_path / "outputs"
    run = _run(outputs / "exp", "checkpoints/last.ckpt")
    found = locate_legacy_run(_write(run / inside), roots=[outputs])
    assert found is not None
    assert (found.folder, found.name, found.config_dir) == (run, "exp", RunLayout(run).hydra_dir)


def test_the_nearest_run_with_a_config_is_the_checkpoints_run_when_runs_are_nested(
    tmp_path: Path,
) -> None:
    outputs = tmp_path / "outputs"
    run = _run(outputs / NESTED / "20240105_101500_42", "checkpoints/last.ckpt")
    found = locate_legacy_run(run / "checkpoints" / "last.ckpt", roots=[outputs])
    assert found is not None
    assert found.folder == run
    assert found.name == f"{NESTED}/20240105_101500_42"
    assert found.era is Era.A
    assert found.timestamp == datetime(2024, 1, 5, 10, 15)
    assert found.config_dir == RunLayout(run).hydra_dir


def test_a_date_folder_of_the_layout_is_no_run_when_it_holds_checkpoints(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    _write(outputs / "2025-10-18" / "checkpoints" / "stray.ckpt")
    checkpoint = _write(outputs / "2025-10-18" / "16-00-00" / "checkpoints" / "last.ckpt")
    found = locate_legacy_run(checkpoint, roots=[outputs])
    assert found is not None
    assert (found.era, found.folder) == (Era.E, outputs / "2025-10-18" / "16-00-00")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(["2024-02-01_09-30-00"], datetime(2024, 2, 1, 9, 30), id="dashed"),
        pytest.param(["2024-02-01_09-30-00_3"], datetime(2024, 2, 1, 9, 30), id="dashed-n"),
        pytest.param(["20240105_101500"], datetime(2024, 1, 5, 10, 15), id="compact"),
        pytest.param(["x", "20240105_101500_7"], datetime(2024, 1, 5, 10, 15), id="compact-seed"),
        pytest.param(["2024-01-05", "10-15-00_2"], datetime(2024, 1, 5, 10, 15), id="two-folders"),
        pytest.param(["2024-01-05_10-15-00", "12"], datetime(2024, 1, 5, 10, 15), id="sweep-job"),
        pytest.param(["2024-13-05_10-15-00"], None, id="no-such-month"),
        pytest.param(["run_2024-01-05_10-15-00"], None, id="more-than-a-stamp"),
        pytest.param(["12"], None, id="a-job-alone"),
    ],
)
def test_folder_names_give_the_launch_time_when_they_spell_one(
    parts: list[str], expected: datetime | None
) -> None:
    assert folder_name_stamp(parts) == expected


# --- the catalog -------------------------------------------------------------------


def test_runs_deep_in_a_folder_give_their_checkpoints_name_model_and_config_when_cataloged(
    tmp_path: Path,
) -> None:
    root = tmp_path / "outputs"
    shutil.copytree(TEMPLATE, root)
    entries = _entries(root)
    job = "train/multiruns/2024-05-04_10-30-00/1"
    entry = entries[f"{job}/checkpoints/last.ckpt"]
    assert (entry.run_dir, entry.name) == (str(root / job), job)
    assert (entry.architecture, entry.encoder) == ("dbnet", "resnet18")
    assert all(entry.run_dir is not None for entry in entries.values())


def test_a_folder_checkpoint_is_one_entry_of_its_files_total_size_when_cataloged(
    tmp_path: Path,
) -> None:
    root = tmp_path / "outputs"
    sharded = _run(root / "exp") / "checkpoints" / "epoch=2-step=99.ckpt"
    _write(sharded / "checkpoint" / "mp_rank_00_model_states.pt", b"a" * 10)
    _write(sharded / "latest", b"checkpoint")
    entries = _entries(root)
    assert list(entries) == ["exp/checkpoints/epoch=2-step=99.ckpt"]
    entry = entries["exp/checkpoints/epoch=2-step=99.ckpt"]
    assert (entry.size_bytes, entry.epoch, entry.step, entry.architecture) == (20, 2, 99, "dbnet")


def test_empty_checkpoints_and_aliases_are_listed_with_their_problem_when_cataloged(
    tmp_path: Path,
) -> None:
    root = tmp_path / "outputs"
    run = _run(root / "exp", "checkpoints/best.ckpt")
    _write(run / "checkpoints" / "crashed.ckpt", b"")
    (run / "checkpoints" / "best-alias.ckpt").symlink_to("best.ckpt")
    entries = _entries(root)
    assert entries["exp/checkpoints/crashed.ckpt"].problems == (
        "empty: the file has 0 bytes (a save that crashed?), so it holds no checkpoint. "
        "Save it again, or remove it",
    )
    assert entries["exp/checkpoints/best-alias.ckpt"].problems == (
        "alias of 'best.ckpt': a link to that checkpoint in the same folder (the same bytes "
        "under a second name); its target's sidecar describes it, it gets none of its own",
    )
    assert entries["exp/checkpoints/best.ckpt"].problems == ()


# --- the migrator ----------------------------------------------------------------------


def test_a_folder_checkpoint_is_counted_moved_whole_and_described_when_migrated(
    tmp_path: Path,
) -> None:
    root = tmp_path / "outputs"
    sharded = _run(root / "exp") / "checkpoints" / "epoch=2-step=99.ckpt"
    _write(sharded / "checkpoint" / "mp_rank_00_model_states.pt", b"a" * 10)
    _write(sharded / "latest", b"checkpoint")
    report = apply_migration(root)
    assert [run.checkpoints for run in report.runs] == [1]
    (moved,) = root.glob("*/*/checkpoints/epoch=2-step=99.ckpt")
    assert sorted(p.name for p in moved.rglob("*")) == [
        "checkpoint",
        "latest",
        "mp_rank_00_model_states.pt",
    ]
    assert sidecar_path(moved).is_file()
    validation = validate_root(root)
    assert validation.ok, validation.problems
    assert validation.counts.checkpoints == 1


def test_a_checkpoint_elsewhere_in_a_run_passes_validation_when_migrated(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    run = _run(root / "exp", "checkpoints/last.ckpt", "submissions/final.ckpt")
    _write(run / "lightning_logs" / "version_1" / "checkpoints" / "epoch=1-step=10.ckpt")
    apply_migration(root)
    validation = validate_root(root)
    assert validation.ok, validation.problems
    assert validation.counts.checkpoints == 3


def test_a_folder_of_several_runs_is_split_into_them_when_migrated(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    for seed in (1, 2):
        _run(root / NESTED / f"20240105_101500_{seed}", "checkpoints/last.ckpt")
    _write(root / "experiments" / "README.md", "notes")
    before = snapshot(tmp_path)

    report = apply_migration(root)

    assert [(run.sources, run.target, run.timestamp_source) for run in report.runs] == [
        ([f"outputs/{NESTED}/20240105_101500_1"], "outputs/2024-01-05/10-15-00", TimestampSource.FOLDER_NAME),
        ([f"outputs/{NESTED}/20240105_101500_2"], "outputs/2024-01-05/10-15-00_1", TimestampSource.FOLDER_NAME),
    ]  # fmt: skip
    assert [(left.path, left.reason) for left in report.left_in_place] == [
        (
            "outputs/experiments/README.md",
            "in no run of 'experiments': no folder above it holds .hydra/config.yaml, "
            "checkpoints/ or lightning_logs/, so it stays where it is",
        )
    ]
    assert _hydra_folders(root) == ["2024-01-05/10-15-00", "2024-01-05/10-15-00_1"]
    assert sorted(p.name for p in (root / "experiments").iterdir()) == ["README.md"]
    validation = validate_root(root)
    assert validation.ok, validation.problems
    settled = snapshot(tmp_path)
    assert apply_migration(root).state == "nothing_to_do"
    assert snapshot(tmp_path) == settled
    rollback_migration(root)
    assert snapshot(tmp_path) == before


def test_the_template_layout_migrates_one_run_per_folder_and_sweeps_as_sweeps(
    tmp_path: Path,
) -> None:
    root = tmp_path / "logs"
    shutil.copytree(TEMPLATE, root)
    before = snapshot(tmp_path)

    report = apply_migration(root)

    assert sorted((run.target, run.era) for run in report.runs) == [
        ("logs/2024-05-02/14-03-11", Era.A.value),
        ("logs/2024-05-03/09-00-00", Era.A.value),
        ("logs/2024-05-04/10-30-00", Era.D.value),
        ("logs/2024-05-05/08-00-00", Era.A.value),
    ]
    assert _hydra_folders(root) == [
        "2024-05-02/14-03-11",
        "2024-05-03/09-00-00",
        "2024-05-04/10-30-00/0",
        "2024-05-04/10-30-00/1",
        "2024-05-05/08-00-00",
    ]
    assert SweepLayout(root / "2024-05-04" / "10-30-00").record_file.is_file()
    assert sorted(p.name for p in root.iterdir()) == [".ocr", "2024-05-02", "2024-05-03", "2024-05-04", "2024-05-05"]  # fmt: skip
    assert report.left_in_place == []
    validation = validate_root(root)
    assert validation.ok, validation.problems
    assert validation.counts.checkpoints == 8
    rollback_migration(root)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        pytest.param(
            "outer/inner",
            "not migrated: 'outer' is a run (it holds .hydra/config.yaml, checkpoints/ or "
            "lightning_logs/) and holds another run, 'outer/inner': which files belong to which "
            "cannot be told. Move the inner run out, then migrate again",
            id="run-in-a-run",
        ),
        pytest.param(
            "sweep/0/../extra",
            "not migrated: the sweep folder 'sweep' holds 'sweep/extra', which is no job of it: "
            "which sweep a run belongs to cannot be told. Move it out, then migrate again",
            id="stray-run-in-a-sweep",
        ),
    ],
)
def test_an_ambiguous_folder_is_refused_and_the_rest_migrated_when_split(
    tmp_path: Path, inner: str, reason: str
) -> None:
    root = tmp_path / "outputs"
    container = root / "box"
    _run(container / "outer", "checkpoints/a.ckpt")
    _run(container / "sweep" / "0", "checkpoints/a.ckpt")
    _run(container / os.path.normpath(inner), "checkpoints/b.ckpt")
    _run(root / "plain", "checkpoints/c.ckpt")
    report = apply_migration(root)
    assert [run.sources for run in report.runs] == [["outputs/plain"]]
    assert [(left.path, left.reason) for left in report.left_in_place] == [("outputs/box", reason)]
    assert (container / "outer" / "checkpoints" / "a.ckpt").is_file()


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        pytest.param("20240301_120000_7", "2024-03-01/12-00-00", id="compact-seed"),
        pytest.param("2024-03-02_13-14-15", "2024-03-02/13-14-15", id="dashed"),
    ],
)
def test_a_stamp_in_the_folder_name_outranks_file_times_when_migrated(
    tmp_path: Path, folder: str, expected: str
) -> None:
    root = tmp_path / "outputs"
    _write(root / folder / "checkpoints" / "last.ckpt")
    (run,) = plan_migration(root).runs
    assert (run.target, run.timestamp_source) == (
        f"outputs/{expected}",
        TimestampSource.FOLDER_NAME,
    )


def test_every_original_byte_is_kept_when_a_split_migration_is_applied(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    shutil.copytree(TEMPLATE, root)
    before = file_digests(snapshot(tmp_path))
    apply_migration(root)
    assert set(before.values()) <= set(file_digests(snapshot(tmp_path)).values())


def test_a_folder_of_numbered_runs_moves_as_one_sweep_when_migrated(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    for job in (0, 1):
        _run(root / "2024-06-01_08-00-00" / str(job), "checkpoints/last.ckpt")
    report = apply_migration(root)
    assert [(run.era, run.target, run.checkpoints) for run in report.runs] == [
        (Era.D.value, "outputs/2024-06-01/08-00-00", 2)
    ]
    assert _hydra_folders(root) == ["2024-06-01/08-00-00/0", "2024-06-01/08-00-00/1"]
    validation = validate_root(root)
    assert validation.ok, validation.problems


@pytest.mark.parametrize(
    "added",
    [
        pytest.param(".hydra/config.yaml", id="config"),
        pytest.param("checkpoints/last.ckpt", id="checkpoints-folder"),
    ],
)
def test_a_run_made_above_a_checkpoint_is_seen_when_scanning_with_the_index(
    tmp_path: Path, added: str
) -> None:
    root = tmp_path / "outputs"
    _write(root / "exp" / "submissions" / "final.ckpt")
    (RunLayout(root / "exp").hydra_dir).mkdir()  # Hydra's folder, its config not yet written
    assert [entry.run_dir for entry in CheckpointCatalog([root]).scan()] == [None]
    _write(root / "exp" / added, CONFIG)
    entries = CheckpointCatalog([root]).scan()
    assert {entry.run_dir for entry in entries} == {str(root / "exp")}
    assert entries == CheckpointCatalog([root]).scan(rescan=True)


def test_a_run_holding_another_run_is_refused_when_it_is_at_the_top(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    _run(root / "outer", "checkpoints/a.ckpt")
    _run(root / "outer" / "runs" / "inner", "checkpoints/b.ckpt")
    plan = plan_migration(root)
    assert plan.runs == []
    assert [(left.path, left.reason) for left in plan.left_in_place] == [
        (
            "outputs/outer",
            "not migrated: the folder is a run (it holds .hydra/config.yaml, checkpoints/ or "
            "lightning_logs/) and holds another run, 'runs/inner': which files belong to which "
            "cannot be told. Move the inner run out, then migrate again",
        )
    ]


def test_a_legacy_folder_named_like_a_date_is_a_run_when_its_checkpoints_sit_in_it(
    tmp_path: Path,
) -> None:
    outputs = tmp_path / "outputs"
    run = _run(outputs / "2025-10-18", "checkpoints/last.ckpt")
    found = locate_legacy_run(run / "checkpoints" / "last.ckpt", roots=[outputs])
    assert found is not None
    assert (found.era, found.folder, found.name) == (Era.A, run, "2025-10-18")
