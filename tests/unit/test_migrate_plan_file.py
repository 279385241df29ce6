"""A migration's ``plan.json``: typed steps, the version check, and plans of an older ocr (issue 13).

``fixtures/golden/plan-v1.json`` is a real version 1 plan, written by the ocr
before steps became a discriminated union (eras A to D, with a re-pointed link),
its tree's place replaced by ``/data/project``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from ocr.cli import main
from ocr.errors import MigrationPlanInvalidError, MigrationPlanVersionError
from ocr.layout import MigrationLayout
from ocr.migrate import (
    MigrationState,
    apply_migration,
    list_migrations,
    plan_migration,
    rollback_migration,
)
from ocr.migrate._journal import KILL_AT_ENV_VAR
from ocr.migrate._model import (
    PLAN_SCHEMA_VERSION,
    MoveAction,
    RelinkAction,
    RewriteAction,
    WriteAction,
    read_plan_file,
)
from ocr.validate import validate_root
from tests.tree_snapshot import snapshot

GOLDEN_V1 = Path(__file__).parents[2] / "fixtures" / "golden" / "plan-v1.json"
RUN = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"


def _migration_with(folder: Path, content: str) -> MigrationLayout:
    migration = MigrationLayout(folder / "m1")
    migration.folder.mkdir(parents=True)
    migration.plan_file.write_text(content, encoding="utf-8")
    return migration


def _as_version_1(plan: dict[str, Any]) -> dict[str, Any]:
    """A version 2 plan written the way version 1 wrote it: every field on every step."""
    steps = []
    for step in plan["actions"]:
        pairs = step.get("replacements", [])
        if step["kind"] == "relink":
            pairs = [[step["old_target"], step["new_target"]]]
        steps.append(
            {
                "kind": step["kind"],
                "path": step["path"],
                "source": step.get("source"),
                "text": step.get("text"),
                "backup": step.get("backup"),
                "replacements": pairs,
                "purpose": step["purpose"],
            }
        )
    return {**plan, "schema_version": 1, "actions": steps}


def test_each_step_of_a_version_1_plan_keeps_its_fields_when_read_as_typed_steps(
    tmp_path: Path,
) -> None:
    old = json.loads(GOLDEN_V1.read_text(encoding="utf-8"))
    plan = read_plan_file(_migration_with(tmp_path, GOLDEN_V1.read_text(encoding="utf-8")))
    assert plan.schema_version == PLAN_SCHEMA_VERSION == 2
    assert [a.kind.value for a in plan.actions] == [a["kind"] for a in old["actions"]]
    for action, was in zip(plan.actions, old["actions"], strict=True):
        assert (action.path, action.purpose) == (was["path"], was["purpose"])
        match action:
            case MoveAction():
                assert action.source == was["source"]
            case WriteAction():
                assert (action.text, action.backup) == (was["text"], was["backup"])
            case RewriteAction():
                assert action.backup == was["backup"]
                assert action.replacements == [tuple(pair) for pair in was["replacements"]]
            case RelinkAction():
                assert [[action.old_target, action.new_target]] == was["replacements"]
    assert {a.kind.value for a in plan.actions} >= {"mkdir", "move", "relink", "rewrite", "write"}


def test_a_plan_is_written_with_only_its_steps_own_fields_when_it_is_saved(legacy: Path) -> None:
    (legacy / "outside" / "dir").mkdir(parents=True)
    (legacy / "outputs" / RUN / "data").symlink_to("../../outside/dir")
    written = json.loads(plan_migration(legacy / "outputs").model_dump_json())
    fields = {step["kind"]: set(step) for step in written["actions"]}
    assert fields["move"] == {"kind", "path", "purpose", "source"}
    assert fields["mkdir"] == {"kind", "path", "purpose"}
    assert fields["write"] == {"kind", "path", "purpose", "text", "backup"}
    assert fields["rewrite"] == {"kind", "path", "purpose", "backup", "replacements"}
    assert fields["relink"] == {"kind", "path", "purpose", "old_target", "new_target"}


def test_reading_a_plan_is_refused_with_an_upgrade_error_when_a_newer_ocr_wrote_it(
    tmp_path: Path,
) -> None:
    migration = _migration_with(tmp_path, json.dumps({"schema_version": 3, "anything": "new"}))
    with pytest.raises(MigrationPlanVersionError) as raised:
        read_plan_file(migration)
    assert str(raised.value) == (
        f"migration plan {str(migration.plan_file)!r} has schema version 3, newer than this ocr "
        "understands (2). Upgrade ocr (pip install --upgrade ocr), then run the command again"
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        pytest.param('{"schema_version": 2, "migra', "not JSON (cut short?)", id="cut-short"),
        pytest.param("[1, 2]", "expected a JSON object, got list", id="not-an-object"),
    ],
)
def test_reading_a_plan_is_refused_in_one_line_when_it_is_damaged(
    tmp_path: Path, content: str, why: str
) -> None:
    migration = _migration_with(tmp_path, content)
    with pytest.raises(MigrationPlanInvalidError) as raised:
        read_plan_file(migration)
    assert str(raised.value) == (
        f"migration plan is invalid: {str(migration.plan_file)!r}: {why}. Restore the file "
        "from a backup, or delete its migration folder if it never began"
    )


def test_rollback_says_to_upgrade_ocr_when_a_newer_ocr_wrote_the_plan(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = legacy / "outputs"
    apply_migration(root)
    (migration,) = list_migrations(root)
    plan_file = MigrationLayout(migration.folder).plan_file
    newer = {**json.loads(plan_file.read_text(encoding="utf-8")), "schema_version": 3}
    plan_file.write_text(json.dumps(newer), encoding="utf-8")
    assert list_migrations(root) == []
    assert main(["migrate", "rollback", str(root)]) == 2
    assert capsys.readouterr().err == (
        f"ocr: error: migration {migration.migration_id} cannot be read (its plan.json: written "
        "by a newer ocr (schema version 3): upgrade ocr to read it), so it can be neither "
        "resumed nor rolled back, and no migration may start over a tree it may have half "
        "moved. Upgrade ocr (pip install --upgrade ocr), then run the command again\n"
    )


def _apply_and_die(root: Path, kill_at: int) -> None:
    os.environ[KILL_AT_ENV_VAR] = str(kill_at)
    apply_migration(root)


def test_apply_resumes_and_rollback_is_exact_when_an_older_ocr_wrote_the_plan(
    legacy: Path,
) -> None:
    root = legacy / "outputs"
    (legacy / "outside" / "dir").mkdir(parents=True)
    (root / RUN / "data").symlink_to("../../outside/dir")
    before = snapshot(legacy)
    child = multiprocessing.get_context("fork").Process(target=_apply_and_die, args=(root, 12))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    (migration,) = list_migrations(root)
    assert migration.state is MigrationState.APPLYING
    plan_file = MigrationLayout(migration.folder).plan_file
    plan_file.write_text(json.dumps(_as_version_1(json.loads(plan_file.read_text()))))
    assert apply_migration(root).state == "applied"
    assert validate_root(root).ok
    rollback_migration(root)
    assert snapshot(legacy) == before
