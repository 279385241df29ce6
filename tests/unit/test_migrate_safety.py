"""The migrator never costs data, never starts what it cannot finish, never leaves a tree stuck.

Issue 11, items 2, 3, 5, 6, 7, 16, 21 and 22 (the migration side). Kills are
real SIGKILLs of a forked migrating process (``OCR_MIGRATE_KILL_AT``, or a
planning step replaced by a SIGKILL in the child only).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
from typing import TYPE_CHECKING

import pytest

import ocr.migrate._migration
import ocr.migrate._run
from ocr.catalog import CheckpointCatalog, SidecarState
from ocr.cli import main
from ocr.layout import RootLayout, RunLayout
from ocr.migrate import (
    ActionKind,
    apply_migration,
    list_migrations,
    plan_migration,
    rollback_migration,
)
from ocr.migrate._journal import KILL_AT_ENV_VAR
from ocr.naming import sidecar_path
from ocr.registry import ExperimentRegistry
from ocr.validate import validate_root
from tests.tree_snapshot import snapshot

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

RUN = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
"""An era A run of the fixture tree: checkpoints, a log and a Hydra config."""


def _in_a_child_that_dies(work: Callable[[], object]) -> None:
    child = multiprocessing.get_context("fork").Process(target=work)
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL


def _die(*_: object, **__: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _apply_and_die_at(root: Path, kill_at: int) -> Callable[[], object]:
    def work() -> object:
        os.environ[KILL_AT_ENV_VAR] = str(kill_at)
        return apply_migration(root)

    return work


# -- item 2: an unreadable plan blocks new migrations --------------------------------


def test_a_half_applied_migration_whose_plan_cannot_be_read_blocks_every_command(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = legacy / "outputs"
    _in_a_child_that_dies(_apply_and_die_at(root, 10))
    (migration,) = list_migrations(root)
    plan = migration.folder / "plan.json"
    plan.write_bytes(plan.read_bytes()[:100])
    before = snapshot(legacy)
    assert main(["migrate", "status", str(root), "--format", "json"]) == 0
    captured = capsys.readouterr()
    (row,) = json.loads(captured.out)
    assert row == {
        "migration_id": migration.migration_id,
        "state": "unreadable",
        "created_at": None,
        "mode": None,
        "runs": None,
        "steps": None,
        "steps_done": None,
    }
    refusal = (
        f"migration {migration.migration_id} cannot be read (its plan.json: not a plan (cut "
        "short, or not JSON, or fields missing)), so it can be neither resumed nor rolled back, "
        "and no migration may start over a tree it may have half moved. Restore plan.json and "
        f"journal.jsonl of {str(migration.folder)!r} from a backup; until then no migration can "
        "run"
    )
    assert captured.err == f"ocr: warning: {refusal}\n"
    for command in ("plan", "apply", "rollback"):
        assert main(["migrate", command, str(root)]) == 2
        assert capsys.readouterr().err == f"ocr: error: {refusal}\n", command
    assert snapshot(legacy) == before


def test_a_migration_folder_that_never_began_may_be_deleted_when_its_plan_is_unreadable(
    legacy: Path,
) -> None:
    root = legacy / "outputs"
    folder = RootLayout(root).state_dir / "migrations" / "20250101T000000-abcdef"
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text("{")
    with pytest.raises(Exception, match="It never began a step") as raised:
        apply_migration(root)
    assert f"delete the folder {str(folder)!r}" in str(raised.value)


# -- item 3: temporary names never collide with a user's file -----------------------


def test_a_users_file_named_like_a_temporary_one_survives_apply_and_rollback(
    legacy: Path,
) -> None:
    run = legacy / "outputs" / RUN
    (legacy / "outside" / "dir").mkdir(parents=True)
    (run / "data").symlink_to("../../outside/dir")  # re-pointed: the run moves a level deeper
    (run / "data.ocr-partial").write_bytes(b"the user's own notes")
    before = snapshot(legacy)
    plan = plan_migration(legacy / "outputs")
    assert any(action.kind is ActionKind.RELINK for action in plan.actions)
    apply_migration(legacy / "outputs")
    (moved,) = [p for p in (legacy / "outputs").rglob("data.ocr-partial") if p.is_file()]
    assert moved.read_bytes() == b"the user's own notes"
    assert (moved.parent / "data").resolve() == (legacy / "outside" / "dir")
    assert [p for p in (legacy / "outputs").rglob("*ocr-partial*") if p != moved] == []
    rollback_migration(legacy / "outputs")
    assert snapshot(legacy) == before


# -- item 5: a root inside another root's layout -------------------------------------


@pytest.fixture
def new_root(tmp_path: Path) -> Path:
    """An already new root with one trained run (record, sidecar, config)."""
    root = tmp_path / "outputs"
    run_dir = root / "2026-12-07" / "10-00-00"
    layout = RunLayout(run_dir)
    layout.checkpoint_dir.mkdir(parents=True)
    (layout.checkpoint_dir / "last.ckpt").write_bytes(b"weights")
    ExperimentRegistry(root).start_run(run_dir, name="trained")
    return root


@pytest.mark.parametrize(
    ("inside", "what"),
    [
        pytest.param("2026-12-07", "a date folder", id="date-folder"),
        pytest.param("2026-12-07/10-00-00", "a run or sweep folder", id="run-folder"),
        pytest.param(
            "2026-12-07/10-00-00/checkpoints", "a folder inside a run or sweep", id="inside-a-run"
        ),
    ],
)
def test_a_folder_of_another_roots_layout_is_refused_when_given_as_root(
    new_root: Path, inside: str, what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    given = new_root / inside
    before = snapshot(new_root.parent)
    for command in ("plan", "apply"):
        assert main(["migrate", command, str(given)]) == 2
        assert capsys.readouterr().err == (
            f"ocr: error: {str(given)!r} is {what} of the output root {str(new_root)!r}, not an "
            "output root: migrating it would move its runs a level deeper. Give the output root "
            f"itself ({str(new_root)!r})\n"
        )
    assert snapshot(new_root.parent) == before
    assert [run.record.name for run in ExperimentRegistry(new_root).runs()] == ["trained"]


# -- item 6: a linked .ocr -----------------------------------------------------------


def test_a_linked_state_folder_is_refused_before_anything_moves(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = legacy / "outputs"
    elsewhere = legacy / "elsewhere"
    elsewhere.mkdir()
    RootLayout(root).state_dir.symlink_to(elsewhere)
    before = snapshot(legacy)
    message = (
        f"ocr: error: {str(root / '.ocr')!r} is a link; a migration keeps its plan, journal and "
        "the original bytes of what it changes only in a real folder inside the output root. "
        f"Replace {str(root / '.ocr')!r} by a folder (move what it holds into it), then run the "
        "command again\n"
    )
    for command in ("plan", "apply", "rollback"):
        assert main(["migrate", command, str(root)]) == 2
        assert capsys.readouterr().err == message, command
    assert snapshot(legacy) == before


# -- item 7: a kill while planning ---------------------------------------------------


def test_a_kill_while_planning_leaves_the_tree_as_it_was(legacy: Path) -> None:
    root = legacy / "outputs"
    before = snapshot(legacy)

    def plan_and_die() -> object:
        setattr(ocr.migrate._migration, "build_plan", _die)  # noqa: B010 - the child only
        return apply_migration(root)

    _in_a_child_that_dies(plan_and_die)
    assert snapshot(legacy) == before
    apply_migration(root)
    rollback_migration(root)
    assert snapshot(legacy) == before


def test_rollback_is_exact_when_an_earlier_attempt_died_after_making_the_state_folder(
    legacy: Path,
) -> None:
    root = legacy / "outputs"
    before = snapshot(legacy)

    def lock_and_die() -> object:
        setattr(ocr.migrate._migration, "run_plan", _die)  # noqa: B010 - the child only
        return apply_migration(root)

    _in_a_child_that_dies(lock_and_die)
    assert RootLayout(root).state_dir.is_dir()  # the lock made it, then the kill came
    apply_migration(root)
    rollback_migration(root)
    assert snapshot(legacy) == before


# -- item 16: a moved file deleted between a crash and the resume --------------------


def test_a_file_deleted_after_a_crash_stops_apply_with_one_line_and_rollback_goes_on(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = legacy / "outputs"
    before = snapshot(legacy)
    plan = plan_migration(root)
    first_rewrite = next(i for i, a in enumerate(plan.actions) if a.kind is ActionKind.REWRITE)
    _in_a_child_that_dies(_apply_and_die_at(root, first_rewrite + 1))  # moved, not rewritten
    rewritten = legacy / plan.actions[first_rewrite].path
    deleted = rewritten.read_bytes()
    rewritten.unlink()
    assert main(["migrate", "apply", str(root)]) == 2
    assert capsys.readouterr().err == (
        f"ocr: error: {str(rewritten)!r} was to have its old paths rewritten, but it is gone. "
        "Restore it from a backup, then run the command again; or undo the migration with "
        "`ocr migrate rollback ROOT`\n"
    )
    assert main(["migrate", "rollback", str(root)]) == 0
    after = snapshot(legacy)
    (lost,) = before.keys() - after.keys()  # only what was deleted by hand
    assert before[lost][1] == hashlib.sha256(deleted).hexdigest()
    assert {path: before[path] for path in after if before[path] != after[path]} == {}


# -- item 21: a folder checkpoint is one checkpoint, not a model subfolder -----------


def test_a_folder_checkpoint_is_one_checkpoint_when_migrated(legacy: Path) -> None:
    shards = legacy / "outputs" / RUN / "checkpoints" / "sharded.ckpt"
    (shards / "checkpoint").mkdir(parents=True)
    (shards / "checkpoint" / "mp_rank_00_model_states.pt").write_bytes(b"m" * 300)
    says = f'{{"tag": "outputs/{RUN}/checkpoints"}}'.encode()
    (shards / "latest.json").write_bytes(says)
    before = snapshot(legacy)
    plan = plan_migration(legacy / "outputs")
    (planned,) = [r for r in plan.runs if r.name == RUN]
    assert planned.era == "name_based"  # not model_subfolder: sharded.ckpt is no model name
    apply_migration(legacy / "outputs")
    moved = legacy / planned.target / "checkpoints" / "sharded.ckpt"
    assert (moved / "latest.json").read_bytes() == says  # part of a checkpoint: never rewritten
    assert sidecar_path(moved).is_file()
    (entry,) = [e for e in CheckpointCatalog([legacy / "outputs"]).scan() if e.path == str(moved)]
    assert (entry.size_bytes, entry.sidecar) == (300 + len(says), SidecarState.VALID)
    assert validate_root(legacy / "outputs").ok
    rollback_migration(legacy / "outputs")
    assert snapshot(legacy) == before


# -- item 22: links beside the root and checkpoint links -----------------------------


def test_a_linked_multirun_folder_beside_the_root_is_named_with_the_reason(legacy: Path) -> None:
    sweeps = legacy / "sweeps-on-scratch"
    (legacy / "multirun").rename(sweeps)
    (legacy / "multirun").symlink_to(sweeps)
    plan = plan_migration(legacy / "outputs")
    (left,) = [item for item in plan.left_in_place if item.path == "multirun"]
    assert left.reason == (
        "a link beside the output root; links are never followed, so nothing in it is migrated. "
        "To migrate the folder it points to, name it: --multirun DIR"
    )
    assert not any(run.era == "sweep" for run in plan.runs)


def test_neither_an_alias_link_nor_a_link_out_of_the_tree_gets_a_sidecar_when_planned(
    legacy: Path,
) -> None:
    checkpoints = legacy / "outputs" / RUN / "checkpoints"
    target = next(p for p in checkpoints.iterdir() if p.name.endswith(".ckpt"))
    (checkpoints / "best-v9.ckpt").symlink_to(target.name)
    (legacy / "outside").mkdir()
    (legacy / "outside" / "foreign.ckpt").write_bytes(b"not ours")
    (checkpoints / "foreign.ckpt").symlink_to(legacy / "outside" / "foreign.ckpt")
    writes = {
        a.path.rsplit("/", 1)[1]
        for a in plan_migration(legacy / "outputs").actions
        if a.kind is ActionKind.WRITE and a.purpose == "sidecar"
    }
    assert "best-v9.ckpt.meta.json" not in writes  # an alias: its target's sidecar describes it
    assert f"{target.name}.meta.json" in writes
    assert "foreign.ckpt.meta.json" not in writes  # a link out of the tree is no checkpoint of it
