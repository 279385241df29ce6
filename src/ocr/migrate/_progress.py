"""A progress bar for long migrations, on the terminal only."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["Progress"]

_WIDTH: Final = 30
_EVERY_SECONDS: Final = 0.1


class Progress:
    """``[#####.....]  45%  4500/10000 steps`` redrawn in place, at most ten times a second.

    Args:
        stream: Where to draw; nothing is drawn unless it is a terminal.
        label: What is counted.
    """

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self._drawn = 0.0

    def update(self, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` are done."""
        now = time.monotonic()
        if not self.enabled or (now - self._drawn < _EVERY_SECONDS and done < total):
            return
        self._drawn = now
        filled = _WIDTH * done // max(total, 1)
        percent = 100 * done // max(total, 1)
        bar = "#" * filled + "." * (_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}%  {done}/{total} {self.label}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
