"""Old paths inside text files (``.hydra/*.yaml``, legacy sidecars, logs) rewritten to new ones.

An old folder is replaced only as a whole path segment: ``outputs/exp1`` is
rewritten inside ``/data/outputs/exp1/checkpoints/x.ckpt`` and
``dir: outputs/exp1``, but not inside ``outputs/exp10`` or ``myoutputs/exp1``.
Only a run's own folders are rewritten in its own files.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MAX_REWRITTEN_BYTES", "REWRITTEN_SUFFIXES", "rewrite_paths"]

REWRITTEN_SUFFIXES: Final = frozenset({".yaml", ".yml", ".log", ".json", ".txt"})
"""Files that may name paths: Hydra configs, legacy sidecars, logs."""
MAX_REWRITTEN_BYTES: Final = 16 * 1024 * 1024
_BEFORE: Final = r"(?<![\w.\-])"
_AFTER: Final = r"(?=$|[/\s\"'`,;:)\]}>])"


def rewrite_paths(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    r"""Replace every old path by its new one, longest old path first.

    Args:
        text: The file's text.
        replacements: Old path -> new path (POSIX, relative to the output
            root's parent; absolute spellings end with them and are caught too).

    Returns:
        The rewritten text (the same object when nothing matched).

    >>> rewrite_paths("dir: /d/outputs/exp1\nnot: outputs/exp10", [("outputs/exp1", "outputs/A")])
    'dir: /d/outputs/A\nnot: outputs/exp10'
    """
    if not replacements or not any(old in text for old, _ in replacements):
        return text
    new_of = dict(replacements)
    return _pattern(tuple(new_of)).sub(lambda match: new_of[match[1]], text)


@functools.lru_cache(maxsize=256)
def _pattern(olds: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all old paths, longest first (a run's files share one set)."""
    ordered = sorted(olds, key=len, reverse=True)
    alternatives = "|".join(re.escape(old) for old in ordered)
    return re.compile(_BEFORE + "(" + alternatives + ")" + _AFTER, re.MULTILINE)
