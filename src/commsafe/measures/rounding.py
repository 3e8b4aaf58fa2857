"""Rounding and display helpers: half away from zero, on the decimal figure shown.

Analysts check published figures against the decimal number they see (in Excel, in last
year's report), so rounding works on the shortest decimal string that reproduces the float
(``repr``), not on the binary value behind it: ``1.005`` rounds to ``1.01`` at 2 dp (the
binary value is 1.00499999999999989…, which Python's ``round`` takes to ``1.0``) and
``57.25`` to ``57.3`` (Python's ``round`` uses round-half-even and gives ``57.2``).
Ties go away from zero (``decimal.ROUND_HALF_UP``): 2.5 → 3, -2.5 → -3.

Measures keep exact floats; only the ``format_*`` helpers here produce strings.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from numbers import Real

from commsafe.errors import InputError

__all__ = [
    "format_number",
    "format_p_value",
    "format_pct",
    "format_share",
    "pct_change",
    "round_half_away",
    "whole_pct_change",
]


def _real(x: object, what: str, where: str) -> float:
    """``x`` as a finite float, or InputError naming ``what`` and ``where``."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise InputError(f"{where}: {what} {x!r} is not a number. Fix: pass an int or float.")
    value = float(x)
    if not math.isfinite(value):
        raise InputError(f"{where}: {what} is {value!r}. Fix: pass a finite number "
                         "(treat missing values before rounding).")
    return value


def _missing(x: object) -> bool:
    """True for None and NaN (pandas' missing value)."""
    return x is None or (isinstance(x, Real) and not isinstance(x, bool)
                         and math.isnan(float(x)))


def _quantize(d: Decimal, ndigits: int) -> Decimal:
    """``d`` rounded half away from zero to ``ndigits`` decimal places (negative: tens…)."""
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -ndigits:
        q = d  # already has no more decimal places than asked
    else:
        with localcontext() as ctx:
            ctx.prec = max(28, d.adjusted() + ndigits + 2)
            q = d.quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)
    return q if q else abs(q)  # no negative zero


def round_half_away(x: float, ndigits: int = 0) -> float:
    """``x`` rounded half away from zero to ``ndigits`` places, on its decimal ``repr``.

    0.125 → 0.13 (2 dp), 57.25 → 57.3 (1 dp), 1.005 → 1.01 (2 dp), -2.5 → -3.
    A result of zero is +0.0. ``ndigits`` may be negative (-1 rounds to tens).
    """
    value = _real(x, "value", "round_half_away")
    if isinstance(ndigits, bool) or not isinstance(ndigits, int):
        raise InputError(f"round_half_away: ndigits {ndigits!r} is not a whole number. "
                         "Fix: pass an int such as 0 or 1.")
    return float(_quantize(Decimal(repr(value)), ndigits)) + 0.0


def pct_change(before: float | None, after: float | None) -> float | None:
    """Percentage change from ``before`` to ``after`` (404 → 512 gives 26.73…).

    Exact (computed with fractions, one final rounding to float). None when ``before`` is 0
    (no base to compare with) or either value is missing (None or NaN).
    """
    if _missing(before) or _missing(after):
        return None
    b = _real(before, "before", "pct_change")
    a = _real(after, "after", "pct_change")
    if b == 0:
        return None
    return float((Fraction(a) - Fraction(b)) * 100 / Fraction(b))


def whole_pct_change(before: float | None, after: float | None) -> int | None:
    """:func:`pct_change` as a whole number, rounded half away from zero (404 → 512 gives
    27); None when there is no base."""
    pct = pct_change(before, after)
    return None if pct is None else int(round_half_away(pct))


def _dp(dp: object, where: str) -> int:
    if isinstance(dp, bool) or not isinstance(dp, int) or dp < 0:
        raise InputError(f"{where}: dp {dp!r} must be a whole number ≥ 0. Fix: pass e.g. 0 or 1.")
    return dp


def _fixed(d: Decimal, dp: int, thousands: bool) -> str:
    q = _quantize(d, dp)
    return f"{q:,.{dp}f}" if thousands else f"{q:.{dp}f}"


def format_number(x: float | None, dp: int = 0, *, thousands: bool = True,
                  missing: str = "") -> str:
    """``x`` as text with ``dp`` decimals, rounded half away: 6330 → '6,330', 51.589 → '51.6'.

    ``thousands=False`` drops the comma separators. None or NaN gives ``missing``.
    Never shows '-0': a value that rounds to zero is '0'.
    """
    if _missing(x):
        return missing
    value = _real(x, "value", "format_number")
    return _fixed(Decimal(repr(value)), _dp(dp, "format_number"), thousands)


def format_pct(x: float | None, dp: int = 0, *, missing: str = "No calc") -> str:
    """A percentage (26.73, as from ``pct_change``) as text: '27%', '-5%'.

    Rounded half away from zero. None or NaN (no base) gives ``missing``.
    """
    if _missing(x):
        return missing
    value = _real(x, "percentage", "format_pct")
    return _fixed(Decimal(repr(value)), _dp(dp, "format_pct"), False) + "%"


def format_share(share: float | None, dp: int = 0, *, missing: str = "") -> str:
    """A share of a total (a fraction in 0..1) as a percentage: 4/18 → '22%'.

    Rounded half away from zero on the decimal figure. A non-zero share that would show as
    0% shows '<1%' (at ``dp`` = 1, '<0.1%'); a share below 1 that would show as 100% shows
    '>99%' — never 0% for something that happened, nor 100% for less than all.
    None or NaN gives ``missing``.
    """
    if _missing(share):
        return missing
    value = _real(share, "share", "format_share")
    if not 0 <= value <= 1:
        raise InputError(f"format_share: share {value!r} is outside 0..1. Fix: pass a "
                         "fraction of the total (count / total), not a percentage.")
    places = _dp(dp, "format_share")
    percent = Decimal(repr(value)).scaleb(2)
    text = _fixed(percent, places, False)
    q = _quantize(percent, places)
    unit = Decimal(1).scaleb(-places)
    if value > 0 and q == 0:
        return f"<{unit:f}%"
    if value < 1 and q == 100:
        return f">{Decimal(100) - unit:f}%"
    return text + "%"


def format_p_value(p: float, dp: int = 3) -> str:
    """A p-value as text: 'p = 0.180', or 'p < 0.001' when it would round to zero."""
    value = _real(p, "p-value", "format_p_value")
    if not 0 <= value <= 1:
        raise InputError(f"format_p_value: p-value {value!r} is outside 0..1. "
                         "Fix: pass the p-value from change_test.")
    places = _dp(dp, "format_p_value")
    if places == 0:
        raise InputError("format_p_value: dp 0 would show every p-value as 0 or 1. "
                         "Fix: pass dp ≥ 1 (3 is usual).")
    unit = Decimal(1).scaleb(-places)
    if _quantize(Decimal(repr(value)), places) == 0:
        return f"p < {unit:f}"
    return f"p = {_fixed(Decimal(repr(value)), places, False)}"
