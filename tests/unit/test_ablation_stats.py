"""Summaries, Welch's t-test and the pooled noise, against hand-computed values."""

from __future__ import annotations

import math
import statistics
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.ablation import Summary
from ocr.ablation._stats import pooled_std, student_t_two_sided, welch_p_value

__all__: list[str] = []

# Welch's example 1 on Wikipedia ("Welch's t-test", A1 against A2): t = -2.46,
# dof = 24.99, p = 0.021.
WIKIPEDIA_A1 = [
    27.5,
    21.0,
    19.0,
    23.6,
    17.0,
    17.9,
    16.9,
    20.1,
    21.9,
    22.6,
    23.1,
    19.6,
    19.0,
    21.7,
    21.4,
]
WIKIPEDIA_A2 = [
    27.1,
    22.0,
    20.8,
    23.4,
    23.4,
    23.5,
    25.8,
    22.0,
    24.8,
    20.2,
    21.9,
    22.1,
    22.9,
    20.5,
    24.4,
]
# Values on a grid of 0.001 (metrics are never finer): at 1e-81 scipy's own moments
# lose every digit, and the comparison would test scipy rather than us.
SAMPLES = st.lists(
    st.integers(min_value=-(10**6), max_value=10**6).map(lambda i: i / 1000),
    min_size=2,
    max_size=12,
)


def test_summary_gives_n_mean_sample_std_min_max_when_values_vary() -> None:
    summary = Summary.of([0.80, 0.82, 0.84])

    assert summary.n == 3
    assert summary.mean == pytest.approx(0.82)
    assert summary.std == pytest.approx(0.02)  # sqrt(((-0.02)^2 + 0 + 0.02^2) / (3 - 1))
    assert (summary.minimum, summary.maximum) == (0.80, 0.84)


def test_summary_has_no_std_when_one_value() -> None:
    assert Summary.of([0.5]) == Summary(n=1, mean=0.5, std=None, minimum=0.5, maximum=0.5)


def test_summary_refuses_when_no_values() -> None:
    with pytest.raises(ValueError, match=r"^cannot summarise no values$"):
        Summary.of([])


def test_welch_p_value_matches_hand_computation_when_groups_are_small() -> None:
    # a: mean 0.82, s^2 = 4e-4; b: mean 0.905, s^2 = 5e-5.
    # s_a^2/n_a = 1.3333e-4, s_b^2/n_b = 2.5e-5, sum 1.5833e-4, se = 0.0125831
    # t = -0.085 / 0.0125831 = -6.7551; dof = sum^2 / ((1.3333e-4)^2/2 + (2.5e-5)^2/1) = 2.6350
    # p = 2 * P(T_2.635 < -6.7551) = 0.0098685
    assert welch_p_value([0.80, 0.82, 0.84], [0.90, 0.91]) == pytest.approx(0.0098685, rel=1e-4)


def test_welch_p_value_matches_the_published_example_when_groups_overlap() -> None:
    assert welch_p_value(WIKIPEDIA_A1, WIKIPEDIA_A2) == pytest.approx(0.021378, rel=1e-4)


def test_welch_p_value_stays_exact_when_variances_are_tiny() -> None:
    # a has no spread; b = [0, 0, x]: t = -1 and dof = 2 whatever x is, so p = 2 * P(T_2 < -1).
    assert welch_p_value([0.0, 0.0], [0.0, 0.0, 1.5e-81]) == pytest.approx(0.4226497, rel=1e-6)


def test_welch_p_value_is_one_when_means_are_equal() -> None:
    assert welch_p_value([1.0, 2.0, 3.0], [2.0, 1.0, 3.0]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param([0.5], [0.5, 0.6], id="one-value"),
        pytest.param([], [0.5, 0.6], id="no-value"),
        pytest.param([0.5, 0.5], [0.7, 0.7], id="no-spread"),
    ],
)
def test_welch_p_value_is_none_when_the_test_is_undefined(a: list[float], b: list[float]) -> None:
    assert welch_p_value(a, b) is None


@given(a=SAMPLES, b=SAMPLES)
def test_welch_p_value_agrees_with_scipy_when_both_groups_vary(
    a: list[float], b: list[float]
) -> None:
    from scipy import stats

    p_value = welch_p_value(a, b)
    if p_value is None:
        assert statistics.variance(a) == statistics.variance(b) == 0.0
        return
    with warnings.catch_warnings():  # scipy warns about groups without spread; we compare anyway
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if math.isfinite(expected):
        assert p_value == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert 0.0 <= p_value <= 1.0


@pytest.mark.parametrize(
    ("t", "dof", "p_value"),
    [
        # Two-sided critical values of Student's t tables: P(|T| >= t) = 0.05 and 0.01.
        pytest.param(12.706, 1.0, 0.05, id="dof-1"),
        pytest.param(4.303, 2.0, 0.05, id="dof-2"),
        pytest.param(2.228, 10.0, 0.05, id="dof-10"),
        pytest.param(3.169, 10.0, 0.01, id="dof-10-1pc"),
        pytest.param(1.960, 1e6, 0.05, id="normal"),
        pytest.param(0.0, 3.0, 1.0, id="zero"),
        pytest.param(float("inf"), 3.0, 0.0, id="infinite"),
    ],
)
def test_student_t_two_sided_matches_the_tables_when_looked_up(
    t: float, dof: float, p_value: float
) -> None:
    assert student_t_two_sided(t, dof) == pytest.approx(p_value, abs=2e-4)
    assert student_t_two_sided(-t, dof) == student_t_two_sided(t, dof)


@given(
    t=st.floats(min_value=-50, max_value=50),
    dof=st.floats(min_value=0.5, max_value=1e4),
)
def test_student_t_two_sided_agrees_with_scipy_when_drawn(t: float, dof: float) -> None:
    from scipy.special import stdtr

    expected = 2.0 * float(stdtr(dof, -abs(t)))
    assert student_t_two_sided(t, dof) == pytest.approx(expected, rel=1e-8, abs=1e-300)


def test_pooled_std_weighs_groups_by_their_degrees_of_freedom_when_several() -> None:
    # [1, 3]: s^2 = 2 (1 dof); [10, 10, 13]: s^2 = 3 (2 dof); [7] adds nothing.
    # pooled = sqrt((1 * 2 + 2 * 3) / 3) = sqrt(8 / 3)
    assert pooled_std([[1.0, 3.0], [10.0, 10.0, 13.0], [7.0]]) == pytest.approx(math.sqrt(8 / 3))


def test_pooled_std_is_none_when_no_group_repeats() -> None:
    assert pooled_std([[1.0], [2.0]]) is None
    assert pooled_std([]) is None
