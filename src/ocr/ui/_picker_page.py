"""The Checkpoints page: pick checkpoints in a sortable table, then inspect or compare them."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

import streamlit as st

from ocr._markdown import prose
from ocr.catalog import QueryResult, sort_by_metric
from ocr.errors import CatalogQueryError
from ocr.ui import _session
from ocr.ui._filter_widgets import draw_filters, filters_from_state
from ocr.ui._inspect_view import UNKNOWN, show_comparison, show_details
from ocr.ui.filters import is_lower_better, most_monitored
from ocr.ui.selection import (
    PAGE_SIZE,
    SORT_KEYS,
    merge_selection,
    page_count,
    page_of,
    sort_entries,
)
from ocr.ui.table import arrow_table, picker_table

if TYPE_CHECKING:
    from ocr.catalog import CatalogEntry
    from ocr.ui.scope import AppScope

__all__ = ["render"]

_LINK_PARAM: Final = "checkpoint"
_CLEARED: Final = "ocr_selection_cleared"  # how often: the table's widget starts afresh each time
_COLUMNS: Final = {
    "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
    "score": st.column_config.NumberColumn("score", format="%.4f", help="the monitored metric"),
    "precision": st.column_config.NumberColumn("precision", format="%.4f"),
    "recall": st.column_config.NumberColumn("recall", format="%.4f"),
    "run": st.column_config.TextColumn("run", width="medium"),
}


def render() -> None:
    """Draw the page."""
    scope = _session.scope()
    st.title("Checkpoints")
    for root in scope.missing_roots():
        st.error(
            prose(
                f"output root {str(root)!r} is not a folder (any more). Start `ocr ui` on an existing root"
            )
        )
    catalog = scope.catalog()
    filters = filters_from_state()
    where_error = None
    try:
        query = filters.query()
    except CatalogQueryError as err:
        where_error = f"{err} (the table ignores it until it parses)"
        query = replace(filters, where="").query()
    found = catalog.find(query)
    entries = found.entries
    usual = most_monitored(entries)
    if "f_rank" not in st.session_state and usual is not None:
        entries = sort_by_metric(entries, usual, descending=not is_lower_better(usual))
    draw_filters(entries, usual_metric=usual, where_error=where_error)
    _header(scope, found)
    chosen = _table(entries, scope)
    if len(chosen) == 1:
        show_details(chosen[0], catalog.config_lookup())
    elif chosen:
        show_comparison(chosen, catalog.config_lookup())
    else:
        st.info("Tick a row to inspect a checkpoint, or 2 to 4 rows to compare them.")


def _header(scope: AppScope, found: QueryResult) -> None:
    roots = ", ".join(f"`{root}`" for root in scope.present_roots()) or "none"
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    left.caption(
        f"{len(found.entries)} checkpoint(s) under {roots}. The list never loads a checkpoint."
    )
    right.button(
        "Refresh", icon=":material/refresh:", help="Scan the roots again for new checkpoints"
    )
    for problem in found.problems:
        st.warning(prose(problem))


def _table(entries: list[CatalogEntry], scope: AppScope) -> list[CatalogEntry]:
    _follow_link(entries, scope)
    rows = _page(entries)
    paths = [entry.path for entry in rows]
    wanted = {entry.path for entry in _session.selected()}
    digest = hashlib.blake2b("\n".join(paths).encode(), digest_size=8).hexdigest()
    cleared = st.session_state.get(_CLEARED, 0)
    event = st.dataframe(
        arrow_table(picker_table(rows)),
        # A new page is a new widget, its rows the new rows; so is a cleared one.
        key=f"picker_{digest}_{cleared}",
        on_select="rerun",
        selection_mode="multi-row",
        selection_default={"selection": {"rows": [i for i, p in enumerate(paths) if p in wanted]}},
        hide_index=True,
        column_config=_COLUMNS,
        placeholder=UNKNOWN,
        width="stretch",
    )
    ticked = [paths[row] for row in sorted(event.selection.rows) if 0 <= row < len(rows)]
    before = [entry.path for entry in _session.selected()]
    chosen, over = merge_selection(before, paths, ticked, limit=_session.MAX_SELECTED)
    if over:
        st.warning(
            f"{len(chosen) + over} checkpoints are ticked; the first {_session.MAX_SELECTED} are "
            "used. Untick some to choose others"
        )
    # The freshest entry of each path wins: the one listed now over the one remembered.
    known = {entry.path: entry for entry in (*_session.selected(), *entries)}
    _session.set_selected([known[path] for path in chosen])
    _selection_bar(scope)
    return _session.selected()


def _page(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Sort every row as asked, then cut the page shown."""
    by_column, order, pages, where = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
    by = by_column.selectbox(
        "Sort by",
        list(SORT_KEYS),
        key="f_sort",
        help="Sorts every row; rank: by the ranking metric",
        persist_state="session",
    )
    descending = order.toggle("Descending", value=True, key="f_descending", persist_state="session")
    count = page_count(len(entries))
    page = pages.number_input("Page", min_value=1, max_value=count, value=1, key=f"f_page_{count}")
    first = (page - 1) * PAGE_SIZE
    where.caption(
        f"rows {min(first + 1, len(entries))}-{min(first + PAGE_SIZE, len(entries))} of {len(entries)}"
    )
    ordered = entries if by == "rank" else sort_entries(entries, str(by), descending=descending)
    return page_of(ordered, int(page))


def _selection_bar(scope: AppScope) -> None:
    chosen = _session.selected()
    if not chosen:
        if _LINK_PARAM in st.query_params:
            del st.query_params[_LINK_PARAM]
        return
    names = ", ".join(f"`{_link_of(entry.path, scope)}`" for entry in chosen)
    text, clear = st.columns([6, 1], vertical_alignment="center")
    text.caption(f"Selected ({len(chosen)}): {names}")
    if clear.button("Clear selection", key="f_clear"):
        _session.set_selected([])
        st.session_state[_CLEARED] = st.session_state.get(_CLEARED, 0) + 1
        st.rerun()
    links = [_link_of(entry.path, scope) for entry in chosen]
    st.query_params[_LINK_PARAM] = links


def _follow_link(entries: list[CatalogEntry], scope: AppScope) -> None:
    """Select what a shared link names, once per session; only listed checkpoints can be named."""
    if st.session_state.get("ocr_link_followed"):
        return
    st.session_state["ocr_link_followed"] = True
    named = st.query_params.get_all(_LINK_PARAM)
    if not named:
        return
    listed = {_link_of(entry.path, scope): entry for entry in entries}
    _session.set_selected([listed[name] for name in named if name in listed])
    for name in named:
        if name not in listed:
            st.warning(prose(f"{name!r} is not a checkpoint under the app's roots; it is ignored"))


def _link_of(path: str, scope: AppScope) -> str:
    """A checkpoint as a link names it: relative to its root (absolute in a legacy folder)."""
    for root in scope.present_roots():
        if Path(path).is_relative_to(root):
            return Path(path).relative_to(root).as_posix()
    return path
