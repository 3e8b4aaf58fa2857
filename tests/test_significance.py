from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsafe.errors import InputError
from commsafe.measures.significance import ChangeTest, change_test


def exact_two_sided(before: int, after: int, share: Fraction = Fraction(1, 2)) -> float:
    """Independent p-value: the sum of Binomial(n, share) probabilities of every outcome no
    more likely than the observed one, in exact rational arithmetic with math.comb."""
    n = before + after
    if n == 0:
        return 1.0
    pmf = [math.comb(n, k) * share**k * (1 - share) ** (n - k) for k in range(n + 1)]
    observed = pmf[after]
    return float(min(Fraction(1), sum(p for p in pmf if p <= observed)))


# Known answers from the MISSION.md performance table (2017/18 → 2018/19), equal exposure.
# p-values pinned from scipy 1.17.1 binomtest(after, before + after, 0.5).
def test_homicides_4_to_3_not_significant() -> None:
    result = change_test(4, 3)
    # 3 and 4 of 7 are the two most likely splits (equal pmf), so no outcome is more likely
    # than the one observed and every probability counts: p = 1
    assert result.p_value == 1.0
    assert result.significant is False
    assert result.direction == "decrease"
    assert result.words == "no significant change"


def test_stalking_404_to_512_significant_increase() -> None:
    result = change_test(404, 512)
    assert result.p_value == pytest.approx(0.00040149952882698317, rel=1e-12)
    assert result.p_value == pytest.approx(exact_two_sided(404, 512), rel=1e-9)
    assert result.significant is True
    assert result.direction == "increase"
    assert result.words == "significant increase"
    assert result == ChangeTest(404, 512, result.p_value, True, "increase",
                                "significant increase")


def test_all_violence_2995_to_3038_not_significant() -> None:
    result = change_test(2995, 3038)
    assert result.p_value == pytest.approx(0.5886954858935873, rel=1e-12)
    assert result.words == "no significant change"
    assert result.direction == "increase"


def test_violence_without_injury_1773_to_1693_not_significant() -> None:
    # A 5% fall (-80) looks like a change, but with 3,466 crimes chance alone moves a count
    # by about sqrt(3466) / 2 ≈ 29 either side of the 1,733 midpoint; 1,693 is 1.36 standard
    # deviations below it, so p ≈ 0.18 > 0.05: not significant.
    result = change_test(1773, 1693)
    assert result.p_value == pytest.approx(0.17962740263214907, rel=1e-12)
    assert result.p_value == pytest.approx(exact_two_sided(1773, 1693), rel=1e-9)
    assert result.significant is False
    assert result.direction == "decrease"
    assert result.words == "no significant change"


def test_violence_with_injury_814_to_828() -> None:
    result = change_test(814, 828)
    assert result.p_value == pytest.approx(0.748360490413178, rel=1e-12)
    assert result.words == "no significant change"


def test_unlawful_driving_0_to_2() -> None:
    result = change_test(0, 2)
    assert result.p_value == 0.5
    assert result.words == "no significant change"
    assert result.direction == "increase"


def test_zero_to_zero_is_p_one() -> None:
    result = change_test(0, 0)
    assert result.p_value == 1.0
    assert result.direction == "no change"
    assert result.words == "no significant change"


def test_significant_decrease() -> None:
    result = change_test(512, 404)
    assert result.words == "significant decrease"
    assert result.p_value == pytest.approx(0.00040149952882698317, rel=1e-12)


def test_alpha() -> None:
    assert change_test(1773, 1693, alpha=0.2).words == "significant decrease"
    assert change_test(404, 512, alpha=0.0004).words == "no significant change"


def test_exposure_population_growth() -> None:
    # the count grew 10% and so did the population: no change in rate
    same_rate = change_test(1000, 1100, exposure_before=100_000, exposure_after=110_000)
    assert same_rate.direction == "no change"
    assert same_rate.significant is False
    assert same_rate.p_value > 0.9
    # the same counts over equal populations are a 10% rise
    assert change_test(1000, 1100).significant is True


def test_exposure_matches_exact_binomial() -> None:
    # 6 months before, 12 months after: under H0 after | n ~ Binomial(n, 2/3)
    result = change_test(30, 40, exposure_before=6, exposure_after=12)
    assert result.direction == "decrease"  # 5 a month → 3.33 a month
    assert result.p_value == pytest.approx(exact_two_sided(30, 40, Fraction(2, 3)), rel=1e-9)


def test_accepts_numpy_and_whole_floats() -> None:
    result = change_test(np.int64(404), 512.0)  # type: ignore[arg-type]
    assert result.before == 404 and isinstance(result.before, int)
    assert result.after == 512 and isinstance(result.after, int)
    assert isinstance(result.p_value, float)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"before": -1, "after": 3}, "negative"),
        ({"before": 4.5, "after": 3}, "not a whole number"),
        ({"before": 4, "after": math.nan}, "not a whole number"),
        ({"before": "4", "after": 3}, "not a number"),
        ({"before": True, "after": 3}, "not a number"),
        ({"before": 4, "after": 3, "exposure_before": 0}, "exposure_before"),
        ({"before": 4, "after": 3, "exposure_after": -12}, "exposure_after"),
        ({"before": 4, "after": 3, "exposure_after": math.inf}, "exposure_after"),
        ({"before": 4, "after": 3, "alpha": 1.5}, "alpha"),
        ({"before": 4, "after": 3, "alpha": 0}, "alpha"),
    ],
)
def test_bad_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        change_test(**kwargs)  # type: ignore[arg-type]


counts = st.integers(min_value=0, max_value=300)


@given(counts, counts)
def test_agrees_with_exact_sum(before: int, after: int) -> None:
    result = change_test(before, after)
    assert result.p_value == pytest.approx(exact_two_sided(before, after), rel=1e-6)
    assert 0 <= result.p_value <= 1


@given(counts, counts)
def test_symmetric_in_swap(before: int, after: int) -> None:
    forward, backward = change_test(before, after), change_test(after, before)
    assert forward.p_value == pytest.approx(backward.p_value, rel=1e-9)
    assert forward.significant == backward.significant
    if forward.significant:
        assert {forward.words, backward.words} == {"significant increase",
                                                   "significant decrease"}
