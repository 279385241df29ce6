"""The code blocks of a Markdown page, with the markers that say how to run them.

A tested page's ```` ```bash ```` and ```` ```python ```` blocks run; an HTML
comment on the line right above a block changes that:

- ``<!-- not-run: REASON -->``: shown, never run (the reason is required);
- ``<!-- exit: N -->``: the block is expected to exit with ``N`` (an ``ocr: error:``
  line is then allowed);
- ``<!-- output -->`` above a ```` ```text ```` block: the real output of the
  runnable block just before it, checked loosely and rewritten by ``--update``.

Shell blocks spelled ``sh``, ``shell`` or ``console`` are refused in a tested page,
so that nothing looks runnable without being run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final, Literal

__all__ = ["RUNNABLE", "Block", "BlockSyntaxError", "OutputBlock", "parse_blocks"]

RUNNABLE: Final = ("bash", "python")
_AMBIGUOUS: Final = frozenset({"sh", "shell", "console", "zsh", "shell-session"})
_FENCE: Final = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)")
_MARKER: Final = re.compile(r"^[ \t]*<!--\s*(?P<body>.*?)\s*-->[ \t]*$")
_NOT_RUN: Final = re.compile(r"not-run:\s*(?P<reason>\S.*)")
_EXIT: Final = re.compile(r"exit:\s*(?P<code>\d+)")


class BlockSyntaxError(ValueError):
    """A tested page's block or marker is malformed (the message names the line)."""


@dataclass(frozen=True)
class OutputBlock:
    """A ```` ```text ```` block that shows a runnable block's output.

    Args:
        first: Index of its first content line in the page's lines.
        end: Index of its closing fence.
        indent: The fence's indentation, restored on every line when rewritten.
        text: Its content, without the indentation.
    """

    first: int
    end: int
    indent: str
    text: str


@dataclass(frozen=True)
class Block:
    """A runnable block of a page.

    Args:
        language: ``bash`` or ``python``.
        line: The 1-based line of its opening fence.
        code: Its content, without the indentation.
        skip_reason: Why it is not run (``None``: it runs).
        expected_exit: The exit code it must end with.
        output: The block showing its output, if any.
    """

    language: Literal["bash", "python"]
    line: int
    code: str
    skip_reason: str | None = None
    expected_exit: int = 0
    output: OutputBlock | None = None


@dataclass(frozen=True)
class _Fenced:
    info: str
    start: int  # the opening fence's index
    end: int  # the closing fence's index
    indent: str
    text: str
    marker: str | None


def parse_blocks(text: str, *, page: str) -> list[Block]:
    """The runnable blocks of a tested page, in order.

    Args:
        text: The page's Markdown.
        page: Its name, for messages.

    Returns:
        Every ``bash`` and ``python`` block with its marker and output block.

    Raises:
        BlockSyntaxError: A marker is unknown or misplaced, a ``not-run`` has no
            reason, a fence is not closed, or a shell block is not spelled ``bash``.
    """
    blocks: list[Block] = []
    for fenced in _fenced_blocks(text.splitlines(), page):
        where = f"{page}:{fenced.start + 1}"
        if fenced.info in _AMBIGUOUS:
            msg = (
                f"{where}: a {fenced.info!r} block in a tested page; use bash (run) or text (shown)"
            )
            raise BlockSyntaxError(msg)
        if fenced.marker == "output":
            blocks[-1:] = [_with_output(blocks, fenced, where)]
        elif fenced.info in RUNNABLE:
            blocks.append(_runnable(fenced, where))
        elif fenced.marker is not None:
            msg = f"{where}: marker <!-- {fenced.marker} --> above a {fenced.info or 'plain'} block"
            raise BlockSyntaxError(msg)
    return blocks


def _runnable(fenced: _Fenced, where: str) -> Block:
    language: Literal["bash", "python"] = "bash" if fenced.info == "bash" else "python"
    block = Block(language=language, line=fenced.start + 1, code=fenced.text)
    if fenced.marker is None:
        return block
    if not_run := _NOT_RUN.fullmatch(fenced.marker):
        return replace(block, skip_reason=not_run["reason"])
    if expected := _EXIT.fullmatch(fenced.marker):
        return replace(block, expected_exit=int(expected["code"]))
    msg = (
        f"{where}: unknown marker <!-- {fenced.marker} -->; use <!-- not-run: REASON -->, "
        "<!-- exit: N --> or, above a text block, <!-- output -->"
    )
    raise BlockSyntaxError(msg)


def _with_output(blocks: list[Block], fenced: _Fenced, where: str) -> Block:
    if fenced.info != "text":
        msg = f"{where}: <!-- output --> must stand above a ```text block"
        raise BlockSyntaxError(msg)
    if not blocks or blocks[-1].output is not None or blocks[-1].skip_reason is not None:
        msg = f"{where}: <!-- output --> must follow a block that runs (and has no output yet)"
        raise BlockSyntaxError(msg)
    output = OutputBlock(fenced.start + 1, fenced.end, fenced.indent, fenced.text)
    return replace(blocks[-1], output=output)


def _fenced_blocks(lines: list[str], page: str) -> list[_Fenced]:
    found: list[_Fenced] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = _closing(lines, index, opening)
        if end is None:
            msg = f"{page}:{index + 1}: the code block is never closed"
            raise BlockSyntaxError(msg)
        indent = opening["indent"]
        body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
        text = "\n".join(body) + ("\n" if body else "")
        found.append(
            _Fenced(opening["info"].lower(), index, end, indent, text, _marker(lines, index))
        )
        index = end + 1
    return found


def _closing(lines: list[str], start: int, opening: re.Match[str]) -> int | None:
    fence = opening["fence"]
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            return index
    return None


def _marker(lines: list[str], fence: int) -> str | None:
    """The HTML comment on the line right above a fence, if any."""
    if fence == 0:
        return None
    comment = _MARKER.match(lines[fence - 1])
    return comment["body"] if comment else None
