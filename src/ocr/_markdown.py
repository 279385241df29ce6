r"""Text for reports that stays on one line and in one Markdown table cell.

Paths come from people and tools: a folder name may hold a newline, a ``|``
or a backtick. :func:`escaped` shows control characters escaped (``\n``), so
one item takes one line; :func:`table_cell` also escapes ``|``;
:func:`code_cell` sets a cell in code font unless it holds a backtick.

>>> code_cell("outputs/a|b\nc")
'`outputs/a\\|b\\nc`'
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["code_cell", "escaped", "prose", "table_cell"]

_CODE_SPAN: Final = re.compile(r"(`[^`]*`)")
_EMPHASIS: Final = re.compile(r"([\\*_~\[\]<>])")
_ESCAPES: Final = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def escaped(text: str) -> str:
    """The text with every control character shown escaped (one line, always)."""
    return text.translate(_ESCAPES)


def table_cell(text: str) -> str:
    """The text as one Markdown table cell: escaped, ``|`` escaped too."""
    return escaped(text).replace("|", "\\|")


def code_cell(text: str) -> str:
    """:func:`table_cell` in code font, unless a backtick would break it."""
    cell = table_cell(text)
    return cell if "`" in cell else f"`{cell}`"


def prose(text: str) -> str:
    r"""A message as Markdown that shows it as written: ``_``, ``*`` and kin escaped outside code spans.

    Messages name keys such as ``model._target_``, which Markdown would set in italics;
    a `` `span` `` in the message stays code.

    >>> prose("model._target_ is missing; run `ocr ui --help`")
    'model.\\_target\\_ is missing; run `ocr ui --help`'
    """
    return "".join(
        part if _CODE_SPAN.fullmatch(part) else _EMPHASIS.sub(r"\\\1", part)
        for part in _CODE_SPAN.split(text)
    )
