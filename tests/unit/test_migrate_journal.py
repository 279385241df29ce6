"""The migration journal: a line is whole or absent (issue 11, item 1).

Real torn writes: a migrating process is SIGKILLed (``OCR_MIGRATE_KILL_AT``)
and a partial line is left at the journal's end, as a kill in the middle of a
write leaves it; a real short write comes from a file size limit
(``RLIMIT_FSIZE``), which makes the kernel write part of a line and refuse
the rest, as a full disk does.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import signal
from typing import TYPE_CHECKING

import pytest

import ocr.migrate._run
from ocr.cli import main
from ocr.errors import MigrationStateError
from ocr.layout import MigrationLayout
from ocr.migrate import (
    MigrationState,
    apply_migration,
    list_migrations,
    plan_migration,
    rollback_migration,
)
from ocr.migrate._journal import KILL_AT_ENV_VAR, Journal
from ocr.validate import validate_root
from tests.tree_snapshot import snapshot

if TYPE_CHECKING:
    from pathlib import Path

_TORN = b'{"event":"beg'
_SMALL_BATCH = 16
_RAISED = 3
"""Exit code of the short-write child when the append raised OSError."""


def _apply_in_small_batches_and_die(root: Path, kill_at: int) -> None:
    setattr(ocr.migrate._run, "BATCH_SIZE", _SMALL_BATCH)  # noqa: B010 - several batches, in the child only
    os.environ[KILL_AT_ENV_VAR] = str(kill_at)
    apply_migration(root)


def _killed(root: Path, kill_at: int) -> None:
    child = multiprocessing.get_context("fork").Process(
        target=_apply_in_small_batches_and_die, args=(root, kill_at)
    )
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL


@pytest.mark.parametrize(
    "kill_at",
    [
        # begin, 16 steps, commit: killed right after the first commit (the
        # issue's case: every line appended after the torn one was lost).
        pytest.param(_SMALL_BATCH + 2, id="after-a-commit"),
        pytest.param(_SMALL_BATCH + 6, id="inside-the-second-batch"),
        pytest.param(1, id="after-the-first-begin"),
    ],
)
def test_apply_finishes_and_rollback_is_exact_when_the_journal_ends_torn(
    legacy: Path, kill_at: int
) -> None:
    root = legacy / "outputs"
    before = snapshot(legacy)
    _killed(root, kill_at)
    (migration,) = list_migrations(root)
    journal = MigrationLayout(migration.folder).journal_file
    with journal.open("ab") as tail:
        tail.write(_TORN)  # a kill in the middle of the next line's write
    assert apply_migration(root).state == "applied"
    (migration,) = list_migrations(root)
    assert migration.state is MigrationState.APPLIED
    assert migration.steps_done == migration.steps
    assert journal.read_bytes().endswith(b'{"event":"applied"}\n')
    assert all(json.loads(line) for line in journal.read_bytes().splitlines())  # all whole
    assert validate_root(root).ok
    rollback_migration(root)
    assert snapshot(legacy) == before


def test_the_migration_ends_applied_when_its_applied_line_was_torn(legacy: Path) -> None:
    root = legacy / "outputs"
    steps = len(plan_migration(root).actions)
    batches = -(-steps // _SMALL_BATCH)
    _killed(root, steps + 2 * batches)  # after the last commit, before the applied line
    (migration,) = list_migrations(root)
    with (MigrationLayout(migration.folder).journal_file).open("ab") as tail:
        tail.write(b'{"event":"applied"')  # the applied line itself, torn
    assert list_migrations(root)[0].state is MigrationState.APPLYING
    apply_migration(root)
    assert list_migrations(root)[0].state is MigrationState.APPLIED
    assert apply_migration(root).state == "nothing_to_do"


def _append_under_a_size_limit(path: Path) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write raises EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 5, resource.RLIM_INFINITY))
    try:
        Journal(path).begin(512, 1024)  # room for 5 of its bytes: a short write
    except OSError:
        os._exit(_RAISED)
    os._exit(0)


def test_a_short_write_raises_and_its_torn_tail_is_cut_when_the_disk_is_full(
    tmp_path: Path,
) -> None:
    path = MigrationLayout(tmp_path).journal_file
    journal = Journal(path)
    journal.begin(0, 512)
    journal.commit(512)
    whole = path.read_bytes()
    child = multiprocessing.get_context("fork").Process(
        target=_append_under_a_size_limit, args=(path,)
    )
    child.start()
    child.join(30)
    assert child.exitcode == _RAISED  # never a silent short write
    assert path.read_bytes() == whole + b'{"eve'  # the kernel took 5 bytes
    state = journal.read()
    assert (state.state, state.done, state.begun) == (MigrationState.APPLYING, 512, 512)
    journal.repair()
    assert path.read_bytes() == whole
    journal.applied()
    assert journal.read().state is MigrationState.APPLIED


def test_a_damaged_line_before_whole_ones_is_refused_with_one_line(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = legacy / "outputs"
    apply_migration(root)
    (migration,) = list_migrations(root)
    journal = MigrationLayout(migration.folder).journal_file
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0] + b"#damaged\n" + b"".join(lines[1:]))
    with pytest.raises(MigrationStateError) as raised:
        Journal(journal).read()
    assert str(raised.value) == (
        f"the migration journal {str(journal)!r} is damaged: line 2 cannot be read, and later "
        "lines can, so it is not a line a kill cut short. Restore the journal from a backup; "
        "`ocr migrate status ROOT` shows the migration"
    )
    assert main(["migrate", "status", str(root), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["state"] == "unreadable"
    assert main(["migrate", "rollback", str(root)]) == 2
    assert capsys.readouterr().err.startswith(
        f"ocr: error: migration {migration.migration_id} cannot be read"
    )
