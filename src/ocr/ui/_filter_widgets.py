"""The picker's sidebar: the catalog's filters as widgets.

The page reads the filters from the widgets' remembered values first
(:func:`filters_from_state`), runs the one catalog query they make, then draws
the widgets (:func:`draw_filters`) with choices taken from what the query found,
so a page costs one scan. The widgets keep their values across pages.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

import streamlit as st

from ocr._markdown import prose
from ocr.registry import Status
from ocr.ui.filters import (
    GROUP_KEYS,
    PickerFilters,
    facet_values,
    is_lower_better,
    metric_names,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog import CatalogEntry

__all__ = ["ANY", "draw_filters", "filters_from_state"]

ANY: Final = "any"
_PARTS: Final = ("architecture", "encoder", "decoder", "head")
_QUERY_DOCS: Final = (
    "The `ocr catalog --where` language, e.g. `metrics.val/hmean > 0.9 and "
    "model.encoder = 'tiny_resnet'` or `config.trainer.max_epochs >= 3` "
    "(docs/catalog-query.md)."
)
_KEEP: Final[dict[str, Any]] = {"persist_state": "session"}


def _state(name: str, default: Any = None) -> Any:
    value = st.session_state.get(f"f_{name}", default)
    return None if value == ANY else value


def filters_from_state() -> PickerFilters:
    """The filters the widgets held at the end of the last run (defaults on the first).

    Returns:
        The filters.
    """
    rank_by = _state("rank")
    group_on = bool(_state("best_group", default=False)) and rank_by is not None
    minimum = _state("min_metric")
    dates = _state("dates", default=())
    days = [
        day for day in (dates if isinstance(dates, tuple) else (dates,)) if isinstance(day, date)
    ]
    return PickerFilters(
        search=_state("search", default="") or "",
        where=_state("where", default="") or "",
        **{name: _state(name) for name in _PARTS},
        since=days[0] if days else None,
        until=days[-1] if days else None,
        min_metric=(minimum, float(_state("min_value", default=0.0))) if minimum else None,
        status=_state("status"),
        tags=tuple(_state("tags", default=[]) or ()),
        rank_by=rank_by,
        higher_is_better=bool(
            _state(f"higher_{rank_by}", default=not is_lower_better(rank_by or ""))
        ),
        best_per_run=bool(_state("best_run", default=False)) and rank_by is not None,
        group_by=tuple(_state("group_by", default=GROUP_KEYS[1:3])) if group_on else (),
    )


def draw_filters(
    shown: Sequence[CatalogEntry], *, usual_metric: str | None, where_error: str | None
) -> None:
    """Draw the sidebar's filters, offering the values of the entries shown.

    Args:
        shown: The entries the query found.
        usual_metric: The metric most of them monitor (the default ranking).
        where_error: Why the ``Where`` expression was refused, shown under it.
    """
    bar = st.sidebar
    bar.header("Filters")
    bar.text_input("Search", key="f_search", placeholder="path, name or model part", **_KEEP)
    bar.text_input(
        "Where", key="f_where", help=_QUERY_DOCS, placeholder="metrics.val/hmean > 0.9", **_KEEP
    )
    if where_error is not None:
        bar.error(prose(where_error))
    metrics = metric_names(shown)
    rank_choices = _with(
        _state("rank"), [*dict.fromkeys([*filter(None, [usual_metric]), *metrics])]
    )
    rank = bar.selectbox(
        "Rank by",
        [ANY, *rank_choices],
        index=1 if rank_choices else 0,
        key="f_rank",
        help="Sorts the table and picks the best checkpoints (default: the metric most runs monitored)",
        **_KEEP,
    )
    ranked = rank != ANY
    bar.toggle(
        "Higher is better", value=not is_lower_better(str(rank)), key=f"f_higher_{rank}", **_KEEP
    )
    bar.toggle("Best per run", key="f_best_run", disabled=not ranked, **_KEEP)
    if bar.toggle("Best per group", key="f_best_group", disabled=not ranked, **_KEEP):
        bar.multiselect(
            "Group by", GROUP_KEYS, default=list(GROUP_KEYS[1:3]), key="f_group_by", **_KEEP
        )
    with bar.expander("More filters"):
        for name in _PARTS:
            choices = [ANY, *facet_values(shown, name, keep=_state(name))]
            st.selectbox(name.capitalize(), choices, key=f"f_{name}", **_KEEP)
        st.date_input("Created between", value=[], key="f_dates", format="YYYY-MM-DD", **_KEEP)
        if (
            st.selectbox(
                "Minimum of",
                [ANY, *_with(_state("min_metric"), metrics)],
                key="f_min_metric",
                **_KEEP,
            )
            != ANY
        ):
            st.number_input(
                "Lowest value", value=0.0, step=0.01, format="%.4f", key="f_min_value", **_KEEP
            )
        st.selectbox(
            "Run status", [ANY, *(status.value for status in Status)], key="f_status", **_KEEP
        )
        tags = facet_values(shown, "tags")
        st.multiselect(
            "Tags (all of)",
            sorted({*tags, *(_state("tags", default=[]) or [])}),
            key="f_tags",
            **_KEEP,
        )


def _with(current: str | None, choices: list[str]) -> list[str]:
    """The choices, plus the current value when the entries shown no longer have it."""
    return choices if current is None or current in choices else [*choices, current]
