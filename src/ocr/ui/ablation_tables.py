"""The Ablation page's choices and tables, from the runs and the ablation's JSON data.

Plain functions (no Streamlit), so the page stays a thin layer and these are
tested on their own. The tables are built from :func:`ocr.ablation.ablation_json`,
the ``--format json`` contract, so the page shows what ``ocr ablation`` prints.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Final

from ocr.ablation import DEFAULT_METRIC

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ocr.ablation import AblationRun

__all__ = [
    "ALL_RUNS",
    "config_key_choices",
    "effect_rows",
    "group_rows",
    "metric_choices",
    "run_rows",
    "sweep_choices",
]

ALL_RUNS: Final = ""
"""The sweep choice that selects no sweep (every run under the roots)."""


def sweep_choices(runs: Sequence[AblationRun]) -> dict[str, str]:
    """The sweeps the runs belong to, as ``{sweep ID: label}``, newest first.

    Args:
        runs: Every run under the roots.

    Returns:
        :data:`ALL_RUNS` first, then each sweep ID with its folder and job count.

    >>> sweep_choices([])
    {'': 'every run under the roots'}
    """
    jobs = Counter(run.sweep_id for run in runs if run.sweep_id)
    folders = {run.sweep_id: run.name.rpartition("/")[0] for run in runs if run.sweep_id}
    ordered = sorted(jobs, key=lambda sweep: folders[sweep], reverse=True)
    choices = {ALL_RUNS: "every run under the roots"}
    for sweep in ordered:
        choices[sweep] = f"{folders[sweep]} ({jobs[sweep]} jobs, sweep {sweep})"
    return choices


def metric_choices(runs: Sequence[AblationRun]) -> list[str]:
    """The metrics the runs logged, in the order ``ocr ablation`` would pick them.

    Args:
        runs: The selected runs.

    Returns:
        The metric names: those checkpointing watched, by how many runs watched
        them, then ``val/hmean`` (the trainer's), then the others in name order.
    """
    watched = Counter(run.monitor for run in runs if run.monitor)
    first = [*(name for name, _ in watched.most_common()), DEFAULT_METRIC]
    logged = sorted({name for run in runs for name in run.history.metrics})
    return list(dict.fromkeys([*(name for name in first if name in logged), *logged]))


def config_key_choices(runs: Sequence[AblationRun]) -> list[str]:
    """Every dotted config key of the runs, those whose values differ first.

    Args:
        runs: The selected runs.

    Returns:
        The keys that vary across the runs (in name order), then the others.
    """
    values: dict[str, set[str]] = {}
    for run in runs:
        for key, value in run.config.items():
            values.setdefault(key, set()).add(repr(value))
    varying = sorted(key for key, seen in values.items() if len(seen) > 1)
    return [*varying, *sorted(key for key in values if key not in varying)]


def group_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per group: its factor values, n, mean, std, min, max and the change.

    Args:
        data: :func:`ocr.ablation.ablation_json` of the ablation.

    Returns:
        Rows for a table, in the ablation's group order.
    """
    rows = []
    for group in data["groups"]:
        versus = group["versus_baseline"] or {}
        rows.append(
            {
                **_factors(group["factors"]),
                "n": group["n"],
                "mean": _float(group["mean"]),
                "std": _float(group["std"]),
                "min": _float(group["min"]),
                "max": _float(group["max"]),
                "Δ vs baseline": None if group["is_baseline"] else _float(versus.get("delta")),
                "Δ %": None if group["is_baseline"] else _float(versus.get("delta_pct")),
                "p (Welch)": _float(versus.get("p_value")),
                "baseline": group["is_baseline"],
            }
        )
    return rows


def effect_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per factor: its best and worst level, how far apart, and the p-value.

    Args:
        data: :func:`ocr.ablation.ablation_json` of the ablation.

    Returns:
        Rows for a table, in factor order.
    """
    return [
        {
            "factor": effect["factor"],
            "best": _text(effect["best"]),
            "worst": _text(effect["worst"]),
            "apart by": _float(effect["spread"]),
            "p (Welch)": _float(effect["p_value"]),
            "compared": effect["basis"],
        }
        for effect in data["effects"]
    ]


def run_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per selected run, included or not, with its best and last value.

    Args:
        data: :func:`ocr.ablation.ablation_json` of the ablation.

    Returns:
        Rows for a table: run, factor values, seed, status, best (epoch, step),
        last, and why a run is kept out of the numbers.
    """
    rows = []
    for run in data["runs"]:
        best, last = run["best"] or {}, run["last"] or {}
        rows.append(
            {
                "run": run["run"],
                **_factors(run["factors"]),
                data["seed_key"]: _text(run["seed"]),
                "status": run["status"] or ("legacy" if run["legacy"] else "no record"),
                "best": _float(best.get("value")),
                "epoch": best.get("epoch"),
                "step": best.get("step"),
                "last": _float(last.get("value")),
                "kept out because": run["exclusion"],
            }
        )
    return rows


def _factors(values: Mapping[str, Any]) -> dict[str, Any]:
    """Factor values as cells: numbers stay numbers (they sort), the rest is text."""
    return {
        key: value
        if isinstance(value, int | float) and not isinstance(value, bool)
        else _text(value)
        for key, value in values.items()
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _float(value: object) -> float | None:
    """A JSON number (non-finite ones are written as text: ``"nan"``, ``"inf"``)."""
    if value is None:
        return None
    return float(value)  # type: ignore[arg-type]
