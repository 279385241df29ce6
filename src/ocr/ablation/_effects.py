"""What one factor does: its levels compared like with like.

A factor's effect averages each of its levels over the other factors, but
only over the settings of the other factors at which every level ran: in a
sweep that tried widths 4, 8 and 16 with one encoder and width 8 alone with
another, the encoders are compared at width 8 only, and the widths with the
first encoder only (``basis`` is ``matched``). Averaging over everything there
would credit an encoder with the widths it happened to be run at. When every
setting has every level, every run counts (``all``); when none does, the
levels never met at the same values of the other factors and the comparison
mixes the two (``confounded``, and the line says so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ocr.ablation._factors import group_key
from ocr.ablation._groups import grouped, values_of
from ocr.ablation._result import FactorEffect
from ocr.ablation._stats import Summary, welch_p_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.ablation._config import ConfigValue
    from ocr.ablation._history import Mode
    from ocr.ablation._result import RunOutcome

__all__ = ["EffectBasis", "factor_effect"]

EffectBasis = Literal["all", "matched", "confounded"]


def factor_effect(
    index: int, factor: str, included: Sequence[RunOutcome], mode: Mode
) -> FactorEffect:
    """The effect of one factor.

    Args:
        index: The factor's position among the factors.
        factor: Its key.
        included: The runs that count.
        mode: ``max`` when higher is better.

    Returns:
        Its levels' summaries, the best and worst level, how far apart they
        are, Welch's p-value between them, and which runs were compared.
    """
    runs, basis = _comparable(index, included)
    levels = grouped(runs, lambda outcome: (outcome.factors[index],))
    summaries = [
        (group[0].factors[index], Summary.of(values_of(group))) for group in levels.values()
    ]
    if len(summaries) < 2:
        only = summaries[0][0] if summaries else None
        return FactorEffect(factor, tuple(summaries), None, only, only, None, basis)
    ranked = sorted(range(len(summaries)), key=lambda i: summaries[i][1].mean)
    best, worst = (ranked[-1], ranked[0]) if mode == "max" else (ranked[0], ranked[-1])
    groups = list(levels.values())
    return FactorEffect(
        factor=factor,
        levels=tuple(summaries),
        spread=abs(summaries[best][1].mean - summaries[worst][1].mean),
        best=summaries[best][0],
        worst=summaries[worst][0],
        p_value=welch_p_value(values_of(groups[best]), values_of(groups[worst])),
        basis=basis,
    )


def _comparable(index: int, included: Sequence[RunOutcome]) -> tuple[list[RunOutcome], EffectBasis]:
    """The runs at settings of the other factors where every level of this one ran."""
    every_level = {group_key(outcome.factors[index]) for outcome in included}
    seen: dict[tuple[tuple[str, ConfigValue], ...], set[tuple[str, ConfigValue]]] = {}
    for outcome in included:
        seen.setdefault(_others(outcome, index), set()).add(group_key(outcome.factors[index]))
    complete = {setting for setting, levels in seen.items() if levels == every_level}
    if len(complete) == len(seen):
        return list(included), "all"
    if not complete:
        return list(included), "confounded"
    return [outcome for outcome in included if _others(outcome, index) in complete], "matched"


def _others(outcome: RunOutcome, index: int) -> tuple[tuple[str, ConfigValue], ...]:
    return tuple(group_key(value) for i, value in enumerate(outcome.factors) if i != index)
