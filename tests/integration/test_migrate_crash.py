"""Crash injection: a real migrating process is SIGKILLed after each durable point in turn.

The hook ``OCR_MIGRATE_KILL_AT=n`` makes the forked child kill itself with
SIGKILL right after its n-th durable point (a journal line or a step). From
each of those states, ``apply`` must resume to a complete, valid migration,
and ``rollback`` must give back the legacy tree exactly (paths, bytes, mtimes,
folder mtimes); a rollback killed in the middle must finish when run again.

At every point the journal's last line is also torn, as a kill in the middle
of a write tears it: when the point was a journal line, that line is cut in
half (it never finished, so nothing after it happened); otherwise a half
line is appended (the kill came while the next line was being written).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pytest

from ocr.catalog import CheckpointCatalog
from ocr.layout import MigrationLayout
from ocr.migrate import apply_migration, list_migrations, plan_migration, rollback_migration
from ocr.migrate._journal import KILL_AT_ENV_VAR
from ocr.migrate._run import BATCH_SIZE
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


def _journal_points(steps: int, *, undoing: bool) -> set[int]:
    """Which durable points are journal lines (the rest are steps), apply's or rollback's."""
    points, point = set(), 0
    if undoing:
        point += 1  # "undo"
        points.add(point)
    for first in range(0, steps, BATCH_SIZE):
        size = min(BATCH_SIZE, steps - first)
        if undoing:
            point += size + 1  # the steps, then "undone"
            points.add(point)
        else:
            points.add(point + 1)  # "begin"
            point += size + 2  # the steps, then "commit"
            points.add(point)
    if not undoing:
        points.add(point + 1)  # "applied"
    return points


def _visits(lines: set[int], stride: int) -> list[int]:
    """The kill points to try: the first two, every journal line, a spread of steps, one past."""
    last = max(lines)
    return sorted({1, 2, *lines, *range(3, last + 1, stride), last + 1})


def _tear(root: Path, *, was_a_line: bool) -> None:
    """Tear the journal's last line, as a kill in the middle of its write does."""
    (migration,) = list_migrations(root)
    journal = MigrationLayout(migration.folder).journal_file
    content = journal.read_bytes()
    if was_a_line:
        last = content.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        journal.write_bytes(content[: len(content) - len(last) // 2 - 1])
    else:
        journal.write_bytes(content + b'{"event":"com')


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
    lines = _journal_points(len(plan_migration(legacy / "outputs").actions), undoing=False)
    points = 0
    for kill_at in _visits(lines, STRIDE):
        crashed = _fresh(legacy, tmp_path / f"crash-{kill_at}")
        if not _killed_at(kill_at, _apply, crashed / "outputs"):
            break  # the migration ran to its end: every point was covered
        _tear(crashed / "outputs", was_a_line=kill_at in lines)
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
    assert points * STRIDE > 50  # one point per step and journal line of this tree


def test_a_killed_rollback_finishes_when_run_again(legacy: Path, tmp_path: Path) -> None:
    original = snapshot(legacy)
    applied = _fresh(legacy, tmp_path / "applied")
    apply_migration(applied / "outputs")
    (migration,) = list_migrations(applied / "outputs")
    lines = _journal_points(migration.steps, undoing=True)
    # Undoing is one code path: a spread of points, and every journal line, is enough.
    for kill_at in _visits(lines, STRIDE * 2):
        crashed = _fresh(applied, tmp_path / f"crash-{kill_at}")
        if not _killed_at(kill_at, _rollback, crashed / "outputs"):
            break
        _tear(crashed / "outputs", was_a_line=kill_at in lines)
        rollback_migration(crashed / "outputs")
        assert snapshot(crashed) == original, kill_at
        shutil.rmtree(crashed)
    assert kill_at > 50
