r"""Text for reports and tables that stays on one line and in one Markdown table cell.

Paths come from people and tools: a folder name may hold a newline, a ``|``,
a backtick, or bytes that are not UTF-8 (which Python holds as lone
surrogates, ``b"\xff"`` as ``"\udcff"``). :func:`escaped` shows control
characters escaped (``\n``) and such bytes as ``\xff``, so one item takes one
line and every terminal can print it; :func:`table_cell` also escapes ``|``;
:func:`code_cell` sets a cell in code font unless it holds a backtick.

>>> code_cell("outputs/a|b\nc")
'`outputs/a\\|b\\nc`'
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["code_cell", "escaped", "prose", "shown_bytes", "table_cell"]

_CODE_SPAN: Final = re.compile(r"(`[^`]*`)")
_EMPHASIS: Final = re.compile(r"([\\*_~\[\]<>])")
_ESCAPES: Final = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def escaped(text: str) -> str:
    r"""The text with every control character and undecodable byte shown escaped.

    Args:
        text: A name or message.

    Returns:
        One printable line: ``\n`` for a newline, ``\xff`` for the byte 0xFF
        of a name that is not UTF-8.

    >>> escaped("a\nb\udcff")
    'a\\nb\\xff'
    """
    return shown_bytes(text.translate(_ESCAPES))


def shown_bytes(text: str) -> str:
    r"""The text with only the bytes of a name that are not UTF-8 shown escaped (``\xff``).

    For outputs that keep control characters as they are (CSV quotes them).

    Args:
        text: A name.

    Returns:
        Text that any terminal or UTF-8 file takes.
    """
    return _SURROGATE.sub(_shown_surrogate, text)


def _shown_surrogate(match: re.Match[str]) -> str:
    code = ord(match[0])
    # surrogateescape holds byte 0xXX (>= 0x80) as U+DCXX.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


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
