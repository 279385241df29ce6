"""The write-ahead journal of one migration (``journal.jsonl`` in its folder).

Steps run in batches. Before a batch, a ``begin`` line names its steps; after
it, a ``commit`` line says they are done; each line is flushed and fsynced
before anything it announces happens. After a kill, the steps of a begun but
uncommitted batch may be done, half done or not started: every step checks
the tree before acting, so ``apply`` redoes them and ``rollback`` undoes them
safely.

A line is whole or absent. A line is written in one append and checked: a
write that cannot put the whole line down raises (a full disk), it never
passes silently. A kill (or a full disk) in the middle of a line leaves a
torn tail: what follows the last whole line. Reading ignores it, and
:meth:`Journal.repair` cuts it away before anything is appended, so the next
line starts on a line of its own; the torn line announced nothing that
happened (it was never fsynced), so the state of the whole lines is the
truth. A line that cannot be read *before* a whole one is damage no kill
makes: the journal is refused (:class:`~ocr.errors.MigrationStateError`).

Crash injection (a test hook): ``OCR_MIGRATE_KILL_AT=n`` makes the migrating process kill itself (SIGKILL,
nothing flushed, nothing cleaned up) right after its n-th durable point: each
journal line written and each step done. The crash-injection tests run a
real migrating process with n = 1, 2, ... and check that ``apply`` resumes
and ``rollback`` restores the tree exactly from every one of them. Unset, it
costs one dictionary look-up per point.
"""

from __future__ import annotations

import enum
import errno
import json
import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, TypeAdapter, ValidationError

from ocr._json import loads
from ocr._reading import STATE_LIMIT, read_capped
from ocr.errors import MigrationStateError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["KILL_AT_ENV_VAR", "Journal", "JournalState", "MigrationState", "crash_point"]


class MigrationState(enum.StrEnum):
    """Where a migration is."""

    PLANNED = "planned"  # its plan is written, no step begun
    APPLYING = "applying"  # steps begun, not all done (running, or killed: resume or roll back)
    APPLIED = "applied"  # every step done
    ROLLING_BACK = "rolling_back"  # undoing (running, or killed: roll back again)


@dataclass(frozen=True)
class JournalState:
    """What the journal says.

    Args:
        state: Where the migration is.
        done: Steps ``[0, done)`` are done (committed).
        begun: Steps ``[0, begun)`` may have been touched (a rollback undoes them).
        undone_from: During a rollback, steps ``[undone_from, begun)`` are undone.
    """

    state: MigrationState
    done: int
    begun: int
    undone_from: int | None


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Begin(_Line):
    event: Literal["begin"]
    first: NonNegativeInt
    end: NonNegativeInt


class _Commit(_Line):
    event: Literal["commit"]
    end: NonNegativeInt


class _Applied(_Line):
    event: Literal["applied"]


class _Undo(_Line):
    event: Literal["undo"]


class _Undone(_Line):
    event: Literal["undone"]
    start: NonNegativeInt


_Event = Annotated[_Begin | _Commit | _Applied | _Undo | _Undone, Field(discriminator="event")]
_EVENT: Final[TypeAdapter[_Event]] = TypeAdapter(_Event)


class Journal:
    """Append-only, fsynced journal of one migration.

    Args:
        path: The journal file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def begin(self, first: int, end: int) -> None:
        """Announce that steps ``[first, end)`` are about to run."""
        self._append({"event": "begin", "first": first, "end": end})

    def commit(self, end: int) -> None:
        """Record that every step before ``end`` is done."""
        self._append({"event": "commit", "end": end})

    def applied(self) -> None:
        """Record that the whole plan is applied."""
        self._append({"event": "applied"})

    def undoing(self) -> None:
        """Announce that a rollback starts (from then on, only rollback may continue)."""
        self._append({"event": "undo"})

    def undone(self, start: int) -> None:
        """Record that every begun step from ``start`` on is undone."""
        self._append({"event": "undone", "start": start})

    def read(self) -> JournalState:
        """Replay the whole lines of the journal (a torn tail is no line).

        Returns:
            The migration's state (``planned`` when the journal is empty or missing).

        Raises:
            MigrationStateError: A line before the last whole one cannot be read.
        """
        done = begun = 0
        applied = undoing = False
        undone_from: int | None = None
        for event in self._whole_lines()[0]:
            match event:
                case _Begin(end=end):
                    begun = max(begun, end)
                case _Commit(end=end):
                    done = max(done, end)
                case _Applied():
                    applied = True
                case _Undo():
                    undoing = True
                case _Undone(start=start):
                    undone_from = start
        if undoing:
            state = MigrationState.ROLLING_BACK
        elif applied:
            state = MigrationState.APPLIED
        else:
            state = MigrationState.APPLYING if begun else MigrationState.PLANNED
        return JournalState(state=state, done=done, begun=begun, undone_from=undone_from)

    def repair(self) -> None:
        """Cut a torn tail away, so the next line is appended on a line of its own.

        Call it while holding the migration's lock, before appending.

        Raises:
            MigrationStateError: A line before the last whole one cannot be read.
        """
        _, whole = self._whole_lines()
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == whole:
            return
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.ftruncate(fd, whole)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _whole_lines(self) -> tuple[list[_Event], int]:
        """The events of the whole lines, and how many bytes they take."""
        try:
            content = read_capped(self.path, limit=STATE_LIMIT)
        except FileNotFoundError:
            return [], 0
        events: list[_Event] = []
        whole = 0
        *lines, _ = content.split(b"\n")  # the last part has no newline: never a whole line
        for number, line in enumerate(lines, start=1):
            event = _parsed(line)
            if event is None:
                if any(_parsed(later) is not None for later in lines[number:]):
                    raise _damaged(self.path, number)
                break  # a torn tail (and what an older ocr appended after it)
            events.append(event)
            whole += len(line) + 1
        return events, whole

    def _append(self, event: dict[str, Any]) -> None:
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _write_whole(descriptor, line)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        crash_point()


def _write_whole(descriptor: int, data: bytes) -> None:
    """Write every byte, or raise: a short write is finished, or its failure raised."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        if written == 0:  # pragma: no cover - POSIX raises instead; never silently short
            raise OSError(errno.EIO, "the journal line could not be written whole")
        view = view[written:]


def _parsed(line: bytes) -> _Event | None:
    try:
        return _EVENT.validate_python(loads(line))
    except (ValueError, ValidationError):
        return None


def _damaged(path: Path, number: int) -> MigrationStateError:
    return MigrationStateError(
        f"the migration journal {str(path)!r} is damaged: line {number} cannot be read, "
        "and later lines can, so it is not a line a kill cut short",
        fix="Restore the journal from a backup; `ocr migrate status ROOT` shows the migration",
        path=path,
    )


KILL_AT_ENV_VAR: Final = "OCR_MIGRATE_KILL_AT"
_passed = 0


def crash_point() -> None:
    """Count one durable point; die here when the hook says so."""
    global _passed  # noqa: PLW0603 - one counter per process, by design
    kill_at = os.environ.get(KILL_AT_ENV_VAR)
    if kill_at is None:
        return
    _passed += 1
    if _passed == int(kill_at):
        os.kill(os.getpid(), signal.SIGKILL)
