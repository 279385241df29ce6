"""Folders a user may not read or change: one line, nothing lost, nothing cached wrongly.

Issue 11, items 11 and 15. Root passes every permission check, so each
command runs as an unprivileged user (``tests.unprivileged``: ``nobody``
through ``setpriv`` under root) on a tree handed to that user, with real
``chmod`` changes.
"""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from ocr.catalog import CheckpointCatalog
from ocr.layout import RunLayout
from ocr.registry import ExperimentRegistry
from tests.conftest import LEGACY_FIXTURES
from tests.tree_snapshot import snapshot
from tests.unprivileged import hand_over, run_ocr_unprivileged

if TYPE_CHECKING:
    from pathlib import Path

RUN = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def project(shared_folder: Path) -> Path:
    """Eras A to D, owned by the unprivileged user."""
    base = shared_folder / "project"
    for era in "ABCD":
        shutil.copytree(LEGACY_FIXTURES / era, base, dirs_exist_ok=True)
    hand_over(base)
    return base


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_the_catalog_never_indexes_a_folder_it_could_not_read(project: Path) -> None:
    root = project / "outputs"
    every = {entry.path for entry in CheckpointCatalog([root]).scan(index=False)}  # no index
    locked = root / RUN / "checkpoints"
    hidden = {path for path in every if path.startswith(str(locked))}
    assert hidden
    locked.chmod(0o000)  # before the first scan: the index is made while it is unreadable
    done = run_ocr_unprivileged(["catalog", str(root), "--format", "json"])
    assert done.returncode == 0
    assert f"cannot list {locked}" in done.stderr
    assert {entry["path"] for entry in json.loads(done.stdout)} == every - hidden
    locked.chmod(0o755)  # a mode change leaves the folder's mtime as it was
    again = run_ocr_unprivileged(["catalog", str(root), "--format", "json"])  # no --rescan
    assert {entry["path"] for entry in json.loads(again.stdout)} == every


def test_apply_refuses_before_moving_anything_when_a_folder_it_writes_in_is_read_only(
    project: Path,
) -> None:
    root = project / "outputs"
    read_only = root / RUN / "checkpoints"  # a sidecar is to be written in it
    read_only.chmod(0o555)
    before = snapshot(project)
    for command in ("plan", "apply"):
        done = run_ocr_unprivileged(["migrate", command, str(root)])
        assert done.returncode == 2, done.stderr
        line = _one_line(done.stderr)
        assert line.startswith(
            "ocr: error: cannot migrate: 1 folder(s) it must change are not writable by this "
            f"user, the first {str(read_only)!r} ("
        ), line
        assert line.endswith(
            "); nothing was changed. Make them writable (chmod u+w), or run as their owner, "
            "then run the command again"
        )
    assert snapshot(project) == before


def test_rollback_refuses_with_one_line_on_a_read_only_tree_and_finishes_once_writable(
    project: Path,
) -> None:
    root = project / "outputs"
    before = snapshot(project)
    assert run_ocr_unprivileged(["migrate", "apply", str(root)]).returncode == 0
    applied = snapshot(project)
    root.chmod(0o555)  # the runs cannot leave it
    done = run_ocr_unprivileged(["migrate", "rollback", str(root)])
    assert done.returncode == 2
    assert _one_line(done.stderr).startswith("ocr: error: cannot roll back: "), done.stderr
    assert snapshot(project) == applied
    root.chmod(0o755)
    assert run_ocr_unprivileged(["migrate", "rollback", str(root)]).returncode == 0
    assert snapshot(project) == before


def test_registry_skips_an_unreadable_run_folder_with_a_warning(shared_folder: Path) -> None:
    root = shared_folder / "outputs"
    registry = ExperimentRegistry(root)
    readable, locked = (root / "2025-10-18" / time for time in ("14-03-22", "14-05-00"))
    for run_dir in (readable, locked):
        RunLayout(run_dir).checkpoint_dir.mkdir(parents=True)
        registry.start_run(run_dir, name=run_dir.name)
    hand_over(root)
    locked.chmod(0o000)
    for action in ("list", "rebuild"):
        done = run_ocr_unprivileged(["registry", action, str(root)])
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert f"skipping an unreadable run folder {locked}: Permission denied" in done.stderr
    listing = run_ocr_unprivileged(["registry", "list", str(root), "--format", "json"])
    assert [run["name"] for run in json.loads(listing.stdout)] == ["14-03-22"]
    validated = run_ocr_unprivileged(["validate", str(root), "--format", "json"])
    assert validated.returncode == 1
    kinds = {(p["kind"], p["path"]) for p in json.loads(validated.stdout)["problems"]}
    assert ("folder-unreadable", f"outputs/2025-10-18/{locked.name}") in kinds
    assert not any(kind == "record-missing" for kind, _ in kinds)
