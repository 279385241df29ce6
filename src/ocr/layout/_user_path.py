"""Paths as a user gives them, resolved once at the boundary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os

__all__ = ["resolve_user_path"]


def resolve_user_path(path: str | os.PathLike[str]) -> Path:
    """Resolve a path a user typed (or configured): ``~`` expanded, made absolute, links resolved.

    Every public entry point that takes a path passes it through here once and
    hands the result inward, so all of ocr agrees on where a path points.

    Args:
        path: The path as given; it need not exist.

    Returns:
        The absolute path.

    >>> resolve_user_path("~") == Path.home().resolve()
    True
    """
    return Path(path).expanduser().resolve()
