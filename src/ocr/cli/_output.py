r"""What the commands print: aligned plain-text tables and strict JSON.

Names come from people and tools: a table shows a newline in a name as
``\n`` and a byte that is not UTF-8 as ``\xff`` (each row one line, any
terminal prints it); JSON writes such a byte as the escape ``\udcff``, which
``json.loads`` reads back and ``os.fsencode`` turns into the original byte.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, TypeVar

from ocr._json import escape_surrogates
from ocr._markdown import escaped

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import TextIO

__all__ = ["json_item_text", "json_text", "render_table", "write_json_list"]

_T = TypeVar("_T")
_BATCH: Final = 256  # items per write: streamed, yet few calls into the stream


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


def json_item_text(value: object) -> str:
    """One item of a ``--format json`` list, as :func:`json_text` indents it inside the list.

    Args:
        value: Plain JSON data.

    Returns:
        Its JSON text, every line indented by two, without the separating comma.

    >>> print(json_item_text({"a": [1]}))
      {
        "a": [
          1
        ]
      }
    """
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    return "  " + text.replace("\n", "\n  ")  # a raw newline only ever separates tokens


def write_json_list(
    items: Iterable[_T], out: TextIO, *, render: Callable[[_T], str] = json_item_text
) -> None:
    r"""Stream a ``--format json`` list: what :func:`json_text` gives for it, written as produced.

    Args:
        items: The items, written in this order as they come.
        out: The text stream (standard output).
        render: Each item's text (:func:`json_item_text` by default; a faster
            renderer of the same text for a known kind of item).

    >>> import io
    >>> out = io.StringIO()
    >>> write_json_list([{"a": 1}, 2], out)
    >>> out.getvalue() == json_text([{"a": 1}, 2])
    True
    """
    opening = "[\n"
    batch: list[str] = []
    for item in items:
        batch.append(render(item))
        if len(batch) == _BATCH:
            _write(out, opening + ",\n".join(batch))
            opening, batch = ",\n", []
    if batch:
        _write(out, opening + ",\n".join(batch))
        opening = ",\n"
    _write(out, "[]\n" if opening == "[\n" else "\n]\n")


def _write(out: TextIO, text: str) -> None:
    # Lone surrogates (a name's undecodable bytes) only ever occur in non-ASCII text.
    out.write(text if text.isascii() else escape_surrogates(text))


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
