"""Comparing a command's real output with the output a page shows, loosely.

Times, dates, IDs, hashes, numbers and column padding change from run to run,
so both sides are normalised before they are compared, and every line the
page shows must appear in the real output (which may hold more lines, such as
warnings, and in another order). The folder a page ran in is shown as :data:`DISPLAY_DIR`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

__all__ = ["DISPLAY_DIR", "as_shown", "loosen", "missing_lines"]

DISPLAY_DIR: Final = "/home/you/ocr-demo"
"""How the fresh folder a page runs in appears in the page's output blocks."""

_ANSI: Final = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_LOOSE: Final = (
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
        "<when>",
    ),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<date>"),
    (re.compile(r"\d{8}T\d{6}Z?(-[0-9a-z]+)?"), "<when>"),
    (re.compile(r"\d{2}-\d{2}-\d{2}(_\d+)?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hash>"),
    (re.compile(r"\b(?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{16}\b"), "<id>"),
    (re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?"), "<n>"),
    (re.compile(r"-{3,}"), "---"),
    (re.compile(r"\s+"), " "),
)


def as_shown(output: str, workdir: str) -> str:
    """A command's output as a page shows it.

    What a terminal overwrites (progress after a carriage return) and colour
    codes are dropped, and the page's folder is shown as :data:`DISPLAY_DIR`.

    Args:
        output: The real output (stdout and stderr together).
        workdir: The folder the page ran in.

    Returns:
        The output to show.
    """
    # split("\n"), not splitlines(): a "\r" is a terminal overwriting its line, not a new one.
    lines = [_ANSI.sub("", line).rsplit("\r", 1)[-1].rstrip() for line in output.split("\n")]
    text = "\n".join(lines).replace(workdir, DISPLAY_DIR).strip("\n")
    return text + "\n" if text else ""


def loosen(line: str) -> str:
    """One line with everything that varies between runs replaced by a placeholder.

    Args:
        line: A line of output.

    Returns:
        The normalised line.

    >>> loosen("2025-10-18 14:03  a1b2c3d4e5f6g7h8   0.9981  epoch=03-step=000096.ckpt")
    '<when> <id> <n> epoch=<n>-step=<n>.ckpt'
    """
    for pattern, placeholder in _LOOSE:
        line = pattern.sub(placeholder, line)
    return line.strip()


def missing_lines(shown: str, real: str) -> list[str]:
    """The shown lines the real output lacks (loosely compared).

    Each line shown must match a line of its own in the real output; the
    order is not compared, since jobs that run side by side finish in either
    order.

    Args:
        shown: The output block of the page.
        real: The real output, as :func:`as_shown` gives it.

    Returns:
        The page's lines (as written) without a match in the real output;
        empty when the page is true.
    """
    unmatched = Counter(loosen(line) for line in real.splitlines() if line.strip())
    missing = []
    for line in shown.splitlines():
        loose = loosen(line)
        if not loose:
            continue
        if unmatched[loose] > 0:
            unmatched[loose] -= 1
        else:
            missing.append(line)
    return missing
