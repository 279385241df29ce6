"""The write-ahead journal of one migration (``journal.jsonl`` in its folder).

Steps run in batches. Before a batch, a ``begin`` line names its steps; after
it, a ``commit`` line says they are done; each line is flushed and fsynced
before anything it announces happens. After a kill, the steps of a begun but
uncommitted batch may be done, half done or not started: every step checks
the tree before acting, so ``apply`` redoes them and ``rollback`` undoes them
safely. A torn last line (a kill in the middle of writing it) is ignored.
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ocr.migrate._faults import crash_point

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["JOURNAL_FILE_NAME", "Journal", "JournalState", "MigrationState"]

JOURNAL_FILE_NAME: Final = "journal.jsonl"


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
        """Replay the journal.

        Returns:
            The migration's state (``planned`` when the journal is empty or missing).
        """
        done = begun = 0
        applied = undoing = False
        undone_from: int | None = None
        for event in self._events():
            kind = event.get("event")
            if kind == "begin":
                begun = max(begun, int(event["end"]))
            elif kind == "commit":
                done = max(done, int(event["end"]))
            elif kind == "applied":
                applied = True
            elif kind == "undo":
                undoing = True
            elif kind == "undone":
                undone_from = int(event["start"])
        if undoing:
            state = MigrationState.ROLLING_BACK
        elif applied:
            state = MigrationState.APPLIED
        else:
            state = MigrationState.APPLYING if begun else MigrationState.PLANNED
        return JournalState(state=state, done=done, begun=begun, undone_from=undone_from)

    def _events(self) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        events = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                break  # a torn last line: the step it announced never started
            if isinstance(event, dict):
                events.append(event)
        return events

    def _append(self, event: dict[str, Any]) -> None:
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        crash_point()
