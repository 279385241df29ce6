"""Telling an output root from a folder inside another root's layout.

``ocr migrate apply outputs/2025-10-18`` names a date folder of the root
``outputs``: migrated as a root of its own, its run folders would be taken
for legacy experiments and moved a level deeper. So a command that writes
into a root first asks :func:`enclosing_root` whether the folder is a date,
run, sweep or job folder of another root (or lies inside one), and refuses
it, naming the root to use.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import NamedTuple

from ocr.errors import RunPathParseError
from ocr.layout._names import is_date_name, parse_run_path
from ocr.layout._paths import subdirs

__all__ = ["EnclosingRoot", "enclosing_root"]


class EnclosingRoot(NamedTuple):
    """The output root whose layout holds a folder, and what the folder is in it.

    Args:
        root: The output root.
        what: ``a date folder``, ``a run or sweep folder`` or ``a folder inside a run or sweep``.
    """

    root: Path
    what: str


def enclosing_root(folder: Path) -> EnclosingRoot | None:
    """The output root whose layout holds ``folder``, if any.

    ``folder`` is part of another root's layout when it is a date folder
    holding launch folders (``<root>/YYYY-MM-DD`` with ``HH-MM-SS[_n]`` in it),
    a run or sweep folder (``<root>/YYYY-MM-DD/HH-MM-SS[_n]``), or anything
    inside one (a job folder, ``checkpoints``). The nearest such root is given.

    Args:
        folder: An absolute folder.

    Returns:
        The enclosing root and what ``folder`` is in it, or ``None``.

    >>> enclosing_root(Path("/data/outputs/2025-10-18/14-03-22/0"))
    EnclosingRoot(root=PosixPath('/data/outputs'), what='a folder inside a run or sweep')
    """
    parts = folder.parts
    for index in range(len(parts) - 1, 0, -1):
        if not is_date_name(parts[index]):
            continue
        root = Path(*parts[:index])
        if index == len(parts) - 1:
            if any(_is_launch(parts[index], sub.name) for sub in subdirs(folder)):
                return EnclosingRoot(root, "a date folder")
        elif _is_launch(parts[index], parts[index + 1]):
            inside = len(parts) - index > 2
            return EnclosingRoot(
                root, "a folder inside a run or sweep" if inside else "a run or sweep folder"
            )
    return None


def _is_launch(date_name: str, time_name: str) -> bool:
    try:
        parse_run_path(PurePath(date_name, time_name))
    except RunPathParseError:
        return False
    return True
