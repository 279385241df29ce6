from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from filelock import FileLock

import ocr.migrate._copy
from ocr.catalog import CheckpointCatalog, SidecarState
from ocr.cli import main
from ocr.compat import mapping_files, read_mapping, translate
from ocr.errors import (
    InputPathError,
    MigrationBusyError,
    MigrationConfinementError,
    MigrationCopyError,
    MigrationStateError,
)
from ocr.layout import RootLayout
from ocr.metadata import read_metadata
from ocr.migrate import (
    Mode,
    TimestampSource,
    apply_migration,
    build_report,
    list_migrations,
    plan_migration,
    render_markdown,
    render_text,
    rollback_migration,
)
from ocr.migrate._copy import Scratch
from ocr.migrate._execute import StepRunner
from ocr.migrate._journal import KILL_AT_ENV_VAR
from ocr.migrate._model import WriteAction
from ocr.registry import ExperimentRegistry
from ocr.validate import validate_root
from tests.tree_snapshot import file_digests, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES = Path(__file__).parents[2] / "fixtures" / "legacy"


def _catalog_paths(root: Path) -> set[str]:
    return {entry.path for entry in CheckpointCatalog([root]).scan(index=False)}


def test_plan_writes_nothing_and_says_where_everything_goes(legacy: Path) -> None:
    before = snapshot(legacy)
    plan = plan_migration(legacy / "outputs")
    assert snapshot(legacy) == before
    assert {run.era for run in plan.runs} == {"name_based", "model_subfolder", "tagged", "sweep"}
    tagged = next(run for run in plan.runs if run.name.startswith("ocr_training-unknown"))
    assert tagged.timestamp_source is TimestampSource.FOLDER_NAME
    assert tagged.target == "outputs/2025-10-09/01-50-37_1"  # the era A run took 01-50-37
    assert tagged.sources == [
        "outputs/ocr_training-unknown-unknown_training_20251009_015037",
        "outputs/receipt_detector",
    ]
    assert any("receipt_detector" in note for note in tagged.notes)
    shared = next(run for run in plan.runs if run.name.endswith("mobilenetv3_small_050"))
    assert any("several runs" in note for note in shared.notes)
    assert plan.mapping["wandb/run-20251009_015037-abc123de"] == (
        "outputs/2025-10-09/01-50-37_1/wandb/run-20251009_015037-abc123de"
    )


def test_apply_keeps_every_byte_and_rollback_restores_the_exact_tree(legacy: Path) -> None:
    root = legacy / "outputs"
    before = snapshot(legacy)
    legacy_checkpoints = {p for p in before if p.endswith(".ckpt")}

    report = apply_migration(root)

    assert report.state == "applied"
    assert report.counts.checkpoints == len(legacy_checkpoints) == report.counts.sidecars_written
    after = snapshot(legacy)
    new_digests = set(file_digests(after).values())
    assert set(file_digests(before).values()) <= new_digests  # originals of rewrites included
    found = _catalog_paths(root)
    assert len(found) == len(legacy_checkpoints)
    entries = CheckpointCatalog([root]).scan()
    assert {entry.sidecar for entry in entries} == {SidecarState.VALID}
    assert all(entry.experiment_id for entry in entries)
    assert validate_root(root).ok
    for old in legacy_checkpoints:
        with pytest.warns(DeprecationWarning, match="has moved to"):
            assert translate(legacy / old, root=root).is_file()

    after = snapshot(legacy)
    assert apply_migration(root).state == "nothing_to_do"
    assert snapshot(legacy) == after

    rollback_migration(root)
    assert snapshot(legacy) == before


def test_rewrites_old_paths_and_keeps_originals(legacy: Path) -> None:
    root = legacy / "outputs"
    hydra = root / "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050" / ".hydra" / "hydra.yaml"
    with hydra.open("a") as handle:
        handle.write("  output: outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050\n")
        handle.write(
            f"  ckpt: {root}/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050/x.ckpt\n"
        )
        handle.write("  other: outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_0500\n")
    original, original_mtime_ns = hydra.read_bytes(), hydra.stat().st_mtime_ns
    apply_migration(root)
    moved = root / "2025-10-09" / "01-50-37" / ".hydra" / "hydra.yaml"
    text = moved.read_text()
    assert "  output: outputs/2025-10-09/01-50-37\n" in text
    assert f"  ckpt: {root}/2025-10-09/01-50-37/x.ckpt\n" in text
    assert "  other: outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_0500\n" in text
    assert moved.stat().st_mtime_ns == original_mtime_ns
    rollback_migration(root)
    assert hydra.read_bytes() == original


def test_migrated_sidecars_say_where_each_field_came_from(legacy: Path) -> None:
    root = legacy / "outputs"
    apply_migration(root)
    sidecar = (
        root / "2025-10-09" / "01-50-37" / "checkpoints" / "epoch=67-step=18564.ckpt.meta.json"
    )
    metadata = read_metadata(sidecar)
    assert metadata.provenance.source == "migrated"
    assert metadata.provenance.field_sources["training.epoch"] == "file_name"
    assert metadata.provenance.field_sources["model.encoder"] == "hydra_config"
    assert (metadata.training.epoch, metadata.training.global_step) == (67, 18564)
    unknown = read_metadata(sidecar.with_name("last-v1.ckpt.meta.json"))
    assert unknown.training.epoch is None
    assert unknown.training.is_last
    runs = ExperimentRegistry(root).runs()
    assert len(runs) == 7  # 5 runs + 2 sweep jobs
    assert {run.record.status.value for run in runs} == {"completed"}
    assert all("migrated" in run.record.tags for run in runs)


def test_copy_mode_leaves_the_legacy_tree_and_a_second_apply_does_nothing(legacy: Path) -> None:
    root = legacy / "outputs"
    before = snapshot(legacy)
    apply_migration(root, mode=Mode.COPY)
    after = snapshot(legacy)
    assert all(after.get(path) == value for path, value in before.items() if value[0] == "f")
    assert apply_migration(root, mode=Mode.COPY).state == "nothing_to_do"
    rollback_migration(root)
    assert snapshot(legacy) == before


def test_leaving_out_multirun_and_wandb(legacy: Path) -> None:
    plan = plan_migration(legacy / "outputs", multirun=False, wandb=False)
    assert "sweep" not in {run.era for run in plan.runs}
    assert not any(old.startswith(("multirun/", "wandb/")) for old in plan.mapping)


def test_sweep_and_wandb_folders_named_elsewhere_are_migrated_and_rolled_back(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (legacy / "old").mkdir()
    (legacy / "multirun").rename(legacy / "old" / "sweeps")
    (legacy / "wandb").rename(legacy / "wb")
    root = legacy / "outputs"
    before = snapshot(legacy)
    assert {run.era for run in plan_migration(root).runs} == {
        "name_based",
        "model_subfolder",
        "tagged",
    }

    plan = plan_migration(root, multirun=legacy / "old" / "sweeps", wandb=legacy / "wb")
    assert "sweep" in {run.era for run in plan.runs}
    assert plan.mapping["wb/run-20251009_015037-abc123de"] == (
        "outputs/2025-10-09/01-50-37_1/wandb/run-20251009_015037-abc123de"
    )
    assert any(old.startswith("old/sweeps/") for old in plan.mapping)

    args = ["migrate", "apply", str(root), "--multirun", str(legacy / "old" / "sweeps")]
    assert main([*args, "--wandb", str(legacy / "wb"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "applied"
    assert not any((legacy / "old" / "sweeps").iterdir())
    assert validate_root(root).ok
    rollback_migration(root)
    assert snapshot(legacy) == before


_BESIDE = "Give a folder beside the output root, not in or around it"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            ["--multirun", "missing"],
            "--multirun 'missing' is not a folder. Give the legacy folder itself, or leave it "
            "out with --no-multirun",
            id="missing",
        ),
        pytest.param(
            ["--multirun", "link"],
            "--multirun 'link' is a link. Give the legacy folder itself, or leave it out with "
            "--no-multirun",
            id="link",
        ),
        pytest.param(
            ["--wandb", "outputs/inner"],
            f"--wandb 'outputs/inner' overlaps the output root '{{base}}/outputs'. {_BESIDE}",
            id="inside-root",
        ),
        pytest.param(
            ["--wandb", "."],
            f"--wandb '.' overlaps the output root '{{base}}/outputs'. {_BESIDE}",
            id="around-root",
        ),
        pytest.param(
            ["--multirun", "../elsewhere"],
            "--multirun '{base}/../elsewhere' is outside '{base}', the folder that holds the "
            "output root (a migration keeps every path relative to it). Move the folder under "
            "'{base}' first, then migrate",
            id="outside-project",
        ),
        pytest.param(
            ["--multirun", "wandb", "--wandb", "wandb"],
            "--multirun and --wandb name the same folder '{base}/wandb'. Give each its own "
            "folder, or leave one out with --no-multirun/--no-wandb",
            id="same-folder",
        ),
    ],
)
def test_cli_refuses_unusable_legacy_folders_with_one_line(
    options: list[str],
    message: str,
    legacy: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (legacy / "outputs" / "inner").mkdir()
    (legacy / "link").symlink_to(legacy / "multirun")
    (legacy.parent / "elsewhere").mkdir()
    monkeypatch.chdir(legacy)
    before = snapshot(legacy)
    expected = "ocr: error: " + message.format(base=legacy).replace(
        f"{legacy}/../elsewhere", str(legacy.parent / "elsewhere")
    )
    for action in ("plan", "apply"):
        assert main(["migrate", action, "outputs", *options]) == 2
        assert capsys.readouterr().err == expected + "\n"
    assert snapshot(legacy) == before


def test_links_are_left_in_place_and_never_written_through(legacy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.ckpt").write_bytes(b"not ours")
    root = legacy / "outputs"
    (root / "shortcut").symlink_to(outside)
    experiment = root / "receipt_detector"
    (experiment / "elsewhere").symlink_to(outside)
    before_outside = snapshot(outside)
    plan = plan_migration(root)
    assert any(item.path == "outputs/shortcut" for item in plan.left_in_place)
    apply_migration(root)
    assert (root / "shortcut").is_symlink()
    assert snapshot(outside) == before_outside


def test_a_step_through_a_link_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "outputs").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (base / "outputs" / "link").symlink_to(outside)
    scratch = Scratch(RootLayout(base / "outputs").migration("m1"), [base / "outputs"])
    runner = StepRunner(base, ["outputs"], scratch)
    write = WriteAction(path="outputs/link/x.json", text="{}", purpose="t")
    with pytest.raises(MigrationConfinementError, match="outside the migrated folders"):
        runner.do(write)
    assert not (outside / "x.json").exists()


def _hold_lock(
    root: Path, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event
) -> None:
    with FileLock(RootLayout(root).state_dir / "migrate.lock"):
        ready.set()
        done.wait(30)


@pytest.fixture
def busy(legacy: Path) -> Iterator[Path]:
    """Another process holds the tree's migration lock."""
    root = legacy / "outputs"
    RootLayout(root).state_dir.mkdir()
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(root, ready, done))
    holder.start()
    assert ready.wait(30)
    yield root
    done.set()
    holder.join(30)


def test_a_second_migration_of_the_same_tree_is_refused(busy: Path) -> None:
    before = snapshot(busy.parent)
    with pytest.raises(MigrationBusyError, match="another ocr process is migrating"):
        apply_migration(busy)
    assert snapshot(busy.parent) == before


def test_rollback_refuses_what_it_cannot_do(legacy: Path) -> None:
    root = legacy / "outputs"
    with pytest.raises(MigrationStateError, match="no migration to roll back"):
        rollback_migration(root)
    first = apply_migration(root, mode=Mode.COPY, wandb=False)
    (legacy / "outputs" / "late run").mkdir()
    (legacy / "outputs" / "late run" / "train.log").write_text("late\n")
    second = apply_migration(root)
    assert [m.migration_id for m in list_migrations(root)] == [
        first.migration_id,
        second.migration_id,
    ]
    with pytest.raises(MigrationStateError, match=r"Roll back .* first"):
        rollback_migration(root, migration_id=first.migration_id)
    with pytest.raises(MigrationStateError, match="no migration 'nope'"):
        rollback_migration(root, migration_id="nope")
    rollback_migration(root)
    rollback_migration(root)
    assert not RootLayout(root).state_dir.exists()


def test_missing_root_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputPathError, match="is not a folder"):
        plan_migration(tmp_path / "nope")


@pytest.mark.parametrize("action", ["plan", "apply", "status", "rollback"])
def test_cli_bad_root_exits_2_with_one_line(
    action: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", action, str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("ocr: error: output root")


def test_cli_round_trip_in_every_format(legacy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(legacy / "outputs")
    assert main(["migrate", "plan", root, "--format", "json"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned["state"] == "planned"
    assert planned["counts"]["checkpoints"] == 27
    assert main(["migrate", "plan", root, "--format", "markdown"]) == 0
    assert "## Runs" in capsys.readouterr().out
    assert main(["migrate", "apply", root]) == 0
    assert "migrated" in capsys.readouterr().out
    assert main(["migrate", "status", root, "--format", "json"]) == 0
    (status,) = json.loads(capsys.readouterr().out)
    assert status["state"] == "applied"
    assert status["steps"] == status["steps_done"]
    folder = RootLayout(legacy / "outputs").state_dir / "migrations" / status["migration_id"]
    assert json.loads((folder / "report.json").read_text())["counts"]["runs"] == 6
    assert "# Migration" in (folder / "report.md").read_text()
    (mapping,) = mapping_files(legacy / "outputs")
    assert read_mapping(mapping).migration_id == status["migration_id"]
    assert main(["migrate", "status", root]) == 0
    assert "applied" in capsys.readouterr().out
    assert main(["migrate", "rollback", root, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "rolled_back"
    assert main(["migrate", "status", root]) == 0
    assert "No migrations" in capsys.readouterr().out


def _apply_and_die_at_first_step(root: Path) -> None:
    os.environ[KILL_AT_ENV_VAR] = "2"  # after the first journal line and the first step
    apply_migration(root)


def test_plan_and_status_say_when_a_migration_was_interrupted(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = legacy / "outputs"
    child = multiprocessing.get_context("fork").Process(
        target=_apply_and_die_at_first_step, args=(root,)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert main(["migrate", "plan", str(root)]) == 0
    assert "is applying (0/54 steps)" in capsys.readouterr().err  # a batch is not yet committed
    assert main(["migrate", "status", str(root), "--format", "json"]) == 0
    (status,) = json.loads(capsys.readouterr().out)
    assert (status["state"], status["steps_done"]) == ("applying", 0)
    assert main(["migrate", "apply", str(root)]) == 0
    assert validate_root(root).ok


def _apply_named_and_die_at_first_step(root: Path, sweeps: Path) -> None:
    os.environ[KILL_AT_ENV_VAR] = "2"
    apply_migration(root, multirun=sweeps, wandb=False)


def test_an_interrupted_migration_resumes_with_the_folders_it_was_given(legacy: Path) -> None:
    root, sweeps = legacy / "outputs", legacy / "old sweeps"
    (legacy / "multirun").rename(sweeps)
    before = snapshot(legacy)
    child = multiprocessing.get_context("fork").Process(
        target=_apply_named_and_die_at_first_step, args=(root, sweeps)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    # Whatever the options now say (here a folder that does not exist), the
    # migration finishes with the folders its plan recorded.
    assert main(["migrate", "apply", str(root), "--multirun", str(legacy / "gone")]) == 0
    (migration,) = list_migrations(root)
    report = json.loads((migration.folder / "report.json").read_text())
    assert "sweep" in {run["era"] for run in report["runs"]}
    assert not any(sweeps.iterdir())
    assert (legacy / "wandb").is_dir() and any((legacy / "wandb").iterdir())  # --no-wandb held
    rollback_migration(root)
    assert snapshot(legacy) == before


def test_reports_keep_one_item_per_line_when_a_name_holds_a_newline(legacy: Path) -> None:
    odd = legacy / "outputs" / "two\nlines|run"
    (odd / "checkpoints").mkdir(parents=True)
    (odd / "checkpoints" / "epoch=1-step=2.ckpt").write_bytes(b"x")
    report = build_report(plan_migration(legacy / "outputs"), state="planned", seconds=None)
    text = render_text(report)
    assert "outputs/two\\nlines|run -> " in text
    assert "| `outputs/two\\nlines\\|run` |" in render_markdown(report)


def test_a_copy_that_does_not_match_its_source_is_removed_and_the_source_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A disk that corrupts what it is given cannot be made here: the check that
    # re-reads the copy is told it read other bytes, the one thing mocked.
    source = tmp_path / "run" / "best.ckpt"
    source.parent.mkdir()
    source.write_bytes(b"weights" * 1000)
    monkeypatch.setattr(ocr.migrate._copy, "_digest", lambda path: b"other bytes")
    destination = tmp_path / "new" / "best.ckpt"
    destination.parent.mkdir()
    scratch = Scratch(RootLayout(tmp_path).migration("m1"), [tmp_path])
    with pytest.raises(MigrationCopyError) as raised:
        ocr.migrate._copy.copy_verified(source.parent, destination.parent / "run", scratch=scratch)
    assert str(raised.value) == (
        f"the copy of {str(source)!r} does not match it (size or SHA-256); the source is kept. "
        "Check the disk holding the destination, then run the command again"
    )
    assert source.read_bytes() == b"weights" * 1000
    # Nothing is left beside the destination, and the scratch folder is empty.
    assert list(destination.parent.iterdir()) == []
    assert list((tmp_path / ".ocr" / "migrations" / "m1" / "partial").iterdir()) == []
