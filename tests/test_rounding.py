from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsafe.errors import InputError
from commsafe.measures.rounding import (
    format_number,
    format_p_value,
    format_pct,
    format_share,
    pct_change,
    round_half_away,
)

# magnitudes and places where every rounded value has at most 13 significant digits, so
# the float result reproduces the decimal exactly
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
places = st.integers(min_value=0, max_value=6)


@pytest.mark.parametrize(
    ("x", "ndigits", "expected"),
    [
        (57.25, 1, 57.3),
        (2.5, 0, 3.0),
        (-2.5, 0, -3.0),
        (0.5, 0, 1.0),
        (1.5, 0, 2.0),
        (0.125, 2, 0.13),
        (1.005, 2, 1.01),  # binary 1.00499999…: round() gives 1.0
        (2.675, 2, 2.68),  # binary 2.67499999…: round() gives 2.67
        (-1.005, 2, -1.01),
        (51.58924205378973, 1, 51.6),
        (26.732673267326732, 0, 27.0),
        (-4.512126339537507, 0, -5.0),
        (1234.5, -1, 1230.0),
        (1235.0, -1, 1240.0),
        (7.0, 2, 7.0),
    ],
)
def test_round_half_away_known(x: float, ndigits: int, expected: float) -> None:
    assert round_half_away(x, ndigits) == expected


def test_round_half_away_no_negative_zero_and_numpy() -> None:
    assert math.copysign(1.0, round_half_away(-0.4)) == 1.0
    assert math.copysign(1.0, round_half_away(-0.0)) == 1.0
    assert round_half_away(np.float64(0.125), 2) == 0.13
    assert round_half_away(np.int64(3)) == 3.0  # type: ignore[arg-type]
    assert round_half_away(1e300, 2) == 1e300


@pytest.mark.parametrize("bad", [math.nan, math.inf, "1.5", None, True])
def test_round_half_away_rejects(bad: object) -> None:
    with pytest.raises(InputError, match="round_half_away"):
        round_half_away(bad)  # type: ignore[arg-type]


def test_round_half_away_rejects_fractional_ndigits() -> None:
    with pytest.raises(InputError, match="ndigits"):
        round_half_away(1.25, 1.0)  # type: ignore[arg-type]


@given(values, places)
def test_symmetric(x: float, nd: int) -> None:
    assert round_half_away(-x, nd) == -round_half_away(x, nd)


@given(values, places)
def test_idempotent(x: float, nd: int) -> None:
    once = round_half_away(x, nd)
    assert round_half_away(once, nd) == once


@given(values, places)
def test_within_half_a_unit(x: float, nd: int) -> None:
    shown, exact = Decimal(repr(round_half_away(x, nd))), Decimal(repr(x))
    assert abs(shown - exact) <= Decimal("0.5").scaleb(-nd)
    assert shown == shown.quantize(Decimal(1).scaleb(-nd))


@given(values, places)
def test_agrees_with_decimal_round_half_up(x: float, nd: int) -> None:
    expected = Decimal(str(x)).quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)
    assert round_half_away(x, nd) == float(expected)


@given(st.integers(min_value=-10**6, max_value=10**6), places)
def test_exact_ties_go_away_from_zero(n: int, nd: int) -> None:
    # n + 0.5 units of the last place, written as a decimal string
    tie = float(Decimal(2 * n + (1 if n >= 0 else -1)).scaleb(-nd) / 2)
    expected = Decimal(repr(tie)).quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)
    assert abs(round_half_away(tie, nd)) >= abs(tie)
    assert round_half_away(tie, nd) == float(expected)


def test_pct_change() -> None:
    assert pct_change(404, 512) == pytest.approx(26.732673267326732, rel=1e-15)
    assert pct_change(1773, 1693) == pytest.approx(-4.512126339537507, rel=1e-15)
    assert pct_change(200, 229) == 14.5  # exact: (229 - 200) / 200 * 100 in floats is 14.499…
    assert pct_change(4, 3) == -25.0
    assert pct_change(0, 2) is None
    assert pct_change(0, 0) is None
    assert pct_change(None, 3) is None
    assert pct_change(5, math.nan) is None


def test_pct_change_rejects_text() -> None:
    with pytest.raises(InputError, match="pct_change"):
        pct_change("4", 3)  # type: ignore[arg-type]


def test_format_pct_performance_table() -> None:
    # MISSION.md performance table: % change column
    assert format_pct(pct_change(2995, 3038)) == "1%"
    assert format_pct(pct_change(814, 828)) == "2%"
    assert format_pct(pct_change(1773, 1693)) == "-5%"
    assert format_pct(pct_change(404, 512)) == "27%"
    assert format_pct(pct_change(0, 2)) == "No calc"
    assert format_pct(None, missing="") == ""
    assert format_pct(14.5) == "15%"
    assert format_pct(-14.5) == "-15%"
    assert format_pct(-0.4) == "0%"
    assert format_pct(26.73, 1) == "26.7%"


def test_format_number() -> None:
    assert format_number(6330) == "6,330"
    assert format_number(6330, thousands=False) == "6330"
    assert format_number(6330 / 122700 * 1000, 1) == "51.6"
    assert format_number(1.005, 2) == "1.01"
    assert format_number(2.5) == "3"
    assert format_number(-0.04, 1) == "0.0"
    assert format_number(-0.0, 1) == "0.0"
    assert format_number(12, 2) == "12.00"
    assert format_number(1234567.25, 1) == "1,234,567.3"
    assert format_number(None) == ""
    assert format_number(math.nan, missing="n/a") == "n/a"
    with pytest.raises(InputError, match="dp"):
        format_number(1.0, -1)
    with pytest.raises(InputError, match="finite"):
        format_number(math.inf)


def test_format_share() -> None:
    assert format_share(4 / 18) == "22%"
    assert format_share(1 / 18) == "6%"
    assert format_share(0.125) == "13%"
    assert format_share(0.145) == "15%"  # float 0.14499999…; the decimal shown is 0.145
    assert format_share(0.0) == "0%"
    assert format_share(1.0) == "100%"
    assert format_share(0.004) == "<1%"
    assert format_share(0.0004, 1) == "<0.1%"
    assert format_share(0.005) == "1%"
    assert format_share(0.996) == ">99%"
    assert format_share(None) == ""
    with pytest.raises(InputError, match=r"outside 0\.\.1"):
        format_share(22.0)


def test_format_p_value() -> None:
    assert format_p_value(0.00040149952882698317) == "p < 0.001"
    assert format_p_value(0.17962740263214907) == "p = 0.180"
    assert format_p_value(1.0) == "p = 1.000"
    assert format_p_value(0.0005) == "p = 0.001"
    assert format_p_value(0.04, 1) == "p < 0.1"
    with pytest.raises(InputError, match=r"outside 0\.\.1"):
        format_p_value(1.5)
    with pytest.raises(InputError, match="dp"):
        format_p_value(0.5, 0)
