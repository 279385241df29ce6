"""The statistics of an ablation table: summaries, Welch's t-test and the pooled noise.

Welch's t-test compares two groups without assuming equal variances:
``t = (mean_a - mean_b) / sqrt(s_a^2/n_a + s_b^2/n_b)`` with the
Welch-Satterthwaite degrees of freedom, and a two-sided p-value from Student's t
distribution. That p-value is the regularized incomplete beta function
``I_x(dof/2, 1/2)`` at ``x = dof / (dof + t^2)``, computed here by its continued
fraction (modified Lentz; Press et al., Numerical Recipes, 3rd ed., 6.4), to
1e-8 relative or better (the tests hold it to scipy's): importing scipy for it
would cost ``ocr ablation`` a second or two on every call. The test needs at least two values in each group; when both
groups have no spread at all it is undefined and no p-value is given.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["Summary", "pooled_std", "student_t_two_sided", "welch_p_value"]

_MAX_TERMS: Final = 10_000
_PRECISION: Final = 1e-15


@dataclass(frozen=True)
class Summary:
    """n, mean, sample standard deviation, min and max of some values.

    Args:
        n: How many values.
        mean: Their mean.
        std: Their sample standard deviation (n - 1 in the denominator);
            ``None`` for a single value.
        minimum: The smallest.
        maximum: The largest.
    """

    n: int
    mean: float
    std: float | None
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """Summarise values.

        Args:
            values: At least one finite number.

        Returns:
            The summary.

        Raises:
            ValueError: ``values`` is empty.

        >>> Summary.of([1.0, 2.0, 4.0])
        Summary(n=3, mean=2.3333333333333335, std=1.5275252316519468, minimum=1.0, maximum=4.0)
        """
        if not values:
            raise ValueError("cannot summarise no values")
        std = statistics.stdev(values) if len(values) > 1 else None
        return cls(len(values), statistics.fmean(values), std, min(values), max(values))


def welch_p_value(a: Sequence[float], b: Sequence[float]) -> float | None:
    """The two-sided p-value of Welch's t-test that ``a`` and ``b`` share a mean.

    Args:
        a: One group's values.
        b: The other's.

    Returns:
        The p-value in [0, 1], or ``None`` when a group has fewer than two
        values, or neither group varies (the test is undefined).

    >>> round(welch_p_value([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]), 4)
    0.0213
    """
    if len(a) < 2 or len(b) < 2:
        return None
    var_a, var_b = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    spread = var_a + var_b
    if spread == 0.0:
        return None
    t = (statistics.fmean(a) - statistics.fmean(b)) / math.sqrt(spread)
    # Welch-Satterthwaite, on the shares of the spread: squaring tiny variances underflows.
    share_a, share_b = var_a / spread, var_b / spread
    dof = 1.0 / (share_a**2 / (len(a) - 1) + share_b**2 / (len(b) - 1))
    return student_t_two_sided(t, dof)


def student_t_two_sided(t: float, dof: float) -> float:
    """``P(|T| >= |t|)`` for Student's t distribution with ``dof`` degrees of freedom.

    Args:
        t: The statistic.
        dof: The degrees of freedom (> 0, need not be whole).

    Returns:
        The two-sided p-value.

    >>> round(student_t_two_sided(2.0, 10.0), 6)
    0.073388
    """
    if math.isinf(t):
        return 0.0
    # x and 1 - x each computed directly: near x = 1, 1.0 - x would lose every digit.
    x, rest = dof / (dof + t * t), t * t / (dof + t * t)
    return min(1.0, _regularized_beta(x, rest, dof / 2.0, 0.5))


def _regularized_beta(x: float, rest: float, a: float, b: float) -> float:
    """``I_x(a, b)`` (``rest`` is ``1 - x``), by the continued fraction where it converges fast."""
    if x <= 0.0:
        return 0.0
    if rest <= 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(rest)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(rest, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The incomplete beta function's continued fraction, by the modified Lentz method."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, _MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < _PRECISION:
            return fraction
    return fraction  # not reached for the degrees of freedom of any real table


def pooled_std(groups: Iterable[Sequence[float]]) -> float | None:
    """The noise within groups: the pooled sample standard deviation.

    ``sqrt(sum((n_i - 1) s_i^2) / sum(n_i - 1))`` over the groups with at least
    two values: how far runs that differ only in their seed land apart.

    Args:
        groups: Each group's values.

    Returns:
        The pooled standard deviation, or ``None`` when no group has two values.

    >>> pooled_std([[1.0, 3.0], [10.0, 10.0, 13.0], [7.0]])
    1.632993161855452
    """
    squares, dof = 0.0, 0
    for values in groups:
        if len(values) > 1:
            squares += statistics.variance(values) * (len(values) - 1)
            dof += len(values) - 1
    return math.sqrt(squares / dof) if dof else None
