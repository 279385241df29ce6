"""Questions asked of the registered runs: filters, ID lookup, stale runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr.errors import RecordNotFoundError
from ocr.registry._liveness import is_alive
from ocr.registry._record import Status

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime, timedelta

    from ocr.registry._store import RegisteredRun

__all__ = ["find_run", "find_stale", "select_runs"]


def select_runs(
    runs: Sequence[RegisteredRun],
    *,
    status: Status | None = None,
    name: str | None = None,
    tag: str | None = None,
    task: str | None = None,
    sweep_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RegisteredRun]:
    """Keep the runs that match every given filter, in the given order.

    Args:
        runs: The runs to filter (``ExperimentRegistry.runs()`` is newest first).
        status: Only runs with this status.
        name: Only runs whose name contains this text (case-insensitive).
        tag: Only runs with this tag.
        task: Only runs of this task (``task_name``).
        sweep_id: Only jobs of this sweep.
        since: Only runs started at or after this time (timezone-aware).
        until: Only runs started before this time (timezone-aware).

    Returns:
        The matching runs.
    """
    needle = name.casefold() if name is not None else None
    return [
        run
        for run in runs
        if (status is None or run.record.status is status)
        and (needle is None or needle in (run.record.name or "").casefold())
        and (tag is None or tag in run.record.tags)
        and (task is None or run.record.task_name == task)
        and (sweep_id is None or run.record.sweep_id == sweep_id)
        and (since is None or run.record.created_at >= since)
        and (until is None or run.record.created_at < until)
    ]


def find_run(runs: Sequence[RegisteredRun], id_or_prefix: str) -> RegisteredRun:
    """Find the run whose ID is, or starts with, ``id_or_prefix``.

    Args:
        runs: The runs to look in.
        id_or_prefix: A full ID or a unique prefix of one.

    Returns:
        The run.

    Raises:
        RecordNotFoundError: No run matches, or the prefix is ambiguous.
    """
    exact = [run for run in runs if run.record.id == id_or_prefix]
    matches = exact or [run for run in runs if run.record.id.startswith(id_or_prefix)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RecordNotFoundError(
            f"no experiment has the ID {id_or_prefix!r}",
            fix="List the IDs with `ocr registry list`",
            value=id_or_prefix,
        )
    candidates = ", ".join(sorted(run.record.id for run in matches)[:5])
    raise RecordNotFoundError(
        f"the ID prefix {id_or_prefix!r} matches {len(matches)} experiments ({candidates}, ...)",
        fix="Type more characters of the ID",
        value=id_or_prefix,
    )


def find_stale(
    runs: Sequence[RegisteredRun], *, now: datetime, stale_after: timedelta, host: str
) -> list[tuple[RegisteredRun, str]]:
    """Find runs that say ``running`` but are not.

    A run is stale when it ran on this host and its process is gone (or its
    PID now belongs to a process started after the record), or when its
    heartbeat is older than ``stale_after`` (another host: a cluster job
    killed without a word). A run whose process is alive on this host is
    never stale, however old its heartbeat (a long validation, a busy
    machine): the live process wins.

    Args:
        runs: The runs to check.
        now: The current time (timezone-aware).
        stale_after: How old a heartbeat may be.
        host: This machine's host name.

    Returns:
        Each stale run with the reason.
    """
    stale: list[tuple[RegisteredRun, str]] = []
    for run in runs:
        record = run.record
        if record.status is not Status.RUNNING:
            continue
        alive = is_alive(record.pid, since=record.created_at) if record.host == host else None
        if alive is False:
            stale.append((run, f"its process {record.pid} on {host} is gone"))
        elif alive is None and now - record.heartbeat_at > stale_after:
            stale.append((run, f"no heartbeat since {record.heartbeat_at.isoformat()}"))
    return stale
