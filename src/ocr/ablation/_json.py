"""The ablation as JSON data: the documented, stable shape of ``--format json``.

The shape is specified in docs/ablation.md and versioned by ``schema_version``;
fields are only ever added. Unknown values are ``null``; a value that is not a
finite number is the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (strict
JSON, as sidecars and records write them). Config values keep their JSON type.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ocr.ablation._config import ConfigValue
    from ocr.ablation._history import MetricPoint
    from ocr.ablation._result import Ablation, Comparison, FactorEffect, GroupResult, RunOutcome
    from ocr.ablation._stats import Summary

__all__ = ["JSON_SCHEMA_VERSION", "ablation_json", "group_json"]

JSON_SCHEMA_VERSION: Final = 1


def ablation_json(ablation: Ablation) -> dict[str, Any]:
    """The ablation as plain JSON data (the ``--format json`` contract).

    Args:
        ablation: The ablation.

    Returns:
        JSON-ready data: ``schema_version``, ``metric``, ``mode``, ``value``,
        ``factors``, ``seed_key``, ``baseline``, ``noise``, ``groups``,
        ``effects``, ``runs``, ``excluded``, ``notes``.
    """
    factors = ablation.factors
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "metric": ablation.metric,
        "mode": ablation.mode,
        "value": ablation.value,
        "factors": list(factors),
        "seed_key": ablation.seed_key,
        "baseline": dict(ablation.baseline) if ablation.baseline else None,
        "noise": _number(ablation.noise),
        "groups": [group_json(group, factors) for group in ablation.groups],
        "effects": [_effect(effect) for effect in ablation.effects],
        "runs": [_run(outcome, factors) for outcome in ablation.runs],
        "excluded": [
            {"run": outcome.run.name, "reason": outcome.exclusion} for outcome in ablation.excluded
        ],
        "notes": list(ablation.notes),
    }


def _number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _config(value: ConfigValue) -> Any:
    if isinstance(value, tuple):
        return [_config(item) for item in value]  # type: ignore[arg-type]
    if isinstance(value, float):
        return _number(value)
    return value


def _by_factor(factors: tuple[str, ...], values: tuple[ConfigValue, ...]) -> dict[str, Any]:
    return {key: _config(value) for key, value in zip(factors, values, strict=True)}


def _summary(summary: Summary) -> dict[str, Any]:
    return {
        "n": summary.n,
        "mean": _number(summary.mean),
        "std": _number(summary.std),
        "min": _number(summary.minimum),
        "max": _number(summary.maximum),
    }


def _comparison(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {
        "delta": _number(comparison.delta),
        "delta_pct": _number(comparison.delta_pct),
        "p_value": _number(comparison.p_value),
    }


def group_json(group: GroupResult, factors: tuple[str, ...]) -> dict[str, Any]:
    """One group as JSON data (an item of ``groups``).

    Args:
        group: The group.
        factors: The ablation's factor keys.

    Returns:
        The group's fields (see docs/ablation.md).
    """
    return {
        "factors": _by_factor(factors, group.factors),
        **_summary(group.summary),
        "is_baseline": group.is_baseline,
        "baseline": _by_factor(factors, group.baseline) if group.baseline is not None else None,
        "versus_baseline": _comparison(group.versus_baseline),
        "runs": [outcome.run.name for outcome in group.runs],
    }


def _effect(effect: FactorEffect) -> dict[str, Any]:
    return {
        "factor": effect.factor,
        "levels": [{"value": _config(value), **_summary(s)} for value, s in effect.levels],
        "spread": _number(effect.spread),
        "best": _config(effect.best),
        "worst": _config(effect.worst),
        "p_value": _number(effect.p_value),
        "basis": effect.basis,
    }


def _point(point: MetricPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"value": _number(point.value), "epoch": point.epoch, "step": point.step}


def _run(outcome: RunOutcome, factors: tuple[str, ...]) -> dict[str, Any]:
    run = outcome.run
    return {
        "run": run.name,
        "run_dir": str(run.run_dir),
        "root": str(run.root),
        "experiment_id": run.experiment_id,
        "sweep_id": run.sweep_id,
        "legacy": run.era,
        "status": run.status.value if run.status is not None else None,
        "error": run.error,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "factors": _by_factor(factors, outcome.factors),
        "seed": _config(outcome.seed),
        "best": _point(outcome.best),
        "last": _point(outcome.last),
        "value": _number(outcome.value),
        "included": outcome.is_included,
        "exclusion": outcome.exclusion,
        "history_source": run.history_source.value,
        "problems": list(run.problems),
    }
