"""Is a change between two counts more than chance? The exact conditional test for Poisson.

Treat the count ``before`` (exposure eA: period length or population) and ``after``
(exposure eB) as Poisson. Given their total n = before + after, under "no change in rate"
``after`` is Binomial(n, eB / (eA + eB)); with equal exposures the split is 50:50.
The two-sided p-value is ``scipy.stats.binomtest(after, n, p, alternative="two-sided")``,
which sums the probabilities of every outcome no more likely than the one observed (the
"minimum-likelihood" method, with a relative tolerance of 1e-7 for ties) — not twice the
smaller tail. With n = 0 there is no evidence either way and p = 1.

The result keeps the exact p-value as a float; ``words`` is the plain phrase an analyst can
paste ("significant increase", "significant decrease", "no significant change").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Literal

from scipy.stats import binomtest

from commsafe.errors import InputError
from commsafe.measures.intervals import check_count

__all__ = ["ChangeTest", "Direction", "change_test"]

#: the direction of the observed change in rate (count per unit of exposure)
Direction = Literal["increase", "decrease", "no change"]


@dataclass(frozen=True)
class ChangeTest:
    """The outcome of ``change_test``: counts, exact p-value and the plain-words verdict."""

    before: int
    after: int
    p_value: float
    significant: bool
    direction: Direction
    words: str


def _positive(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"change_test: {what} {value!r} is not a number. Fix: pass the period "
                         "length or population as a positive number (default 1).")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"change_test: {what} {number!r} must be a finite number > 0. "
                         "Fix: pass the period length or population (default 1).")
    return number


def change_test(before: int, after: int, *, exposure_before: float = 1.0,
                exposure_after: float = 1.0, alpha: float = 0.05) -> ChangeTest:
    """Two-sided exact test of a change in rate between two Poisson counts.

    ``exposure_*`` scale the expected counts (months in the period, population); only their
    ratio matters. Significant when p < ``alpha``. 404 → 512 gives p = 0.000401…
    ("significant increase"); 1773 → 1693 gives p = 0.180 ("no significant change").
    """
    a = check_count(before, "count 'before'", "change_test")
    b = check_count(after, "count 'after'", "change_test")
    e_a = _positive(exposure_before, "exposure_before")
    e_b = _positive(exposure_after, "exposure_after")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < float(alpha) < 1:
        raise InputError(f"change_test: alpha {alpha!r} must be between 0 and 1 (exclusive). "
                         "Fix: pass e.g. 0.05.")
    n = a + b
    if n == 0:
        p_value = 1.0
    else:
        share = e_b / (e_a + e_b)
        p_value = float(binomtest(b, n, share, alternative="two-sided").pvalue)
    # compare rates b / e_b and a / e_a without dividing
    rate_after, rate_before = b * e_a, a * e_b
    direction: Direction
    if rate_after > rate_before:
        direction = "increase"
    elif rate_after < rate_before:
        direction = "decrease"
    else:
        direction = "no change"
    significant = p_value < float(alpha) and direction != "no change"
    words = f"significant {direction}" if significant else "no significant change"
    return ChangeTest(before=a, after=b, p_value=p_value, significant=significant,
                      direction=direction, words=words)
