"""The Ablation page: ``ocr ablation``'s selection, tables and plot, in the app.

The same calls as the command (:func:`ocr.ablation.collect_runs`,
:func:`~ocr.ablation.analyse`, :func:`~ocr.ablation.ablation_figure`), the same
roots and legacy folders as the other pages. The selection sits in the
sidebar; a malformed ``Where`` or a bad choice is one line in the page, never a
traceback. Nothing is written into the runs; the downloads are made in memory.
"""

from __future__ import annotations

import importlib.util
import io
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, Final

import streamlit as st

from ocr._markdown import prose
from ocr.ablation import (
    DEFAULT_METRIC,
    DEFAULT_SEED_KEY,
    RunSelection,
    ablation_figure,
    ablation_json,
    analyse,
    collect_runs,
    render_csv,
    render_json,
    render_latex,
    render_markdown,
)
from ocr.errors import CatalogQueryError, OcrError
from ocr.ui import _session
from ocr.ui.ablation_tables import (
    ALL_RUNS,
    config_key_choices,
    effect_rows,
    group_rows,
    metric_choices,
    run_rows,
    sweep_choices,
)

if TYPE_CHECKING:
    from datetime import date

    from ocr.ablation import Ablation, AblationRun
    from ocr.ui.scope import AppScope

__all__ = ["render"]

_KEEP: Final[dict[str, Any]] = {"persist_state": "session"}
_AUTO: Final = "auto"
_NUMBER: Final = st.column_config.NumberColumn(format="%.4f")
_NUMBERS: Final = ("mean", "std", "min", "max", "Δ vs baseline", "best", "last", "apart by")


def render() -> None:
    """Draw the page."""
    scope = _session.scope()
    st.title("Ablation")
    st.caption(
        "Which factor of a sweep mattered, by how much, against the noise between seeds "
        "(the same numbers as `ocr ablation`)."
    )
    everyone = collect_runs(scope.present_roots(), legacy=scope.legacy)
    selection, where_error = _selection(everyone)
    runs = collect_runs(scope.present_roots(), selection=selection, legacy=scope.legacy)
    if where_error is not None:
        st.error(prose(f"{where_error} (the selection ignores it until it parses)"))
    if not runs:
        st.info(_nothing_selected(scope, everyone))
        return
    options = _analysis_options(runs)
    try:
        ablation = analyse(runs, **options)
        baseline = _baseline_choice(ablation)
        if baseline is not None:
            ablation = analyse(runs, **options, baseline=baseline)
    except OcrError as err:
        st.error(prose(str(err)))
        return
    _show(ablation)


def _nothing_selected(scope: AppScope, everyone: list[AblationRun]) -> str:
    roots = ", ".join(f"`{root}`" for root in scope.roots)
    if not everyone:
        return f"No runs under {roots} yet. Train or sweep with `ocr-train`, then refresh."
    return f"No run of the {len(everyone)} under {roots} matches the selection in the sidebar."


def _selection(everyone: list[AblationRun]) -> tuple[RunSelection, str | None]:
    """The sidebar's selection, and why its ``Where`` was refused (if it was)."""
    bar = st.sidebar
    bar.header("Runs")
    sweeps = sweep_choices(everyone)
    sweep = bar.selectbox(
        "Sweep", list(sweeps), format_func=sweeps.__getitem__, key="a_sweep", **_KEEP
    )
    where = bar.text_input(
        "Where",
        key="a_where",
        placeholder="model.encoder = 'tiny_cnn'",
        help="The `ocr catalog --where` language, checked per run (docs/catalog-query.md).",
        **_KEEP,
    )
    tags = sorted({tag for run in everyone for tag in run.tags})
    chosen_tags = bar.multiselect("Tags (all of them)", tags, key="a_tags", **_KEEP)
    name = bar.text_input("Name contains", key="a_name", **_KEEP)
    since = bar.date_input("Started on or after", value=None, key="a_since", **_KEEP)
    until = bar.date_input("Started before", value=None, key="a_until", **_KEEP)
    parts: dict[str, Any] = {
        "sweep": sweep if sweep != ALL_RUNS else None,
        "tags": tuple(chosen_tags),
        "name": name.strip() or None,
        "since": _day(since),
        "until": _day(until),
    }
    try:
        return RunSelection(where=where.strip() or None, **parts), None
    except CatalogQueryError as err:
        return RunSelection(**parts), str(err)


def _day(day: date | None) -> datetime | None:
    """Midnight of a picked day, local time (as ``--since 2025-10-18`` reads it)."""
    if day is None:
        return None
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def _analysis_options(runs: list[AblationRun]) -> dict[str, Any]:
    """The sidebar's analysis choices, offering what the selected runs hold."""
    bar = st.sidebar
    bar.header("Compare")
    metrics = metric_choices(runs)
    metric = bar.selectbox("Metric", metrics or [DEFAULT_METRIC], key="a_metric", **_KEEP)
    mode = bar.radio("Better is", [_AUTO, "max", "min"], horizontal=True, key="a_mode", **_KEEP)
    value = bar.radio("Per run", ["best", "last"], horizontal=True, key="a_value", **_KEEP)
    keys = config_key_choices(runs)
    by = bar.multiselect(
        "Factors",
        keys,
        key="a_by",
        placeholder="detected: the keys that vary, minus the seed",
        **_KEEP,
    )
    seed_key = bar.selectbox(
        "Repeats differ in",
        [DEFAULT_SEED_KEY, *(key for key in keys if key != DEFAULT_SEED_KEY)],
        key="a_seed",
        **_KEEP,
    )
    return {
        "metric": metric,
        "mode": None if mode == _AUTO else mode,
        "value": value,
        "by": by or None,
        "seed_key": seed_key if seed_key in keys else None,
    }


def _baseline_choice(ablation: Ablation) -> dict[str, str] | None:
    """The baseline group picked in the sidebar (``None``: the first group)."""
    if len(ablation.groups) < 2 or not ablation.factors:
        return None
    labels = [
        ", ".join(
            f"{key}={value}" for key, value in zip(ablation.factors, group.factors, strict=True)
        )
        for group in ablation.groups
    ]
    chosen = st.sidebar.selectbox("Baseline group", labels, key="a_baseline")
    index = labels.index(chosen) if chosen in labels else 0
    if index == 0:
        return None
    group = ablation.groups[index]
    return {key: str(value) for key, value in zip(ablation.factors, group.factors, strict=True)}


def _show(ablation: Ablation) -> None:
    data = ablation_json(ablation)
    included = sum(1 for outcome in ablation.runs if outcome.is_included)
    st.subheader(f"{ablation.metric}: {ablation.mode} is better, {ablation.value} value per run")
    factors = ", ".join(f"`{factor}`" for factor in ablation.factors) or "none"
    st.markdown(
        f"{included} of {len(ablation.runs)} runs in {len(ablation.groups)} group(s); "
        f"factors: {factors}; repeats differ in `{ablation.seed_key}`"
        + (f"; noise (pooled std within groups): {ablation.noise:.4f}" if ablation.noise else "")
    )
    st.dataframe(group_rows(data), hide_index=True, column_config=_columns())
    if data["effects"]:
        st.markdown("**Per factor**")
        st.dataframe(effect_rows(data), hide_index=True, column_config=_columns())
    png = _png(ablation)
    if png is not None:
        st.image(
            png, caption="each factor's levels with error bars, then each group's learning curve"
        )
    st.markdown("**Runs**")
    st.dataframe(run_rows(data), hide_index=True, column_config=_columns())
    for note in ablation.notes:
        st.caption(prose(f"note: {note}"))
    _downloads(ablation, png)


def _columns() -> dict[str, Any]:
    return dict.fromkeys(_NUMBERS, _NUMBER) | {
        "Δ %": st.column_config.NumberColumn(format="%+.1f%%"),
        "p (Welch)": st.column_config.NumberColumn(format="%.3f"),
    }


def _png(ablation: Ablation) -> bytes | None:
    """The ablation's plot as PNG bytes (``ocr ablation --plot``'s picture), if matplotlib is here."""
    if importlib.util.find_spec("matplotlib") is None:
        st.warning(
            "The plot needs matplotlib: `pip install 'ocr[ablation]'`, then restart `ocr ui`."
        )
        return None
    buffer = io.BytesIO()
    ablation_figure(ablation).savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _downloads(ablation: Ablation, png: bytes | None) -> None:
    stem = f"ablation-{ablation.metric.replace('/', '_')}"
    files: list[tuple[str, str | bytes, str, str]] = [
        ("Markdown", render_markdown(ablation), "md", "text/markdown"),
        ("CSV", render_csv(ablation), "csv", "text/csv"),
        ("JSON", render_json(ablation), "json", "application/json"),
        ("LaTeX", render_latex(ablation), "tex", "application/x-tex"),
    ]
    if png is not None:
        files.append(("PNG", png, "png", "image/png"))
    for column, (label, content, suffix, mime) in zip(st.columns(5), files, strict=False):
        column.download_button(
            label, content, file_name=f"{stem}.{suffix}", mime=mime, on_click="ignore"
        )
