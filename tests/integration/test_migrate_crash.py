"""Crash injection: a real migrating process is SIGKILLed after each durable point in turn.

The hook ``OCR_MIGRATE_KILL_AT=n`` makes the forked child kill itself with
SIGKILL right after its n-th durable point (a journal line or a step). From
each of those states, ``apply`` must resume to a complete, valid migration,
and ``rollback`` must give back the legacy tree exactly (paths, bytes, mtimes,
folder mtimes); a rollback killed in the middle must finish when run again.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pytest

from ocr.catalog import CheckpointCatalog
from ocr.migrate import apply_migration, list_migrations, rollback_migration
from ocr.migrate._faults import KILL_AT_ENV_VAR
from ocr.validate import validate_root
from tests.tree_snapshot import file_digests, snapshot

FIXTURES = Path(__file__).parents[2] / "fixtures" / "legacy"
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"  # set by `nox -s property`
STRIDE = 1 if THOROUGH else 4
"""Every durable point in the thorough session; every 4th (journal lines included) by default."""


def _killed_at(kill_at: int, work: object, root: Path) -> bool:
    """Run ``work(root)`` in a forked child told to die at ``kill_at``; whether it died."""
    child = multiprocessing.get_context("fork").Process(target=_child, args=(kill_at, work, root))
    child.start()
    child.join(120)
    assert child.exitcode in (0, -signal.SIGKILL), child.exitcode
    return child.exitcode == -signal.SIGKILL


def _child(kill_at: int, work: object, root: Path) -> None:
    os.environ[KILL_AT_ENV_VAR] = str(kill_at)
    work(root)  # type: ignore[operator]


def _apply(root: Path) -> None:
    apply_migration(root)


def _rollback(root: Path) -> None:
    rollback_migration(root)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("legacy") / "project"
    for era in "ABCD":
        shutil.copytree(FIXTURES / era, base, dirs_exist_ok=True)
    return base


def _fresh(legacy: Path, into: Path) -> Path:
    shutil.copytree(legacy, into, symlinks=True)
    for folder, _, _ in os.walk(legacy):  # copytree does not keep folder mtimes in order
        stat = Path(folder).stat()
        os.utime(into / Path(folder).relative_to(legacy), ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return into


def test_apply_resumes_and_rollback_restores_after_a_kill_at_every_point(
    legacy: Path, tmp_path: Path
) -> None:
    original = snapshot(legacy)
    checkpoints = sum(path.endswith(".ckpt") for path in original)
    kill_at, points = 1, 0
    while True:
        crashed = _fresh(legacy, tmp_path / f"crash-{kill_at}")
        if not _killed_at(kill_at, _apply, crashed / "outputs"):
            break  # the migration ran to its end: every point was covered
        resumed = _fresh(crashed, tmp_path / f"resume-{kill_at}")
        report = apply_migration(resumed / "outputs")
        assert report.state in {"applied", "nothing_to_do"}, kill_at  # killed after its end
        assert {m.state.value for m in list_migrations(resumed / "outputs")} == {"applied"}
        assert set(file_digests(original).values()) <= set(file_digests(snapshot(resumed)).values())
        assert len(CheckpointCatalog([resumed / "outputs"]).scan()) == checkpoints
        assert validate_root(resumed / "outputs").ok, kill_at
        assert apply_migration(resumed / "outputs").state == "nothing_to_do"

        if list_migrations(crashed / "outputs"):
            rollback_migration(crashed / "outputs")
        assert snapshot(crashed) == original, kill_at
        shutil.rmtree(resumed)
        shutil.rmtree(crashed)
        points += 1
        kill_at += 1 if kill_at <= 2 else STRIDE  # the first journal lines, then a spread
    assert points * STRIDE > 50  # one point per step and journal line of this tree


def test_a_killed_rollback_finishes_when_run_again(legacy: Path, tmp_path: Path) -> None:
    original = snapshot(legacy)
    applied = _fresh(legacy, tmp_path / "applied")
    apply_migration(applied / "outputs")
    kill_at = 1
    while True:
        crashed = _fresh(applied, tmp_path / f"crash-{kill_at}")
        if not _killed_at(kill_at, _rollback, crashed / "outputs"):
            break
        rollback_migration(crashed / "outputs")
        assert snapshot(crashed) == original, kill_at
        shutil.rmtree(crashed)
        kill_at += STRIDE * 2  # undoing is one code path; a spread of points is enough
    assert kill_at > 50
