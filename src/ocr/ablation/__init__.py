"""Ablation studies from the run folders: collect runs, compare groups, render, plot.

Everything is read offline from what each run folder holds (its saved config
and overrides, its record, its checkpoints' sidecars, its metric history);
legacy runs take part through ``ocr.compat``. Nothing is written into a run.
Three calls make a study (what ``ocr ablation`` and the UI do)::

    runs = collect_runs(["outputs"], selection=RunSelection(sweep="2025-10-18/14-05-00"))
    ablation = analyse(runs, metric="val/hmean")  # factors detected, seeds are repeats
    print(render_markdown(ablation))
    plot_ablation(ablation, Path("ablation.png"))

Rendering the terminal table needs ``rich`` and plotting ``matplotlib``
(``pip install 'ocr[ablation]'``); each is imported only when used. The JSON shape and the legacy metric-name table are documented in
docs/ablation.md.

>>> from pathlib import Path
>>> analyse([AblationRun(name="a", run_dir=Path("a"), root=Path())], metric="val/hmean")
Traceback (most recent call last):
...
ocr.errors.AblationKeyError: no selected run logged the metric 'val/hmean' (they logged no metric at all). Choose a logged metric with --metric, e.g. val/hmean
"""

from __future__ import annotations

from ocr.ablation._analysis import DEFAULT_METRIC, DEFAULT_SEED_KEY, analyse, default_mode
from ocr.ablation._collect import collect_runs
from ocr.ablation._config import ConfigValue, flatten_config
from ocr.ablation._history import MetricHistory, MetricPoint, Mode
from ocr.ablation._json import JSON_SCHEMA_VERSION, ablation_json
from ocr.ablation._metric_names import LEGACY_METRIC_NAMES, trainer_metric_name
from ocr.ablation._plot import ablation_figure, plot_ablation
from ocr.ablation._render import render_csv, render_json, render_latex, render_markdown
from ocr.ablation._result import (
    Ablation,
    Comparison,
    FactorEffect,
    GroupResult,
    RunOutcome,
    ValueKind,
)
from ocr.ablation._run import AblationRun, HistorySource
from ocr.ablation._select import RunSelection
from ocr.ablation._stats import Summary
from ocr.ablation._terminal import render_table, table_renderables

__all__ = [
    "DEFAULT_METRIC",
    "DEFAULT_SEED_KEY",
    "JSON_SCHEMA_VERSION",
    "LEGACY_METRIC_NAMES",
    "Ablation",
    "AblationRun",
    "Comparison",
    "ConfigValue",
    "FactorEffect",
    "GroupResult",
    "HistorySource",
    "MetricHistory",
    "MetricPoint",
    "Mode",
    "RunOutcome",
    "RunSelection",
    "Summary",
    "ValueKind",
    "ablation_figure",
    "ablation_json",
    "analyse",
    "collect_runs",
    "default_mode",
    "flatten_config",
    "plot_ablation",
    "render_csv",
    "render_json",
    "render_latex",
    "render_markdown",
    "render_table",
    "table_renderables",
    "trainer_metric_name",
]
