"""Plots of an ablation (matplotlib): the metric against each factor, and learning curves.

One panel per factor: each level's mean with a standard-deviation error bar,
and every run as a dot; the axis is logarithmic when the levels are positive
numbers spanning two decades or more (learning rates). One more panel: each
group's learning curve, the mean over its runs with the min-max band, from
the runs' metric histories. Figures are built without pyplot (no global state,
safe in a server) and imported only when drawn.
"""

from __future__ import annotations

import io
import statistics
from typing import TYPE_CHECKING, Final

from ocr.ablation._cells import factor_text
from ocr.ablation._config import value_kind
from ocr.atomic import atomic_write_bytes

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ocr.ablation._config import ConfigValue
    from ocr.ablation._result import Ablation, GroupResult, RunOutcome

__all__ = ["ablation_figure", "plot_ablation"]

_PANEL_INCHES: Final = (5.0, 3.8)
_LOG_SPAN: Final = 100.0  # levels spanning two decades get a log axis
_MAX_LEGEND: Final = 12


def plot_ablation(ablation: Ablation, path: Path) -> Path:
    """Draw the ablation and write it as a PNG file (atomically).

    Args:
        ablation: The ablation.
        path: The PNG file to write.

    Returns:
        The path written.

    Raises:
        OSError: The file cannot be written.
    """
    buffer = io.BytesIO()
    ablation_figure(ablation).savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def ablation_figure(ablation: Ablation) -> Figure:
    """The ablation's figure: one panel per factor, then the learning curves.

    Args:
        ablation: The ablation.

    Returns:
        A matplotlib figure (for ``st.pyplot``, ``savefig``, ...).
    """
    from matplotlib.figure import Figure  # noqa: PLC0415 (matplotlib is imported only to draw)

    panels = len(ablation.factors) + 1
    figure = Figure(figsize=(_PANEL_INCHES[0] * panels, _PANEL_INCHES[1]), layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    for index, factor in enumerate(ablation.factors):
        _factor_panel(axes[index], ablation, index, factor)
    _curves_panel(axes[-1], ablation)
    figure.suptitle(f"{ablation.metric} ({ablation.value} per run, {ablation.mode} is better)")
    return figure


def _factor_panel(axes: Axes, ablation: Ablation, index: int, factor: str) -> None:
    effect = ablation.effects[index]
    levels = [value for value, _ in effect.levels]
    numeric = bool(levels) and all(value_kind(v) == "number" for v in levels)
    xs = [float(v) for v in levels] if numeric else list(range(len(levels)))  # type: ignore[arg-type]
    means = [summary.mean for _, summary in effect.levels]
    errors = [summary.std or 0.0 for _, summary in effect.levels]
    axes.errorbar(xs, means, yerr=errors, fmt="o-", capsize=4, label="mean ± std")
    position = dict(zip(map(_level_key, levels), xs, strict=True))
    dots = [
        (position[_level_key(outcome.factors[index])], outcome.value)
        for outcome in ablation.runs
        if outcome.is_included and outcome.value is not None
    ]
    if dots:
        axes.scatter(
            [x for x, _ in dots], [y for _, y in dots], s=14, alpha=0.5, color="k", label="runs"
        )
    if numeric and min(xs) > 0 and max(xs) / min(xs) >= _LOG_SPAN:
        axes.set_xscale("log")
    if not numeric:
        axes.set_xticks(xs, [factor_text(v) for v in levels])
    axes.set_xlabel(factor)
    axes.set_ylabel(ablation.metric)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")


def _level_key(value: ConfigValue) -> tuple[str, ConfigValue]:
    return (value_kind(value) or "null", value)


def _curves_panel(axes: Axes, ablation: Ablation) -> None:
    drawn = 0
    for group in ablation.groups:
        curve = _group_curve(group.runs, ablation.metric)
        if not curve:
            continue
        xs, means, lows, highs = zip(*curve, strict=True)
        label = _group_label(ablation.factors, group) if drawn < _MAX_LEGEND else None
        (line,) = axes.plot(xs, means, label=label)
        axes.fill_between(xs, lows, highs, alpha=0.15, color=line.get_color())
        drawn += 1
    axes.set_xlabel(_curve_axis(ablation))
    axes.set_ylabel(ablation.metric)
    axes.set_title("learning curves (mean, min-max)", fontsize="medium")
    axes.grid(alpha=0.3)
    if drawn:
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no metric history", ha="center", va="center", transform=axes.transAxes)


def _group_label(factors: Sequence[str], group: GroupResult) -> str:
    if not factors:
        return "all runs"
    parts = [
        f"{key.rsplit('.', 1)[-1]}={factor_text(v)}"
        for key, v in zip(factors, group.factors, strict=True)
    ]
    return ", ".join(parts)


def _curve_axis(ablation: Ablation) -> str:
    points = [p for o in ablation.runs for p in o.run.history.points(ablation.metric)]
    return "epoch" if points and all(p.epoch is not None for p in points) else "step"


def _group_curve(
    runs: Sequence[RunOutcome], metric: str
) -> list[tuple[float, float, float, float]]:
    """(x, mean, min, max) over the group's runs at each epoch (else step) any of them logged."""
    at: dict[float, list[float]] = {}
    for outcome in runs:
        for point in outcome.run.history.points(metric):
            x = point.epoch if point.epoch is not None else point.step
            if x is not None:
                at.setdefault(float(x), []).append(point.value)
    return [
        (x, statistics.fmean(values), min(values), max(values)) for x, values in sorted(at.items())
    ]
