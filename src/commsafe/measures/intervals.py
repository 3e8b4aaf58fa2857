"""Exact Poisson confidence intervals for counts, and rates per 1,000 population.

The interval is Garwood's (1936) exact interval, from the chi-squared distribution:
lower = χ²(α/2; 2k) / 2 (0 when k = 0) and upper = χ²(1 − α/2; 2k + 2) / 2, where
α = 1 − level. It is conservative: it covers the true mean at least ``level`` of the time.
Values are exact floats; round them for display with ``commsafe.measures.rounding``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from scipy.stats import chi2

from commsafe.errors import InputError

__all__ = ["check_count", "poisson_ci", "rate_ci_per_1000", "rate_per_1000", "rounded_rate"]


def check_count(value: object, what: str, where: str) -> int:
    """``value`` as an int count ≥ 0, or InputError naming ``what`` and ``where``.

    Accepts ints (numpy too) and whole-valued floats such as 4.0 (as pandas gives).
    """
    fix = "Fix: pass the number of recorded events, a whole number ≥ 0."
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{where}: {what} {value!r} is not a number. {fix}")
    if isinstance(value, Integral):
        count = int(value)
    else:
        number = float(value)
        if not math.isfinite(number) or not number.is_integer():
            raise InputError(f"{where}: {what} {number!r} is not a whole number. {fix}")
        count = int(number)
    if count < 0:
        raise InputError(f"{where}: {what} {count} is negative. {fix}")
    return count


def _level(level: object, where: str) -> float:
    if isinstance(level, bool) or not isinstance(level, Real) or not 0 < float(level) < 1:
        raise InputError(f"{where}: level {level!r} must be between 0 and 1 (exclusive). "
                         "Fix: pass e.g. 0.95 for a 95% interval.")
    return float(level)


def poisson_ci(count: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) confidence interval for the mean of a Poisson count.

    poisson_ci(0) = (0.0, 3.689…); poisson_ci(10) = (4.795…, 18.390…).
    """
    k = check_count(count, "count", "poisson_ci")
    alpha = 1.0 - _level(level, "poisson_ci")
    lower = 0.0 if k == 0 else float(chi2.ppf(alpha / 2, 2 * k)) / 2
    upper = float(chi2.ppf(1 - alpha / 2, 2 * k + 2)) / 2
    return lower, upper


def _population(population: float | None, where: str) -> float | None:
    """The population as a float, or None when it is missing (None, NaN) or ≤ 0."""
    if population is None:
        return None
    if isinstance(population, bool) or not isinstance(population, Real):
        raise InputError(f"{where}: population {population!r} is not a number. "
                         "Fix: pass the resident population (e.g. an ONS estimate) or None.")
    value = float(population)
    if math.isnan(value) or value <= 0:
        return None
    if math.isinf(value):
        raise InputError(f"{where}: population is infinite. Fix: pass the resident "
                         "population (e.g. an ONS estimate) or None.")
    return value


def rate_per_1000(count: float, population: float | None) -> float | None:
    """``count`` per 1,000 ``population`` (6,330 over 122,700 gives 51.589…).

    None when the population is None, NaN or ≤ 0: there is no rate, never a division by 0.
    ``count`` may be any finite number ≥ 0 (e.g. a harm-weighted total).
    """
    if isinstance(count, bool) or not isinstance(count, Real):
        raise InputError(f"rate_per_1000: count {count!r} is not a number. "
                         "Fix: pass the number of events.")
    number = float(count)
    if not math.isfinite(number) or number < 0:
        raise InputError(f"rate_per_1000: count {number!r} must be a finite number ≥ 0. "
                         "Fix: pass the number of events.")
    pop = _population(population, "rate_per_1000")
    if pop is None:
        return None
    return number * 1000 / pop


def rounded_rate(count: float, population: float | None, dp: int = 1) -> float | None:
    """:func:`rate_per_1000` rounded half away from zero to ``dp`` places, as published."""
    from commsafe.measures.rounding import round_half_away

    rate = rate_per_1000(count, population)
    return None if rate is None else round_half_away(rate, dp)


def rate_ci_per_1000(count: int, population: float | None, level: float = 0.95,
                     ) -> tuple[float, float] | tuple[None, None]:
    """Exact Poisson confidence interval of the rate per 1,000 population.

    The count's Garwood interval divided by the population (treated as known exactly).
    (None, None) when the population is None, NaN or ≤ 0.
    """
    k = check_count(count, "count", "rate_ci_per_1000")
    confidence = _level(level, "rate_ci_per_1000")
    pop = _population(population, "rate_ci_per_1000")
    if pop is None:
        return None, None
    lower, upper = poisson_ci(k, confidence)
    return lower * 1000 / pop, upper * 1000 / pop
