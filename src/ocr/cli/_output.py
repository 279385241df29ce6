"""What the commands print: aligned plain-text tables and strict JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["json_text", "render_table"]


def json_text(value: object) -> str:
    """Render ``--format json`` output: indented, non-ASCII kept, strict.

    Args:
        value: Plain JSON data; a non-finite float is an error (callers
            serialise NaN as the string ``"NaN"``, as sidecars do).

    Returns:
        The JSON text, ending with a newline.

    >>> print(json_text({"hmean": 0.9}), end="")
    {
      "hmean": 0.9
    }
    """
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render rows under a header as aligned columns.

    Args:
        header: Column names.
        rows: One list of cell texts per row.

    Returns:
        The table, one line per row, ending with a newline.

    >>> print(render_table(["a", "bb"], [["1", "2"]]), end="")
    a  bb
    -  --
    1  2
    """
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, ["-" * width for width in widths], *rows]
    return "".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )
