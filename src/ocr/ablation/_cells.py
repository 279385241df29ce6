"""The cells of an ablation's tables as text, shared by every renderer.

Numbers are metric values to 4 decimals, changes signed (``+0.0312``,
``-3.6%``), p-values to 3 significant digits (``< 0.001`` below that). An
unknown value is ``-``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from ocr.ablation._config import format_value

if TYPE_CHECKING:
    from ocr.ablation._config import ConfigValue
    from ocr.ablation._history import MetricPoint
    from ocr.ablation._result import Ablation, FactorEffect, GroupResult, RunOutcome

__all__ = [
    "BASELINE",
    "GROUP_STATS",
    "RUN_STATS",
    "effect_line",
    "exclusion_line",
    "factor_text",
    "group_row",
    "heading",
    "metric_text",
    "noise_line",
    "p_text",
    "run_row",
]

UNKNOWN: Final = "-"
BASELINE: Final = "baseline"
GROUP_STATS: Final = ("n", "mean ± std", "min", "max", "Δ vs baseline", "Δ %", "p (Welch)")
RUN_STATS: Final = ("seed", "status", "best", "epoch", "step", "last")
_BASIS: Final = {
    "all": "",
    "matched": ", where every level ran with the same other factors",
    "confounded": ", confounded: its levels never ran with the same other factors",
}


def metric_text(value: float | None) -> str:
    """A metric value to 4 decimals (``NaN`` as such), ``-`` when unknown."""
    if value is None:
        return UNKNOWN
    if math.isnan(value):
        return "NaN"
    return f"{value:.4f}" if math.isfinite(value) else f"{value:+}".replace("inf", "Infinity")


def p_text(p_value: float | None) -> str:
    """A p-value to 3 significant digits, ``< 0.001`` below that, ``-`` when there is none."""
    if p_value is None:
        return UNKNOWN
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3g}"


def _signed(value: float | None, *, suffix: str = "", digits: int = 4) -> str:
    return UNKNOWN if value is None else f"{value:+.{digits}f}{suffix}"


def factor_text(value: ConfigValue) -> str:
    """A factor's value (null or absent as ``-``)."""
    return UNKNOWN if value is None else format_value(value)


def heading(ablation: Ablation) -> str:
    """One line saying what the table compares."""
    included = sum(1 for outcome in ablation.runs if outcome.is_included)
    factors = ", ".join(ablation.factors) or "none (the runs share their config)"
    return (
        f"{ablation.metric} ({ablation.mode}, {ablation.value} value per run): "
        f"{included} of {len(ablation.runs)} runs in {len(ablation.groups)} group(s); "
        f"factors: {factors}; repeats differ in {ablation.seed_key!r}"
    )


def group_row(group: GroupResult) -> list[str]:
    """A group's cells: its factor values, then :data:`GROUP_STATS`."""
    summary, versus = group.summary, group.versus_baseline
    std = f" ± {summary.std:.4f}" if summary.std is not None else ""
    if group.is_baseline:
        delta, pct, p_value = BASELINE, UNKNOWN, UNKNOWN
    else:
        delta = _signed(versus.delta) if versus else UNKNOWN
        pct = _signed(versus.delta_pct, suffix="%", digits=1) if versus else UNKNOWN
        p_value = p_text(versus.p_value) if versus else UNKNOWN
    return [
        *map(factor_text, group.factors),
        str(summary.n),
        f"{summary.mean:.4f}{std}",
        metric_text(summary.minimum),
        metric_text(summary.maximum),
        delta,
        pct,
        p_value,
    ]


def _when(point: MetricPoint | None) -> tuple[str, str]:
    if point is None:
        return UNKNOWN, UNKNOWN
    epoch = UNKNOWN if point.epoch is None else str(point.epoch)
    return epoch, UNKNOWN if point.step is None else str(point.step)


def run_row(outcome: RunOutcome) -> list[str]:
    """A run's cells: its name, its factor values, then :data:`RUN_STATS`."""
    run = outcome.run
    if run.is_legacy:
        status = f"legacy ({run.era})"
    else:
        status = run.status.value if run.status is not None else "no record"
    best = outcome.best
    return [
        run.name,
        *map(factor_text, outcome.factors),
        factor_text(outcome.seed),
        status,
        metric_text(best.value if best else None),
        *_when(best),
        metric_text(outcome.last.value if outcome.last else None),
    ]


def effect_line(effect: FactorEffect) -> str:
    """What one factor does, in one line."""
    if effect.spread is None:
        return f"{effect.factor}: one level only ({factor_text(effect.best)})"
    line = (
        f"{effect.factor}: best {factor_text(effect.best)}, worst {factor_text(effect.worst)}, "
        f"apart by {effect.spread:.4f} (Welch p {p_text(effect.p_value)})"
    )
    return line + _BASIS[effect.basis]


def noise_line(ablation: Ablation) -> str:
    """The seed noise, in one line."""
    if ablation.noise is None:
        return "noise: unknown (no group has two runs; repeat runs with other seeds)"
    return (
        f"noise: {ablation.noise:.4f} (pooled std of the runs within a group, "
        f"which differ only in {ablation.seed_key!r})"
    )


def exclusion_line(outcome: RunOutcome) -> str:
    """An excluded run and why."""
    return f"{outcome.run.name}: {outcome.exclusion}"
