from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import poisson

from commsafe.errors import InputError
from commsafe.measures.intervals import (
    check_count,
    poisson_ci,
    rate_ci_per_1000,
    rate_per_1000,
)
from commsafe.measures.rounding import format_number, round_half_away


# Known answers, pinned from scipy 1.17.1 (chi2.ppf) and to 3 dp as published tables show
@pytest.mark.parametrize(
    ("count", "lower", "upper", "lower_3dp", "upper_3dp"),
    [
        (0, 0.0, 3.6888794541139354, 0.0, 3.689),
        (1, 0.025317807984289876, 5.571643390938898, 0.025, 5.572),
        (10, 4.7953886961324335, 18.39035604201778, 4.795, 18.390),
        (100, 81.36399125092314, 121.62679379242638, 81.364, 121.627),
        (6330, 6175.012026563107, 6487.894574806108, 6175.012, 6487.895),
    ],
)
def test_poisson_ci_known(count: int, lower: float, upper: float, lower_3dp: float,
                          upper_3dp: float) -> None:
    lo, hi = poisson_ci(count)
    assert lo == pytest.approx(lower, rel=1e-12, abs=0)
    assert hi == pytest.approx(upper, rel=1e-12)
    assert (round_half_away(lo, 3), round_half_away(hi, 3)) == (lower_3dp, upper_3dp)
    assert isinstance(lo, float) and isinstance(hi, float)


def test_poisson_ci_level() -> None:
    lo, hi = poisson_ci(10, level=0.90)
    assert lo == pytest.approx(5.425405697091295, rel=1e-12)
    assert hi == pytest.approx(16.962219235721903, rel=1e-12)
    wide = poisson_ci(10, level=0.99)
    assert wide[0] < lo and wide[1] > hi


@given(st.integers(min_value=0, max_value=20_000))
def test_poisson_ci_tail_definition(count: int) -> None:
    # Garwood: P(X >= k | lower) = 2.5% and P(X <= k | upper) = 2.5%
    lo, hi = poisson_ci(count)
    assert lo <= count <= hi
    if count > 0:
        assert poisson.sf(count - 1, lo) == pytest.approx(0.025, rel=1e-6)
    assert poisson.cdf(count, hi) == pytest.approx(0.025, rel=1e-6)


@given(st.integers(min_value=0, max_value=5_000))
def test_poisson_ci_increases_with_count(count: int) -> None:
    lo, hi = poisson_ci(count)
    lo2, hi2 = poisson_ci(count + 1)
    assert lo2 > lo and hi2 > hi


@pytest.mark.parametrize(
    ("count", "level", "match"),
    [(-1, 0.95, "negative"), (2.5, 0.95, "whole number"), ("3", 0.95, "not a number"),
     (3, 95, "level"), (3, 0.0, "level"), (3, 1.0, "level"), (math.inf, 0.95, "whole")],
)
def test_poisson_ci_bad_input(count: object, level: float, match: str) -> None:
    with pytest.raises(InputError, match=match):
        poisson_ci(count, level)  # type: ignore[arg-type]


def test_check_count() -> None:
    assert check_count(np.int64(7), "count", "here") == 7
    assert check_count(7.0, "count", "here") == 7
    with pytest.raises(InputError, match="here: count True is not a number"):
        check_count(True, "count", "here")


def test_asb_2011_12_rate() -> None:
    # MISSION.md: ASB 2011/12, 6,330 incidents, 51.6 per 1,000 → population about 122,700
    assert round_half_away(6330 / 122700 * 1000, 1) == 51.6
    rate = rate_per_1000(6330, 122_700)
    assert rate == pytest.approx(51.58924205378973, rel=1e-12)
    assert rate is not None and round_half_away(rate, 1) == 51.6
    assert format_number(rate, 1) == "51.6"


def test_rate_per_1000_missing_population() -> None:
    assert rate_per_1000(10, None) is None
    assert rate_per_1000(10, 0) is None
    assert rate_per_1000(10, -5) is None
    assert rate_per_1000(10, math.nan) is None
    assert rate_per_1000(0, 1000) == 0.0
    assert rate_per_1000(12.5, 1000) == 12.5  # weighted totals need not be whole


@pytest.mark.parametrize(
    ("count", "population", "match"),
    [(-1, 1000, "≥ 0"), (math.nan, 1000, "finite"), ("5", 1000, "not a number"),
     (5, "1000", "population"), (5, math.inf, "infinite")],
)
def test_rate_per_1000_bad_input(count: object, population: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        rate_per_1000(count, population)  # type: ignore[arg-type]


def test_rate_ci_per_1000() -> None:
    lo, hi = rate_ci_per_1000(6330, 122_700)
    assert lo == pytest.approx(6175.012026563107 / 122.7, rel=1e-12)
    assert hi == pytest.approx(6487.894574806108 / 122.7, rel=1e-12)
    assert lo is not None and hi is not None
    assert (round_half_away(lo, 1), round_half_away(hi, 1)) == (50.3, 52.9)
    assert rate_ci_per_1000(10, 1000) == pytest.approx((4.7953886961324335, 18.39035604201778))
    assert rate_ci_per_1000(10, None) == (None, None)
    assert rate_ci_per_1000(10, 0) == (None, None)
    with pytest.raises(InputError, match="level"):
        rate_ci_per_1000(10, None, level=2)
    with pytest.raises(InputError, match="whole number"):
        rate_ci_per_1000(10.5, 1000)  # type: ignore[arg-type]
