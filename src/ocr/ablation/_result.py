"""What an ablation found: typed results for the renderers, the plots and the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ocr.ablation._config import ConfigValue
    from ocr.ablation._effects import EffectBasis
    from ocr.ablation._history import MetricPoint, Mode
    from ocr.ablation._run import AblationRun
    from ocr.ablation._stats import Summary

__all__ = ["Ablation", "Comparison", "FactorEffect", "GroupResult", "RunOutcome", "ValueKind"]

ValueKind = Literal["best", "last"]


@dataclass(frozen=True)
class RunOutcome:
    """One run's result for the ablation's metric.

    Args:
        run: The run.
        factors: Its value of each factor (``None``: null or absent).
        seed: Its value of the seed key.
        best: Its best point of the metric (by the mode), when it logged one.
        last: Its last point of the metric.
        value: The value the aggregates use (``best`` or ``last``).
        exclusion: Why it is kept out of the aggregates; ``None`` when it is in.
    """

    run: AblationRun
    factors: tuple[ConfigValue, ...]
    seed: ConfigValue
    best: MetricPoint | None
    last: MetricPoint | None
    value: float | None
    exclusion: str | None

    @property
    def is_included(self) -> bool:
        """Whether the run counts in its group's aggregates."""
        return self.exclusion is None


@dataclass(frozen=True)
class Comparison:
    """A group against its baseline group.

    Args:
        delta: Its mean minus the baseline's mean.
        delta_pct: ``delta`` as a percentage of the baseline's mean (``None`` when that is 0).
        p_value: Welch's t-test p-value (``None`` unless both groups have n >= 2
            and some spread).
    """

    delta: float
    delta_pct: float | None
    p_value: float | None


@dataclass(frozen=True)
class GroupResult:
    """One group: the runs that share every factor's value.

    Args:
        factors: The group's value of each factor.
        summary: n, mean, std, min and max of its runs' values.
        runs: Its included runs.
        is_baseline: Whether it is the (or a) baseline group.
        baseline: The factor values of the group it is compared with (``None``:
            no such group, or it is a baseline itself).
        versus_baseline: The comparison with that group.
    """

    factors: tuple[ConfigValue, ...]
    summary: Summary
    runs: tuple[RunOutcome, ...]
    is_baseline: bool
    baseline: tuple[ConfigValue, ...] | None
    versus_baseline: Comparison | None


@dataclass(frozen=True)
class FactorEffect:
    """What one factor does, its levels compared like with like (see ``basis``).

    Args:
        factor: The factor's key.
        levels: Each level's value and summary, in table order.
        spread: The best level's mean minus the worst's (by the metric's mode;
            ``None`` with fewer than two levels).
        best: The best level's value.
        worst: The worst level's value.
        p_value: Welch's t-test p-value between the best and the worst level.
        basis: Which runs were compared: ``all``; ``matched`` (only those at
            settings of the other factors where every level ran); or
            ``confounded`` (no such setting: the levels never ran at the same
            values of the other factors).
    """

    factor: str
    levels: tuple[tuple[ConfigValue, Summary], ...]
    spread: float | None
    best: ConfigValue
    worst: ConfigValue
    p_value: float | None
    basis: EffectBasis = "all"


@dataclass(frozen=True)
class Ablation:
    """An ablation table: per-run outcomes, per-group statistics, per-factor effects.

    Args:
        metric: The metric compared (the trainer's name, e.g. ``val/hmean``).
        mode: ``max`` when higher is better, ``min`` when lower is.
        value: Which value of each run counts: its ``best`` or its ``last``.
        factors: The factor keys, in column order.
        seed_key: The key whose runs are repeats of one another.
        baseline: The baseline's values, by factor, as asked for (``None``:
            the first group was taken).
        groups: The groups, in table order.
        effects: One per factor.
        runs: Every selected run, included or not.
        noise: The pooled standard deviation within groups (the seed noise),
            when some group has two runs.
        notes: Remarks for the reader (a sweep still running, the baseline chosen).
    """

    metric: str
    mode: Mode
    value: ValueKind
    factors: tuple[str, ...]
    seed_key: str
    baseline: tuple[tuple[str, str], ...] | None
    groups: tuple[GroupResult, ...]
    effects: tuple[FactorEffect, ...]
    runs: tuple[RunOutcome, ...]
    noise: float | None
    notes: tuple[str, ...]

    @property
    def excluded(self) -> tuple[RunOutcome, ...]:
        """The runs kept out of the aggregates, with their reasons."""
        return tuple(outcome for outcome in self.runs if not outcome.is_included)
