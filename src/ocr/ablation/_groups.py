"""Groups of runs and their baselines: who is compared with whom, and by how much.

Runs fall into one group per combination of factor values (``8`` and ``8.0``
alike). Each group is compared with its baseline group: the one named by
``--baseline`` (a factor left out keeps the group's own value, so a baseline of
one factor compares within each level of the others), else the first group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr.ablation._config import ConfigValue, format_value, value_kind
from ocr.ablation._factors import group_key
from ocr.ablation._result import Comparison, GroupResult, RunOutcome
from ocr.ablation._stats import Summary, welch_p_value
from ocr.errors import AblationKeyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = ["GroupKey", "baseline_levels", "group_results", "grouped", "values_of"]

GroupKey = tuple[tuple[str, ConfigValue], ...]


def grouped(
    outcomes: Iterable[RunOutcome], values: Callable[[RunOutcome], tuple[ConfigValue, ...]]
) -> dict[GroupKey, list[RunOutcome]]:
    """Outcomes by their values (``8`` and ``8.0`` alike), in table order.

    Args:
        outcomes: The outcomes.
        values: The values an outcome is grouped by.

    Returns:
        Group key -> its outcomes; groups sorted by value (null last).
    """
    groups: dict[GroupKey, list[RunOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault(tuple(map(group_key, values(outcome))), []).append(outcome)
    return dict(sorted(groups.items(), key=lambda item: tuple(map(_order, item[1][0].factors))))


def _order(value: ConfigValue) -> tuple[bool, str, object]:
    kind = value_kind(value) or ""
    plain = value if isinstance(value, int | float | str) else format_value(value)
    return (value is None, kind, plain)


def baseline_levels(
    baseline: Mapping[str, str], factors: Sequence[str], grouped: Mapping[GroupKey, object]
) -> dict[int, tuple[str, ConfigValue]]:
    """The baseline's level of each factor it names.

    Args:
        baseline: Factor key -> value as text.
        factors: The factor keys.
        grouped: The groups.

    Returns:
        Factor index -> the group-key part of its baseline level.

    Raises:
        AblationKeyError: A key is not a factor, or no group has its value.
    """
    levels: dict[int, tuple[str, ConfigValue]] = {}
    for key, text in baseline.items():
        if key not in factors:
            raise AblationKeyError(
                f"--baseline {key}={text}: {key!r} is not a factor of this table"
                f" (factors: {', '.join(factors) or 'none'})",
                fix="Name a factor's key, or choose the factors with --by",
                value=key,
            )
        index = factors.index(key)
        seen = list(dict.fromkeys(group[index] for group in grouped))
        match = next((level for level in seen if _matches(level[1], text)), None)
        if match is None:
            values = ", ".join(format_value(level[1]) for level in seen)
            raise AblationKeyError(
                f"--baseline {key}={text}: no group has this value (values: {values})",
                fix="Give one of the values the table shows",
                value=text,
            )
        levels[index] = match
    return levels


def _matches(value: ConfigValue, text: str) -> bool:
    if format_value(value) == text:
        return True
    if value_kind(value) == "number":
        try:
            return float(text) == value
        except ValueError:
            return False
    return format_value(value) == text.lower() and value_kind(value) in ("boolean", None)


def group_results(
    grouped: Mapping[GroupKey, list[RunOutcome]],
    wanted: Mapping[int, tuple[str, ConfigValue]] | None,
) -> Iterable[GroupResult]:
    """Summarise each group and compare it with its baseline group.

    Args:
        grouped: The groups (:func:`grouped`).
        wanted: The baseline levels (:func:`baseline_levels`); ``None``: the first group.

    Yields:
        The groups' results, in table order.
    """
    first = next(iter(grouped), None)
    for key, outcomes in grouped.items():
        if wanted is None:
            base_key = first
        else:
            base_key = tuple(wanted.get(i, part) for i, part in enumerate(key))
        base = grouped.get(base_key) if base_key is not None else None
        is_baseline = base_key == key
        yield GroupResult(
            factors=outcomes[0].factors,
            summary=Summary.of(values_of(outcomes)),
            runs=tuple(outcomes),
            is_baseline=is_baseline,
            baseline=base[0].factors if base and not is_baseline else None,
            versus_baseline=_compare(outcomes, base) if base and not is_baseline else None,
        )


def _compare(outcomes: Sequence[RunOutcome], base: Sequence[RunOutcome]) -> Comparison:
    values, base_values = values_of(outcomes), values_of(base)
    mean, base_mean = Summary.of(values).mean, Summary.of(base_values).mean
    delta = mean - base_mean
    return Comparison(
        delta=delta,
        delta_pct=100.0 * delta / abs(base_mean) if base_mean else None,
        p_value=welch_p_value(values, base_values),
    )


def values_of(outcomes: Iterable[RunOutcome]) -> list[float]:
    """The values the outcomes contribute."""
    return [outcome.value for outcome in outcomes if outcome.value is not None]
