"""The analysis: each run's value, groups by every factor but the seed, baselines, effects.

Per run: the best value of the metric (by its mode), the last one, and the
epoch and step of the best. Failed, interrupted and still running runs, runs
whose files could not be read and runs without a finite value are listed with
the reason and kept out of every aggregate. Per group: n, mean, std, min, max
and the change against its baseline group, with Welch's t-test where both
groups have n >= 2.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Final

from ocr.ablation._effects import factor_effect
from ocr.ablation._factors import (
    FactorChoice,
    check_factor_types,
    check_keys,
    detect_factors,
    nearest_keys,
)
from ocr.ablation._groups import baseline_levels, group_results, grouped, values_of
from ocr.ablation._history import MetricPoint, Mode, best_point
from ocr.ablation._result import Ablation, GroupResult, RunOutcome
from ocr.ablation._stats import pooled_std
from ocr.errors import AblationKeyError, AblationSelectionError
from ocr.registry import Status

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ocr.ablation._result import ValueKind
    from ocr.ablation._run import AblationRun

__all__ = ["DEFAULT_METRIC", "DEFAULT_SEED_KEY", "analyse", "default_mode"]

DEFAULT_METRIC: Final = "val/hmean"
DEFAULT_SEED_KEY: Final = "seed"
_LOWER_IS_BETTER: Final = ("loss", "error")
_FEW_REPEATS: Final = 2


def default_mode(metric: str) -> Mode:
    """``min`` for a loss or error, ``max`` for anything else.

    >>> default_mode("val/loss"), default_mode("val/hmean")
    ('min', 'max')
    """
    return "min" if any(word in metric.lower() for word in _LOWER_IS_BETTER) else "max"


def analyse(
    runs: Sequence[AblationRun],
    *,
    metric: str | None = None,
    mode: Mode | None = None,
    value: ValueKind = "best",
    by: Sequence[str] | None = None,
    seed_key: str | None = None,
    baseline: Mapping[str, str] | None = None,
) -> Ablation:
    """Analyse the runs of an ablation.

    Args:
        runs: The runs (:func:`ocr.ablation.collect_runs`).
        metric: The metric; defaults to the one most runs' checkpointing
            watched, else ``val/hmean``.
        mode: ``max`` or ``min``; defaults to :func:`default_mode` of the metric.
        value: Aggregate each run's ``best`` or ``last`` value.
        by: The factor keys; detected when ``None`` (docs/ablation.md).
        seed_key: The key in which repeats of one run differ; ``seed`` when
            ``None`` (a seed key given must be in some run's config).
        baseline: Factor key -> value (as text) of the baseline group; keys left
            out keep each group's own value. ``None``: the first group.

    Returns:
        The ablation.

    Raises:
        AblationSelectionError: ``runs`` is empty.
        AblationKeyError: No run logged the metric, a ``by`` key or the given
            seed key is in no config, or the baseline names no factor or no group.
        AblationTypeError: The runs disagree on the type of a factor's value.
    """
    if not runs:
        raise AblationSelectionError(
            "no runs selected", fix="Check the roots and the selection (ocr registry list)"
        )
    metric = metric or _default_metric(runs)
    _check_metric(runs, metric)
    mode = mode or default_mode(metric)
    seed = _seed_key(runs, seed_key)
    choice = _factor_choice(runs, by, seed)
    factors = choice.factors
    outcomes = tuple(
        _outcome(run, factors=factors, seed_key=seed, metric=metric, mode=mode, value=value)
        for run in runs
    )
    included = [outcome for outcome in outcomes if outcome.is_included]
    by_factors = grouped(included, lambda outcome: outcome.factors)
    wanted = baseline_levels(baseline, factors, by_factors) if baseline else None
    groups = tuple(group_results(by_factors, wanted))
    return Ablation(
        metric=metric,
        mode=mode,
        value=value,
        factors=factors,
        seed_key=seed,
        baseline=tuple(baseline.items()) if baseline else None,
        groups=groups,
        effects=tuple(factor_effect(i, key, included, mode) for i, key in enumerate(factors)),
        runs=outcomes,
        noise=pooled_std([values_of(group.runs) for group in groups]),
        notes=tuple(_notes(outcomes, groups, choice, baseline_given=baseline is not None)),
    )


def _seed_key(runs: Sequence[AblationRun], asked: str | None) -> str:
    """The seed key: the one asked for (which some run's config must have), else ``seed``."""
    if asked is None:
        return DEFAULT_SEED_KEY
    check_keys(runs, [asked], option="--seed-key")
    return asked


def _factor_choice(
    runs: Sequence[AblationRun], by: Sequence[str] | None, seed_key: str
) -> FactorChoice:
    """The factors asked for (each in some run's config), else those detected; one type each."""
    choice = FactorChoice(tuple(by)) if by is not None else detect_factors(runs, seed_key=seed_key)
    check_keys(runs, choice.factors, option="--by")
    check_factor_types(runs, choice.factors)
    return choice


def _default_metric(runs: Sequence[AblationRun]) -> str:
    monitors = Counter(run.monitor for run in runs if run.monitor)
    return monitors.most_common(1)[0][0] if monitors else DEFAULT_METRIC


def _check_metric(runs: Sequence[AblationRun], metric: str) -> None:
    logged = {name for run in runs for name in run.history.metrics}
    if metric in logged:
        return
    near = nearest_keys(metric, logged) or sorted(logged)[:5]
    hint = f" (nearest: {', '.join(near)})" if near else " (they logged no metric at all)"
    raise AblationKeyError(
        f"no selected run logged the metric {metric!r}{hint}",
        fix="Choose a logged metric with --metric, e.g. val/hmean",
        value=metric,
    )


def _outcome(
    run: AblationRun,
    *,
    factors: Sequence[str],
    seed_key: str,
    metric: str,
    mode: Mode,
    value: ValueKind,
) -> RunOutcome:
    points = run.history.points(metric)
    best, last = best_point(points, mode), (points[-1] if points else None)
    chosen = best if value == "best" else last
    return RunOutcome(
        run=run,
        factors=tuple(run.config.get(key) for key in factors),
        seed=run.config.get(seed_key),
        best=best,
        last=last,
        value=chosen.value if chosen is not None else None,
        exclusion=_exclusion(run, metric, points, chosen),
    )


def _exclusion(
    run: AblationRun, metric: str, points: Sequence[MetricPoint], chosen: MetricPoint | None
) -> str | None:
    if run.problems:
        more = f" (and {len(run.problems) - 1} more)" if len(run.problems) > 1 else ""
        return f"unreadable: {run.problems[0]}{more}"
    if run.status is Status.RUNNING:
        return "still running"
    if run.status in (Status.FAILED, Status.INTERRUPTED):
        return f"{run.status.value}: {run.error or 'no error text recorded'}"
    if not points:
        return f"logged no {metric}"
    if chosen is None or not math.isfinite(chosen.value):
        return f"{metric} is not a number (diverged)"
    return None


def _notes(
    outcomes: Sequence[RunOutcome],
    groups: Sequence[GroupResult],
    choice: FactorChoice,
    *,
    baseline_given: bool,
) -> Iterable[str]:
    if groups and not baseline_given and len(groups) > 1:
        yield "baseline: the first group; choose another with --baseline KEY=VALUE"
    for follower, factor in choice.followers.items():
        yield f"{follower} is not a column: it splits the runs as {factor} does"
    if len(groups) > 1 and max(group.summary.n for group in groups) == _FEW_REPEATS:
        yield (
            "two runs per group leave Welch's test about one degree of freedom: only a "
            "difference many times the noise reaches p < 0.05; more seeds per group sharpen it"
        )
    running = Counter(o.run.sweep_id for o in outcomes if o.run.status is Status.RUNNING)
    for sweep, count in sorted(running.items(), key=lambda item: str(item[0])):
        if sweep is None:
            yield f"{count} run(s) outside any sweep still running"
            continue
        jobs = sum(1 for outcome in outcomes if outcome.run.sweep_id == sweep)
        yield f"sweep {sweep} is still running: {jobs - count} of its {jobs} selected jobs finished"
    legacy = sum(1 for outcome in outcomes if outcome.run.is_legacy)
    if legacy:
        yield f"{legacy} legacy run(s) read through ocr.compat, metric names mapped (docs/ablation.md)"
