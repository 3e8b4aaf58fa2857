"""Recording breaks: level shifts in monthly count series.

A *recording break* is a change in how a force records or publishes a crime type, seen as a
step in its monthly count that persists (e.g. "Criminal damage and arson" jumping ten-fold from
one month to the next and staying there). Comparing periods across such a step compares two
recording practices, not two levels of crime, so the step should be known before any trend is.

Method (one series, months in order)
------------------------------------
* A missing month is *absent*, not zero: the scan works on the months present, and a break is
  dated by the first month present at the new level (with a gap at the step, that is the first
  month published after the gap).
* For each candidate split ``k`` leaving at least ``min_side`` months on each side, the Poisson
  likelihood ratio of two rates against one is
  ``LR = 2 * (S1 ln(S1/n1) + S2 ln(S2/n2) - S ln(S/n))`` (``S`` sums, ``n`` months).
* Crime counts are overdispersed (seasonal and week-to-week wobble far beyond Poisson in counts
  of hundreds or thousands), so the LR is divided by an overdispersion factor ``phi``: the
  Pearson chi-square of the counts around the *median* of each side of the split, divided by
  its degrees of freedom ``n - 2``, floored at 1 (the median keeps the level robust; a side
  with median 0 uses 0.5 as the variance). A large isolated spike inflates ``phi`` and so makes
  the test more conservative: it can hide a small step, never create one.
* The split with the largest scaled LR is a break when all of these hold:

  - scaled LR > ``threshold``; by default the chi-square(1) quantile at ``1 - alpha / m``
    with ``alpha = 0.001`` Bonferroni-adjusted for the ``m = n - 2*min_side + 1`` candidate
    splits of the whole series (e.g. about 17.8 for 36 months). The same threshold is used
    when recursing, which is conservative for the shorter segments;
  - the shift is large: after/before per-month mean ``>= min_ratio`` (default 1.5) or
    ``<= 1/min_ratio``;
  - the new level persists: the after/before ratio of the segment *medians* points the same
    way and is as large (``>= min_ratio`` or ``<= 1/min_ratio``). With ``min_side`` months a
    side, a one-month spike cannot pass this.
* Binary segmentation: each side of an accepted break is scanned again, to find several breaks.
  Breaks whose adjacent segments (between the neighbouring breaks) no longer pass the size and
  persistence tests are then dropped, and the rest re-described on their adjacent segments.
* A series with fewer than ``2 * min_side`` months is *too short to test*: no break is returned
  and :func:`recording_breaks` names it in its notes; nothing is guessed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import xlogy
from scipy.stats import chi2

__all__ = [
    "METHOD",
    "Break",
    "RecordingBreak",
    "break_threshold",
    "detect_breaks",
    "method_note",
    "recording_breaks",
]

OUTPUT_COLUMNS = ["force", "category", "month", "before_per_month", "after_per_month", "ratio"]


def method_note(min_side: int = 4, min_ratio: float = 1.5, alpha: float = 0.001) -> str:
    """The method and threshold in one plain sentence, for the parameters given."""
    return (
        "Recording breaks are level shifts found by a Poisson likelihood-ratio scan with binary "
        "segmentation over the months each force published, the ratio scaled down for "
        "overdispersion (Pearson chi-square per degree of freedom around the segment medians, "
        f"at least 1); a break needs at least {min_side} months on each side, a change in "
        f"the monthly mean and median of at least {min_ratio:g}-fold (up or down), a step "
        "across the break itself (the median of the 3 months each side moves at least half "
        "as far, so a steady trend is not a break), and a scaled "
        f"ratio above the chi-square(1) quantile at 1 - {alpha:g} divided by the number of "
        "candidate months (Bonferroni)."
    )


#: the method and its default threshold, in one sentence for an analyst
METHOD = method_note()


@dataclass(frozen=True)
class RecordingBreak:
    """One recording break in a force's series for one category."""

    force: str
    category: str
    month: date  # first month at the new level
    before_per_month: float
    after_per_month: float
    ratio: float
    lr: float  # overdispersion-scaled likelihood ratio on the adjacent segments


class Break(NamedTuple):
    """A break in one series: first month at the new level, adjacent-segment means, statistic."""

    month: date
    before_per_month: float
    after_per_month: float
    ratio: float
    statistic: float


def break_threshold(n_months: int, min_side: int = 4, alpha: float = 0.001) -> float:
    """Chi-square(1) quantile at ``1 - alpha/m``, ``m`` the candidate splits of ``n_months``."""
    m = max(n_months - 2 * min_side + 1, 1)
    return float(chi2.ppf(1.0 - alpha / m, df=1))


def _ratio(before: float, after: float) -> float:
    if before > 0:
        return after / before
    return math.inf if after > 0 else 1.0


def _big(ratio: float, min_ratio: float) -> bool:
    return ratio >= min_ratio or ratio <= 1.0 / min_ratio


def _phi(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson chi-square / df around each side's median, floored at 1."""
    n = a.size + b.size
    if n <= 2:
        return 1.0
    total = 0.0
    for side in (a, b):
        level = float(np.median(side))
        total += float(np.sum((side - level) ** 2) / max(level, 0.5))
    return max(total / (n - 2), 1.0)


def _lr_all(y: np.ndarray, min_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate split positions and their unscaled Poisson LR for segment ``y``."""
    n = y.size
    ks = np.arange(min_side, n - min_side + 1)
    cs = np.cumsum(y)
    s = float(cs[-1])
    s1 = cs[ks - 1]
    s2 = s - s1
    lr = 2.0 * (xlogy(s1, s1 / ks) + xlogy(s2, s2 / (n - ks)) - xlogy(s, s / n))
    return ks, np.maximum(lr, 0.0)


def _split_stats(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """(before mean, after mean, mean ratio, scaled LR) for adjacent segments a | b."""
    n = a.size + b.size
    s1, s2 = float(a.sum()), float(b.sum())
    s = s1 + s2
    raw = 2.0 * float(xlogy(s1, s1 / a.size) + xlogy(s2, s2 / b.size) - xlogy(s, s / n))
    m1, m2 = s1 / a.size, s2 / b.size
    return m1, m2, _ratio(m1, m2), max(raw, 0.0) / _phi(a, b)


def _passes(a: np.ndarray, b: np.ndarray, stat: float, threshold: float, min_ratio: float) -> bool:
    m1, m2 = float(a.mean()), float(b.mean())
    r_mean = _ratio(m1, m2)
    r_med = _ratio(float(np.median(a)), float(np.median(b)))
    same_way = (r_mean > 1) == (r_med > 1)
    # a step, not a trend: across the break itself (median of the 3 months each side) the
    # level moves the same way by at least half the shift (on the log scale), which a steady
    # rise or fall over many months does not do
    local = _ratio(float(np.median(a[-3:])), float(np.median(b[:3])))
    abrupt = (local > 1) == (r_mean > 1) and (
        abs(math.log(local)) >= 0.5 * abs(math.log(r_mean)) if local > 0 and r_mean > 0
        else True)
    return (
        stat > threshold
        and _big(r_mean, min_ratio)
        and _big(r_med, min_ratio)
        and same_way
        and abrupt
    )


def _segment(
    y: np.ndarray, lo: int, hi: int, min_side: int, min_ratio: float, threshold: float,
    found: list[int],
) -> None:
    seg = y[lo:hi]
    if seg.size < 2 * min_side or seg.sum() == 0:
        return
    ks, lr = _lr_all(seg, min_side)
    scaled = np.array([lr[i] / _phi(seg[:k], seg[k:]) for i, k in enumerate(ks)])
    best = int(np.argmax(scaled))
    k = int(ks[best])
    if not _passes(seg[:k], seg[k:], float(scaled[best]), threshold, min_ratio):
        return
    found.append(lo + k)
    _segment(y, lo, lo + k, min_side, min_ratio, threshold, found)
    _segment(y, lo + k, hi, min_side, min_ratio, threshold, found)


def _as_month(value: Any) -> date:
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    ts = pd.Timestamp(str(value))
    return date(ts.year, ts.month, 1)


def detect_breaks(
    months: Sequence[date],
    counts: Sequence[int],
    *,
    min_side: int = 4,
    min_ratio: float = 1.5,
    alpha: float = 0.001,
    threshold: float | None = None,
) -> list[Break]:
    """Recording breaks in one monthly series (see the module docstring for the method).

    ``months`` are the months present (any order, no repeats); a month with no data is left out,
    never given as 0. Returns one :class:`Break` per break, in month order, with the per-month
    means and the scaled LR over the adjacent segments. A series shorter than ``2 * min_side``
    months returns ``[]`` (too short to test). ``threshold`` defaults to
    :func:`break_threshold` for the series length.
    """
    if len(months) != len(counts):
        raise ValueError(f"{len(months)} months but {len(counts)} counts")
    if min_side < 1 or min_ratio <= 1:
        raise ValueError("min_side must be at least 1 and min_ratio above 1")
    pairs = sorted((_as_month(m), c) for m, c in zip(months, counts, strict=True))
    ms = [m for m, _ in pairs]
    if len(set(ms)) != len(ms):
        raise ValueError("a month appears more than once")
    y = np.array([c for _, c in pairs], dtype=float)
    if (y < 0).any() or not np.isfinite(y).all():
        raise ValueError("counts must be finite and not negative")
    n = y.size
    if n < 2 * min_side:
        return []
    thr = break_threshold(n, min_side, alpha) if threshold is None else float(threshold)
    found: list[int] = []
    _segment(y, 0, n, min_side, min_ratio, thr, found)
    cuts = sorted(found)
    # prune breaks that fail on their adjacent segments, until none does
    while True:
        bounds = [0, *cuts, n]
        weakest: int | None = None
        for i, c in enumerate(cuts):
            a, b = y[bounds[i]:c], y[c:bounds[i + 2]]
            stat = _split_stats(a, b)[3]
            if not _passes(a, b, stat, thr, min_ratio):
                weakest = c
                break
        if weakest is None:
            break
        cuts.remove(weakest)
    bounds = [0, *cuts, n]
    out: list[Break] = []
    for i, c in enumerate(cuts):
        m1, m2, ratio, stat = _split_stats(y[bounds[i]:c], y[c:bounds[i + 2]])
        out.append(Break(ms[c], m1, m2, ratio, stat))
    return out


def recording_breaks(frame: pd.DataFrame, **kw: Any) -> tuple[pd.DataFrame, list[str]]:
    """Recording breaks for every force × category series in ``frame``.

    ``frame`` has columns ``force, category, month, count`` (month the 1st of the month, or
    'YYYY-MM'). A force's months are those in which it has any row; a category with no row in
    such a month counts 0 there. ``kw`` go to :func:`detect_breaks`.

    Returns a DataFrame with columns ``force, category, month, before_per_month,
    after_per_month, ratio`` (month 'YYYY-MM', means to 1 dp, ratio to 2 dp) sorted by force,
    category, month, and the notes: first the method and threshold in one sentence, then one per
    force whose series are too short to test. The notes are also in ``attrs['notes']``.
    """
    missing = {"force", "category", "month", "count"} - set(frame.columns)
    if missing:
        raise ValueError(f"recording_breaks needs columns {sorted(missing)}")
    min_side = int(kw.get("min_side", 4))
    notes = [method_note(min_side, float(kw.get("min_ratio", 1.5)),
                         float(kw.get("alpha", 0.001)))]
    rows: list[RecordingBreak] = []
    data = frame[["force", "category", "month", "count"]].copy()
    data["month"] = [_as_month(m) for m in data["month"]]
    for force, part in data.groupby("force", sort=True):
        table = part.pivot_table(index="month", columns="category", values="count",
                                 aggfunc="sum", fill_value=0).sort_index()
        months = list(table.index)
        if len(months) < 2 * min_side:  # every series of the force: one note for them all
            cats = sorted(map(str, table.columns))
            which = ", ".join(cats) if len(cats) <= 3 else f"all {len(cats)} series"
            notes.append(
                f"{force} / {which}: too short to test ({len(months)} months with data; "
                f"at least {2 * min_side} needed), no break reported."
            )
            continue
        for category in sorted(table.columns, key=str):
            counts = [int(v) for v in table[category].to_numpy()]
            for b in detect_breaks(months, counts, **kw):
                rows.append(RecordingBreak(str(force), str(category), b.month,
                                           b.before_per_month, b.after_per_month, b.ratio,
                                           b.statistic))
    out = pd.DataFrame(
        [
            {
                "force": r.force,
                "category": r.category,
                "month": r.month.strftime("%Y-%m"),
                "before_per_month": round(r.before_per_month, 1),
                "after_per_month": round(r.after_per_month, 1),
                "ratio": round(r.ratio, 2),
            }
            for r in rows
        ],
        columns=OUTPUT_COLUMNS,
    )
    out = out.sort_values(["force", "category", "month"], kind="stable").reset_index(drop=True)
    out.attrs["notes"] = list(notes)
    return out, notes
