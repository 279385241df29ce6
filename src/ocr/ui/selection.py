"""The picker's rows: sorted and cut into pages, and the checkpoints ticked across them.

The table shows one page of rows (:data:`PAGE_SIZE`), so a tree of ten
thousand checkpoints costs the browser and the server one page at a time;
sorting applies to every row, before the page is cut. Ticking rows on one page
keeps what was ticked on the others (or hidden by a filter since), up to the
limit the Try page takes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

from ocr.ui.table import monitored_score, origin

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ocr.catalog import CatalogEntry

__all__ = ["PAGE_SIZE", "SORT_KEYS", "merge_selection", "page_count", "page_of", "sort_entries"]

PAGE_SIZE: Final = 200
# What the rows can be sorted by: "rank" keeps the catalog's order (by the ranking metric).
SORT_KEYS: Final[dict[str, Callable[[CatalogEntry], Any] | None]] = {
    "rank": None,
    "score": monitored_score,
    "created": lambda entry: entry.created_at.timestamp() if entry.created_at else None,
    "name": lambda entry: entry.name,
    "encoder": lambda entry: entry.encoder,
    "decoder": lambda entry: entry.decoder,
    "epoch": lambda entry: entry.epoch,
    "step": lambda entry: entry.step,
    "origin": origin,
    "sidecar": lambda entry: str(entry.sidecar),
}


def sort_entries(
    entries: Sequence[CatalogEntry], by: str, *, descending: bool
) -> list[CatalogEntry]:
    """Entries sorted by one of :data:`SORT_KEYS`; unknown values go last either way.

    Args:
        entries: The entries, in the catalog's order.
        by: The key (``rank`` keeps the order given).
        descending: Largest first.

    Returns:
        The sorted entries (a stable sort: ties keep the catalog's order).
    """
    read = SORT_KEYS[by]
    if read is None:
        return list(entries)
    values = [(read(entry), entry) for entry in entries]
    known = sorted(
        (pair for pair in values if pair[0] is not None),
        key=lambda pair: pair[0],
        reverse=descending,
    )
    return [entry for _, entry in known] + [entry for value, entry in values if value is None]


def page_count(rows: int, size: int = PAGE_SIZE) -> int:
    """How many pages ``rows`` rows fill (at least one, even when empty)."""
    return max(1, math.ceil(rows / size))


def page_of(
    entries: Sequence[CatalogEntry], page: int, size: int = PAGE_SIZE
) -> list[CatalogEntry]:
    """The rows of page ``page`` (1-based; a page past the end is the last).

    Args:
        entries: Every row, sorted.
        page: The page number.
        size: Rows per page.

    Returns:
        The page's rows.
    """
    last = page_count(len(entries), size)
    start = (min(max(page, 1), last) - 1) * size
    return list(entries[start : start + size])


def merge_selection(
    selected: Sequence[str], shown: Sequence[str], ticked: Sequence[str], *, limit: int
) -> tuple[list[str], int]:
    """The selection after rows of one page were ticked or unticked.

    Args:
        selected: The checkpoints selected before, in order.
        shown: The checkpoints of the page shown.
        ticked: Those of them ticked now.
        limit: The most that can be selected.

    Returns:
        The selection (those selected elsewhere first, then the page's, in
        order) and how many were left out over the limit.

    >>> merge_selection(["a", "x"], ["x", "y", "z"], ["z"], limit=4)
    (['a', 'z'], 0)
    """
    on_page = set(shown)
    merged = list(dict.fromkeys([*(path for path in selected if path not in on_page), *ticked]))
    return merged[:limit], max(0, len(merged) - limit)
