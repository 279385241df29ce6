"""Type aliases shared across ocr."""

from __future__ import annotations

import os
from typing import TypeAlias

__all__ = ["StrPath"]

StrPath: TypeAlias = str | os.PathLike[str]
"""A path as a caller may give it at a public entry point."""
