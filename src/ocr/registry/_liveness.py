"""Whether the process that wrote a ``running`` record is still alive, on this host.

A record names its host and PID. On the same host, ``kill(pid, 0)`` tells
whether a process with that PID exists; but PIDs are reused, so on Linux the
process's start time (``/proc/<pid>/stat``) must also be no later than the
record: a process that started after the record was written is another one.
A PID that no process can have (0, negative, or beyond what the kernel
accepts) tells nothing; the heartbeat decides then.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["is_alive"]

_PROC: Final = Path("/proc")
_SLACK_SECONDS: Final = 2.0  # boot time has whole seconds; start times clock ticks


def is_alive(pid: int, *, since: datetime) -> bool | None:
    """Whether the process that started a record, on this host, still runs.

    Args:
        pid: The record's PID.
        since: When the record was written (its process had started by then).

    Returns:
        ``True`` when it runs, ``False`` when it is gone (or its PID now
        belongs to a newer process), ``None`` when the PID cannot tell.
    """
    if pid <= 0:
        return None  # 0 and negative PIDs name process groups, not a process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    except (OverflowError, ValueError, OSError):
        return None  # no process can have that PID: the heartbeat decides
    started = _started_at(pid)
    return started is None or started <= since.timestamp() + _SLACK_SECONDS


def _started_at(pid: int) -> float | None:
    """When a process started (seconds since the epoch), where ``/proc`` says."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in (_PROC / "stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = os.sysconf("SC_CLK_TCK")
        return boot + int(fields[19]) / ticks
    except (OSError, ValueError, IndexError, StopIteration):
        return None  # not Linux, or the process just ended: trust kill()
