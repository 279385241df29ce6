r"""What the commands print: aligned plain-text tables and strict JSON.

Names come from people and tools: a table shows a newline in a name as
``\n`` and a byte that is not UTF-8 as ``\xff`` (each row one line, any
terminal prints it); JSON writes such a byte as the escape ``\udcff``, which
``json.loads`` reads back and ``os.fsencode`` turns into the original byte.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ocr._json import escape_surrogates
from ocr._markdown import escaped

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["json_text", "render_table"]


def json_text(value: object) -> str:
    r"""Render ``--format json`` output: indented, non-ASCII kept, strict.

    Args:
        value: Plain JSON data; a non-finite float is an error (callers
            serialise NaN as the string ``"NaN"``, as sidecars do).

    Returns:
        The JSON text, ending with a newline; strict UTF-8 (a name's
        undecodable bytes as ``\udcXX`` escapes).

    >>> print(json_text({"hmean": 0.9}), end="")
    {
      "hmean": 0.9
    }
    """
    return (
        escape_surrogates(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"
    )


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render rows under a header as aligned columns.

    Args:
        header: Column names.
        rows: One list of cell texts per row; control characters and
            undecodable bytes are shown escaped.

    Returns:
        The table, one line per row, ending with a newline.

    >>> print(render_table(["a", "bb"], [["1", "2"]]), end="")
    a  bb
    -  --
    1  2
    """
    shown = [[escaped(str(cell)) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *shown, strict=True)]
    lines = [header, ["-" * width for width in widths], *shown]
    return "".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )
