"""A migration whose legacy sweeps sit on another filesystem (a real tmpfs mount).

``multirun/`` beside the output root is a tmpfs, as a team's scratch space
often is, so every sweep move is a rename that fails with ``EXDEV``: the
migrator copies, verifies size and SHA-256, and removes the source; rollback
copies back the same way. The tree must end exact both ways (paths, bytes,
mtimes). Mounting needs root (CAP_SYS_ADMIN); elsewhere the test is skipped
with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocr.catalog import CheckpointCatalog, SidecarState
from ocr.migrate import apply_migration, rollback_migration
from ocr.validate import validate_root
from tests.tree_snapshot import file_digests, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator

SWEEPS = Path(__file__).parents[2] / "fixtures" / "legacy" / "D" / "multirun"
ERA_A = Path(__file__).parents[2] / "fixtures" / "legacy" / "A" / "outputs"


@pytest.fixture
def project_with_sweeps_on_tmpfs(tmp_path: Path) -> Iterator[Path]:
    project = tmp_path / "project"
    multirun = project / "multirun"
    multirun.mkdir(parents=True)
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("mount/umount are not installed")
    mounted = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(multirun)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        shutil.copytree(SWEEPS, multirun, dirs_exist_ok=True)
        shutil.copytree(ERA_A, project / "outputs")
        yield project
    finally:
        subprocess.run([umount, "--lazy", str(multirun)], check=False)


def test_sweeps_on_another_filesystem_are_copied_verified_and_rolled_back_exactly(
    project_with_sweeps_on_tmpfs: Path,
) -> None:
    project = project_with_sweeps_on_tmpfs
    root = project / "outputs"
    assert (project / "multirun").stat().st_dev != root.stat().st_dev
    before = snapshot(project)
    sweep_checkpoints = {p for p in before if p.startswith("multirun/") and p.endswith(".ckpt")}
    assert sweep_checkpoints

    report = apply_migration(root)

    assert report.state == "applied"
    after = snapshot(project)
    assert not any(path.startswith("multirun/") and path != "multirun" for path in after)
    assert set(file_digests(before).values()) <= set(file_digests(after).values())
    entries = CheckpointCatalog([root]).scan()
    assert {entry.sidecar for entry in entries} == {SidecarState.VALID}
    assert len([e for e in entries if e.layout == "new"]) == len(entries)
    assert validate_root(root).ok

    rollback_migration(root)
    assert snapshot(project) == before
