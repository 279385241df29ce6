"""Running ``ocr`` as a user that permission bits apply to.

Root reads a ``chmod 000`` folder and writes a read-only one: a test of what
ocr does with such folders must run the command as someone else. Under root,
the command runs as ``nobody`` through ``setpriv`` (all capabilities dropped,
no supplementary groups) on a tree handed to that user; as any other user,
it runs as that user. Without ``setpriv`` or a ``nobody`` user under root, the
test is skipped with the reason.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["as_other_user", "hand_over", "run_ocr_unprivileged", "unprivileged_env"]

_USER = "nobody"
_TIMEOUT_SECONDS = 120


def as_other_user() -> list[str]:
    """The command prefix that runs a program without root's rights (empty if not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    try:
        user = pwd.getpwnam(_USER)
    except KeyError:
        pytest.skip(f"running as root, and there is no {_USER!r} user to drop to")
    if setpriv is None:
        pytest.skip("running as root, and setpriv (util-linux) is not installed")
    return [
        setpriv,
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--clear-groups",
        "--inh-caps=-all",
    ]


def hand_over(folder: Path) -> None:
    """Give a tree to the user commands run as (a no-op when not root)."""
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(_USER)
    for current, dirs, files in os.walk(folder):
        os.chown(current, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            path = os.path.join(current, name)  # noqa: PTH118 (os.walk gives strings)
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


def unprivileged_env() -> dict[str, str]:
    """The environment for a child run as the other user.

    Coverage is not asked of the child (it could not write its data file), and
    matplotlib (which Lightning's torchmetrics imports when it is installed)
    gets a config folder that user may write: root's ``HOME`` is not theirs, and
    matplotlib would warn about it on stderr, which the tests read.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("COVERAGE")}
    config = Path(tempfile.mkdtemp(prefix="ocr-unprivileged-mpl-"))
    hand_over(config)
    return {**env, "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": str(config)}


def run_ocr_unprivileged(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ocr.cli ARGS`` without root's rights; its output, whatever its code."""
    return subprocess.run(
        [*as_other_user(), sys.executable, "-m", "ocr.cli", *args],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
        env=unprivileged_env(),
        cwd="/",
    )
