"""The experiment registry: each run's own record, and queries over all of them.

A run writes only its own ``run.json`` (atomically, under that record's lock,
which lives in ``<root>/.ocr/locks/``, never in the run folder). Queries go
through the index (:mod:`ocr.registry._index`), a cache checked against the
records on every read.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ocr.atomic import atomic_write_json
from ocr.errors import RecordNotFoundError, RegistryTransitionError
from ocr.layout import RootLayout, RunLayout, SweepLayout, resolve_user_path
from ocr.locking import DEFAULT_LOCK_TIMEOUT_SECONDS, locked
from ocr.registry._index import RegistryIndex
from ocr.registry._query import find_run, find_stale, select_runs
from ocr.registry._record import (
    MARKED_STALE_PREFIX,
    RECORD_SCHEMA_VERSION,
    ExperimentRecord,
    Status,
    SweepRecord,
    check_transition,
    new_experiment_id,
    parse_record,
    read_record,
    read_sweep_record,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager
    from pathlib import Path

    from ocr._typing import StrPath

__all__ = ["DEFAULT_STALE_AFTER", "ExperimentRegistry", "RegisteredRun"]

DEFAULT_STALE_AFTER: Final = timedelta(minutes=10)


@dataclass(frozen=True)
class RegisteredRun:
    """A record and where it actually is now (records keep their ID when moved)."""

    record: ExperimentRecord
    run_dir: Path


class ExperimentRegistry:
    """Experiment records under one output root.

    Args:
        root: The output root.
        lock_timeout: Seconds to wait for a record's or the index's lock.

    >>> import tempfile
    >>> registry = ExperimentRegistry(tempfile.mkdtemp())
    >>> registry.runs()
    []
    """

    def __init__(
        self, root: StrPath, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS
    ) -> None:
        self.root = resolve_user_path(root)
        self._layout = RootLayout(self.root)
        self._lock_timeout = lock_timeout
        self._index = RegistryIndex(self.root, lock_timeout=lock_timeout)

    # --- a run's own record -------------------------------------------------

    def start_run(
        self,
        run_dir: Path,
        *,
        name: str | None = None,
        tags: Iterable[str] = (),
        overrides: Iterable[str] = (),
        config_hash: str | None = None,
        task_name: str | None = None,
        log_file: str | None = None,
    ) -> ExperimentRecord:
        """Register a run as ``running``; asking again while it runs gives the same record.

        Args:
            run_dir: The run folder (under the root).
            name: The experiment name.
            tags: Free-form tags.
            overrides: The launch's command-line overrides.
            config_hash: The recipe's hash.
            task_name: The launch's task (``train``, ``eval``, ...).
            log_file: The log the job writes, relative to the run folder when inside it.

        Returns:
            The record, with its new ID.

        Raises:
            RegistryTransitionError: The folder already holds another process's record.
            RunPathParseError: The folder is not a run folder under the root.
        """
        location = self._layout.location_of(run_dir)
        layout = RunLayout(run_dir)
        with self._locked(layout.record_file):
            if layout.record_file.exists():
                existing = read_record(layout.record_file)
                # A running record is joined (the same launch asking twice, or
                # a DDP worker); a finished one is final.
                check_transition(existing, Status.RUNNING, by_owner=_is_own(existing))
                return existing
            now = _now()
            sweep = self.ensure_sweep(run_dir.parent) if location.job_num is not None else None
            record = ExperimentRecord(
                id=new_experiment_id(),
                name=name,
                status=Status.RUNNING,
                created_at=now,
                updated_at=now,
                heartbeat_at=now,
                host=socket.gethostname(),
                pid=os.getpid(),
                run_dir=location.relative_path.as_posix(),
                sweep_id=sweep.id if sweep else None,
                job_num=location.job_num,
                overrides=list(overrides),
                config_hash=config_hash,
                tags=list(tags),
                task_name=task_name,
                log_file=log_file,
            )
            atomic_write_json(layout.record_file, record)
        self._index.upsert(layout.record_file, record)
        return record

    def update_run(self, run_dir: Path, **changes: Any) -> ExperimentRecord:
        """Change a run's record (status, heartbeat, best checkpoint, metrics, error, ...).

        Args:
            run_dir: The run folder.
            **changes: Record fields to set; ``status`` is checked against the
                lifecycle. ``updated_at`` and ``heartbeat_at`` are refreshed,
                and ``ended_at`` is set when the status becomes terminal.

        Returns:
            The new record.

        Raises:
            RegistryTransitionError: The run is finished (unless this is its own
                process moving it on from ``interrupted``), or the status move
                is illegal.
            RecordNotFoundError: The folder has no record.
            RecordInvalidError: A change breaks the schema.
            RunPathParseError: The folder is not under the root.
        """
        record_file = RunLayout(run_dir).record_file
        with self._locked(record_file):
            record = self._read_own(record_file)
            status = Status(changes.get("status", record.status))
            check_transition(record, status, by_owner=_is_own(record))
            now = _now()
            # A record of an older schema is written back in the current one.
            stamps: dict[str, Any] = {
                "updated_at": now,
                "heartbeat_at": now,
                "schema_version": RECORD_SCHEMA_VERSION,
            }
            if status is not Status.RUNNING:
                stamps["ended_at"] = now
            # Its own process moves it on from a wrong mark: the mark goes.
            leaves_mark = record.status is Status.INTERRUPTED and status is not Status.INTERRUPTED
            unmarked = {"error": None, "ended_at": None} if leaves_mark else {}
            updated = parse_record(
                record_file, {**record.model_dump(), **unmarked, **changes, **stamps}
            )
            atomic_write_json(record_file, updated)
        self._index.upsert(record_file, updated)
        return updated

    def ensure_sweep(self, sweep_dir: Path) -> SweepRecord:
        """Get a sweep's record, creating it exactly once across all its jobs.

        Args:
            sweep_dir: The sweep folder.

        Returns:
            The sweep record (the same for every job).
        """
        record_file = SweepLayout(sweep_dir).record_file
        with self._locked(record_file):
            if record_file.exists():
                return read_sweep_record(record_file)
            record = SweepRecord(
                id=new_experiment_id(),
                created_at=_now(),
                sweep_dir=self._layout.location_of(sweep_dir).relative_path.as_posix(),
                host=socket.gethostname(),
            )
            atomic_write_json(record_file, record)
            return record

    def _locked(self, record_file: Path) -> AbstractContextManager[None]:
        return locked(
            record_file,
            timeout=self._lock_timeout,
            lock_file=self._layout.lock_file_of(record_file),
        )

    def _read_own(self, record_file: Path) -> ExperimentRecord:
        if not record_file.exists():
            raise RecordNotFoundError(
                f"no experiment record at {str(record_file)!r}",
                fix="Register the run first (ExperimentRegistry.start_run)",
                path=record_file,
            )
        return read_record(record_file)

    # --- the index ------------------------------------------------------------

    def runs(self) -> list[RegisteredRun]:
        """Every registered run under the root, newest first, checked against the records.

        Returns:
            The runs. Unreadable records are skipped with a warning in the log.
        """
        entries = self._index.entries()
        runs = [RegisteredRun(e.record, (self.root / e.path).parent) for e in entries.values()]
        return sorted(runs, key=lambda run: (run.record.created_at, run.record.id), reverse=True)

    def query(self, **filters: Any) -> list[RegisteredRun]:
        """Registered runs matching filters, newest first.

        Args:
            **filters: ``status``, ``name``, ``tag``, ``task``, ``sweep_id``,
                ``since``, ``until``; see :func:`ocr.registry._query.select_runs`.

        Returns:
            The matching runs.
        """
        return select_runs(self.runs(), **filters)

    def get(self, id_or_prefix: str) -> RegisteredRun:
        """The run with this ID (or unique ID prefix).

        Args:
            id_or_prefix: The ID or a unique prefix.

        Returns:
            The run.

        Raises:
            RecordNotFoundError: No run, or several, match.
        """
        return find_run(self.runs(), id_or_prefix)

    def mark_stale(
        self, *, stale_after: timedelta = DEFAULT_STALE_AFTER
    ) -> list[tuple[RegisteredRun, str]]:
        """Mark runs that say ``running`` but are dead as ``interrupted``.

        Args:
            stale_after: How old a heartbeat may be before its run counts as dead.

        Returns:
            Each run marked, with the reason (also written as its error text).
        """
        stale = find_stale(
            self.runs(), now=_now(), stale_after=stale_after, host=socket.gethostname()
        )
        marked: list[tuple[RegisteredRun, str]] = []
        for run, reason in stale:
            try:
                record = self.update_run(
                    run.run_dir, status=Status.INTERRUPTED, error=f"{MARKED_STALE_PREFIX}{reason}"
                )
            except RegistryTransitionError:
                continue  # it finished while we looked
            marked.append((RegisteredRun(record, run.run_dir), reason))
        return marked

    def rebuild(self) -> int:
        """Rebuild the index from the records alone.

        Returns:
            How many records the new index holds.
        """
        return self._index.rebuild()


def _is_own(record: ExperimentRecord) -> bool:
    """Whether this process wrote the record (its host and PID)."""
    return record.host == socket.gethostname() and record.pid == os.getpid()


def _now() -> datetime:
    return datetime.now().astimezone()
