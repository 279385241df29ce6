"""Plain-text tables for terminal output."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["render_table"]


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
