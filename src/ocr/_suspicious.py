"""Checkpoints to list with a problem, never to trust: empty files and aliases.

- An empty checkpoint (0 bytes) is what a save that crashed leaves: nothing
  to load. It is listed, with the problem :data:`EMPTY_CHECKPOINT`.
- A ``*.ckpt`` link to a checkpoint file in the same folder (``best.ckpt ->
  epoch=3-step=99.ckpt``, as some scripts made) is an alias: the same bytes
  under a second name. It is listed as an alias of its target and gets no
  sidecar of its own (its target's describes it); the migrator writes none
  for it, and ``ocr validate`` asks for none. A link to a checkpoint in another
  folder is a checkpoint of the folder it sits in, as before.
"""

from __future__ import annotations

import os
import stat
from typing import Final

from ocr.naming import CHECKPOINT_SUFFIX

__all__ = ["EMPTY_CHECKPOINT", "alias_problem", "alias_target"]

EMPTY_CHECKPOINT: Final = (
    "empty: the file has 0 bytes (a save that crashed?), so it holds no checkpoint. "
    "Save it again, or remove it"
)


def alias_target(path: str) -> str | None:
    """The checkpoint a ``*.ckpt`` link in the same folder stands for.

    Args:
        path: A checkpoint path (a link or not).

    Returns:
        The target's file name when ``path`` is a link to a regular ``*.ckpt``
        file in its own folder; else ``None``.

    >>> alias_target("/nonexistent/best.ckpt") is None
    True
    """
    try:
        said = os.readlink(path)  # noqa: PTH115 (strings, like the walk's)
    except OSError:
        return None  # no link (or gone)
    folder = os.path.dirname(path)  # noqa: PTH120
    target = os.path.normpath(os.path.join(folder, said))  # noqa: PTH118
    if os.path.dirname(target) != os.path.normpath(folder) or not target.endswith(  # noqa: PTH120
        CHECKPOINT_SUFFIX
    ):
        return None
    try:
        is_file = stat.S_ISREG(os.lstat(target).st_mode)
    except OSError:
        return None
    return os.path.basename(target) if is_file else None  # noqa: PTH119


def alias_problem(target: str) -> str:
    """The problem an alias is listed with.

    Args:
        target: Its target's file name.

    Returns:
        The problem's text.
    """
    return (
        f"alias of {target!r}: a link to that checkpoint in the same folder (the same bytes "
        "under a second name); its target's sidecar describes it, it gets none of its own"
    )
