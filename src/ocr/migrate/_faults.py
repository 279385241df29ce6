"""A test hook for crash injection: die by SIGKILL at the n-th durable point.

``OCR_MIGRATE_KILL_AT=n`` makes the migrating process kill itself (SIGKILL,
nothing flushed, nothing cleaned up) right after its n-th durable point: each
journal line written and each step done. The crash-injection tests run a
real migrating process with n = 1, 2, ... and check that ``apply`` resumes
and ``rollback`` restores the tree exactly from every one of them. Unset, it
costs one dictionary look-up per point.
"""

from __future__ import annotations

import os
import signal
from typing import Final

__all__ = ["KILL_AT_ENV_VAR", "crash_point"]

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
