"""Did an intervention make a difference? Counts before and after, with a test against chance.

``evaluate_intervention`` counts events in two equal windows of whole months around the month
of the intervention: the ``window_months`` months before it and the ``window_months`` months
after it. **The intervention month itself is in neither window** — it is partly before and
partly after, so counting it on either side would blur the comparison. An intervention on
1 March 2024 with 6-month windows compares September 2023 … February 2024 with
April … September 2024.

The change is tested with :func:`commsafe.measures.significance.change_test` (the exact
conditional binomial test for two Poisson counts; equal windows give equal exposures).

With a ``comparison`` area (a similar place without the intervention) the result also carries
the **weighted displacement difference** (Bowers & Johnson 2003)::

    WDD = (Ta − Tb) − (Ca − Cb)

where T is the treated area, C the comparison area, b before and a after. A negative WDD means
the treated area fell by more (or rose by less) than the comparison area. Its significance test
(Wheeler & Ratcliffe 2018, "A simple weighted displacement difference test to evaluate place
based crime interventions", Crime Science 7:11) treats the four counts as independent Poisson
variables, so ``Var(WDD) = Ta + Tb + Ca + Cb``, ``z = WDD / sqrt(Var)`` and the two-sided
p-value is ``2 · (1 − Φ(|z|))``. (With all four counts zero, WDD = 0 and p = 1.)

Input frames have one row per event with a ``date`` column (or a ``month`` column), or one row
per aggregated count with an extra ``count`` column. ``date`` is used when both are present.
Dates may be ``datetime64`` values, ``date``/``datetime`` objects or text: ISO
(``2024-03-15``, ``2024-03-15T22:10``), ``YYYY-MM`` or UK ``DD/MM/YYYY`` (optionally with a
time).

Which months have data? For event rows, every month from the first to the last event month is
taken as covered (a month in between with no events counted as zero); for aggregated rows (with
``count``), a month is covered only when it has a row (a row with count 0 means zero). Both
windows must be covered in full, otherwise an InputError names the missing months.

Statistics here render nothing except ``paragraph``, which :func:`intervention_paragraph` words
from the numbers already computed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from numbers import Integral, Real

import pandas as pd
from scipy.stats import norm

from commsafe.errors import InputError
from commsafe.findings import p_text
from commsafe.measures.rounding import format_number, pct_change, round_half_away
from commsafe.measures.significance import change_test
from commsafe.measures.trends import missing_months_text
from commsafe.periods import Period, add_months, as_month, month_range

__all__ = [
    "WDD",
    "InterventionResult",
    "InterventionWindows",
    "evaluate_intervention",
    "intervention_paragraph",
    "month_of_rows",
    "weighted_displacement_difference",
]

_WHERE = "evaluate_intervention"
_YM_RE = re.compile(r"\d{4}-\d{2}")
_UK_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class InterventionWindows:
    """The two windows compared: whole months, the intervention month in neither."""

    intervention: date
    before: Period
    after: Period


@dataclass(frozen=True)
class WDD:
    """Weighted displacement difference against a comparison area, with its z test."""

    treated_before: int
    treated_after: int
    comparison_before: int
    comparison_after: int
    wdd: int
    variance: int
    z: float
    p_value: float
    significant: bool

    @property
    def comparison_pct_change(self) -> float | None:
        """Percentage change in the comparison area (None when it had nothing before)."""
        return pct_change(self.comparison_before, self.comparison_after)


@dataclass(frozen=True)
class InterventionResult:
    """Counts in the windows before and after, the exact test, the WDD and a paragraph."""

    before: int
    after: int
    change: int
    pct_change: float | None
    p_value: float
    significant: bool
    words: str
    window: InterventionWindows
    wdd: WDD | None
    paragraph: str


# --------------------------------------------------------------------------- input


def _row_name(frame: pd.DataFrame, position: int) -> str:
    return f"row {position + 1} (index {frame.index[position]!r})"


def _parse_date(value: object) -> date | None:
    """The date in ``value``, or None when it is missing or cannot be read."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return None if pd.isna(value) else date(value.year, value.month, value.day)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _YM_RE.fullmatch(text):
            try:
                return as_month(text)
            except InputError:
                return None
        uk = _UK_RE.fullmatch(text)
        if uk:
            try:
                return date(int(uk.group(3)), int(uk.group(2)), int(uk.group(1)))
            except ValueError:
                return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed.date()
    return None


def month_of_rows(frame: pd.DataFrame, column: str, where: str) -> list[date]:
    """The month (first of the month) of each row's ``column``, in row order.

    InputError naming the first row whose value is missing or is not a date.
    """
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        missing = series.isna().to_numpy()
        if missing.any():
            position = int(missing.argmax())
            raise InputError(f"{where}: {_row_name(frame, position)} has no {column!r}. "
                             f"Fix: give every row a {column}, or drop the rows without one.")
        return [date(int(y), int(m), 1)
                for y, m in zip(series.dt.year, series.dt.month, strict=True)]
    months = []
    for position, value in enumerate(series.tolist()):
        parsed = _parse_date(value)
        if parsed is None:
            raise InputError(
                f"{where}: {_row_name(frame, position)}, column {column!r}, value "
                f"{value!r} is not a date. Fix: use YYYY-MM-DD (e.g. 2024-03-15), "
                "DD/MM/YYYY or YYYY-MM, and give every row a date.")
        months.append(date(parsed.year, parsed.month, 1))
    return months


def _row_counts(frame: pd.DataFrame, where: str) -> list[int]:
    fix = "Fix: give each row the number of events, a whole number ≥ 0."
    counts = []
    for position, value in enumerate(frame["count"].tolist()):
        name = _row_name(frame, position)
        if isinstance(value, bool) or not isinstance(value, Real):
            raise InputError(f"{where}: {name}, column 'count', value {value!r} is not a "
                             f"number. {fix}")
        if isinstance(value, Integral):
            count = int(value)
        else:
            number = float(value)
            if not math.isfinite(number) or not number.is_integer():
                raise InputError(f"{where}: {name}, column 'count', value {value!r} is not a "
                                 f"whole number. {fix}")
            count = int(number)
        if count < 0:
            raise InputError(f"{where}: {name}, column 'count', value {count} is negative. {fix}")
        counts.append(count)
    return counts


def _monthly(frame: pd.DataFrame, what: str) -> tuple[dict[date, int], set[date]]:
    """Counts by month and the months with data (see the module docstring)."""
    where = f"{_WHERE} ({what})"
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}. "
                         "Fix: pass a table with a 'date' (or 'month') column.")
    column = "date" if "date" in frame.columns else "month" if "month" in frame.columns else None
    if column is None:
        raise InputError(f"{where}: the table needs a 'date' or 'month' column; it has "
                         f"{', '.join(map(str, frame.columns)) or 'no columns'}. "
                         "Fix: rename the column holding the event date to 'date'.")
    if len(frame) == 0:
        raise InputError(f"{where}: there are no events at all (the table has no rows). "
                         "Fix: pass the events (or monthly counts) of the area.")
    months = month_of_rows(frame, column, where)
    aggregated = "count" in frame.columns
    counts = _row_counts(frame, where) if aggregated else [1] * len(months)
    by_month: dict[date, int] = {}
    for month, count in zip(months, counts, strict=True):
        by_month[month] = by_month.get(month, 0) + count
    covered = set(by_month) if aggregated else set(month_range(min(months), max(months)))
    return by_month, covered


def _label(start: date, end: date) -> str:
    if start == end:
        return f"{start:%B %Y}"
    if start.year == end.year:
        return f"{start:%B} to {end:%B %Y}"
    return f"{start:%B %Y} to {end:%B %Y}"


def _windows(intervention: date, months: int) -> InterventionWindows:
    m = as_month(intervention)
    b0, b1 = add_months(m, -months), add_months(m, -1)
    a0, a1 = add_months(m, 1), add_months(m, months)
    return InterventionWindows(
        intervention=intervention,
        before=Period(kind="custom", label=_label(b0, b1), start=b0, end=b1),
        after=Period(kind="custom", label=_label(a0, a1), start=a0, end=a1))


def _window_counts(frame: pd.DataFrame, windows: InterventionWindows, what: str
                   ) -> tuple[int, int]:
    by_month, covered = _monthly(frame, what)
    needed = [*windows.before.months(), *windows.after.months()]
    missing = [m for m in needed if m not in covered]
    if missing:
        have = (f"the data runs from {min(covered):%B %Y} to {max(covered):%B %Y}"
                if covered else "there is no data")
        raise InputError(
            f"{_WHERE} ({what}): the windows around the intervention need "
            f"{windows.before.label} (before) and {windows.after.label} (after), but there is "
            f"no data for {missing_months_text(missing)} ({have}). Fix: load the missing "
            "months, or choose a shorter window_months.")
    before = sum(by_month.get(m, 0) for m in windows.before.months())
    after = sum(by_month.get(m, 0) for m in windows.after.months())
    return before, after


def _intervention_date(value: object) -> date:
    parsed = _parse_date(value) if isinstance(value, date | str) else None
    if parsed is None:
        raise InputError(f"{_WHERE}: intervention {value!r} is not a date. Fix: pass a date "
                         "such as date(2024, 3, 1) or '2024-03-01'.")
    return parsed


# --------------------------------------------------------------------------- statistics


def weighted_displacement_difference(treated_before: int, treated_after: int,
                                     comparison_before: int, comparison_after: int, *,
                                     alpha: float = 0.05) -> WDD:
    """WDD = (Ta − Tb) − (Ca − Cb) with the Poisson z test of Wheeler & Ratcliffe (2018).

    Var = Ta + Tb + Ca + Cb, z = WDD / √Var, p two-sided from the standard normal.
    Tb=600, Ta=360, Cb=500, Ca=480 gives WDD = −220, Var = 1940, z = −4.995, p ≈ 5.9e-7.
    """
    counts: list[int] = []
    for value, what in ((treated_before, "treated_before"), (treated_after, "treated_after"),
                        (comparison_before, "comparison_before"),
                        (comparison_after, "comparison_after")):
        if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 0:
            raise InputError(f"weighted_displacement_difference: {what} {value!r} must be a "
                             "whole number ≥ 0. Fix: pass the counts of events.")
        counts.append(int(value))
    tb, ta, cb, ca = counts
    wdd = (ta - tb) - (ca - cb)
    variance = ta + tb + ca + cb
    if variance == 0:
        z, p_value = 0.0, 1.0
    else:
        z = wdd / math.sqrt(variance)
        p_value = float(min(1.0, 2.0 * norm.sf(abs(z))))
    return WDD(treated_before=tb, treated_after=ta, comparison_before=cb,
               comparison_after=ca, wdd=wdd, variance=variance, z=z, p_value=p_value,
               significant=p_value < alpha and wdd != 0)


def evaluate_intervention(events: pd.DataFrame, intervention: date | str, *,
                          window_months: int = 6, comparison: pd.DataFrame | None = None,
                          alpha: float = 0.05, subject: str = "incidents",
                          singular: str | None = None) -> InterventionResult:
    """Counts in the ``window_months`` months before and after the intervention month, tested.

    See the module docstring for the windows (the intervention month is excluded), the input
    columns and the WDD against an optional ``comparison`` area. ``subject``/``singular`` name
    the events in the paragraph ("incidents", "incident").
    """
    day = _intervention_date(intervention)
    if isinstance(window_months, bool) or not isinstance(window_months, Integral) \
            or int(window_months) < 1:
        raise InputError(f"{_WHERE}: window_months {window_months!r} must be a whole number "
                         "≥ 1. Fix: pass e.g. 6.")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < float(alpha) < 1:
        raise InputError(f"{_WHERE}: alpha {alpha!r} must be between 0 and 1 (exclusive). "
                         "Fix: pass e.g. 0.05.")
    windows = _windows(day, int(window_months))
    before, after = _window_counts(events, windows, "events")
    test = change_test(before, after, alpha=float(alpha))
    wdd = None
    if comparison is not None:
        c_before, c_after = _window_counts(comparison, windows, "comparison area")
        wdd = weighted_displacement_difference(before, after, c_before, c_after,
                                               alpha=float(alpha))
    result = InterventionResult(
        before=before, after=after, change=after - before,
        pct_change=pct_change(before, after), p_value=test.p_value,
        significant=test.significant, words=test.words, window=windows, wdd=wdd, paragraph="")
    text = intervention_paragraph(result, subject=subject, singular=singular)
    return replace(result, paragraph=text)


# --------------------------------------------------------------------------- words


def _count_text(count: int, subject: str, singular: str | None) -> str:
    if count == 0:
        return f"no {subject}"
    if count == 1:
        return f"1 {singular or (subject[:-1] if subject.endswith('s') else subject)}"
    return f"{format_number(count)} {subject}"


def _size(pct: float) -> str:
    whole = abs(round_half_away(pct, 0))
    return "less than 1%" if whole == 0 else f"{format_number(whole)}%"


def _chance(p: float, significant: bool, kind: str) -> str:
    if significant:
        likely = "very unlikely" if p < 0.001 else "unlikely"
        return f"{kind} this large is {likely} to be chance ({p_text(p)})"
    return f"{kind} this size could well be chance ({p_text(p)})"


def _change_clause(before: int, after: int, what: str) -> tuple[str, str]:
    """('40% fewer than the 600 …', 'a fall') for a count going from before to after."""
    if after == before:
        return f"the same as {what}", "no change"
    if before == 0:
        return f"up from none {what}", "a rise"
    pct = pct_change(before, after)
    assert pct is not None  # before > 0
    more = "more" if after > before else "fewer"
    return (f"{_size(pct)} {more} than the {format_number(before)} {what}",
            "a rise" if after > before else "a fall")


def intervention_paragraph(result: InterventionResult, *, subject: str = "incidents",
                           singular: str | None = None) -> str:
    """One paragraph in plain words for an ``InterventionResult``.

    "In the 6 months after the intervention on 1 March 2024 (April to September 2024) there
    were 360 incidents, 40% fewer than the 600 in the 6 months before (September 2023 to
    February 2024); a fall this large is very unlikely to be chance (p < 0.001)."
    A comparison area adds how it changed and whether the difference is more than chance.
    """
    w = result.window
    n = len(w.after)
    months = "month" if n == 1 else f"{n} months"
    day = w.intervention
    were = "was" if result.after == 1 else "were"
    clause, kind = _change_clause(result.before, result.after,
                                  f"in the {months} before ({w.before.label})")
    text = (f"In the {months} after the intervention on {day.day} {day:%B %Y} "
            f"({w.after.label}) there {were} {_count_text(result.after, subject, singular)}, "
            f"{clause}")
    if kind == "no change":
        text += f" ({p_text(result.p_value)})."
    else:
        text += f"; {_chance(result.p_value, result.significant, kind)}."
    d = result.wdd
    if d is not None:
        cb, ca = d.comparison_before, d.comparison_after
        if ca == cb:
            moved = f"had the same number of {subject} ({format_number(ca)})"
        elif cb == 0:
            moved = f"went from none to {format_number(ca)}"
        else:
            pct = pct_change(cb, ca)
            assert pct is not None
            direction = "up" if ca > cb else "down"
            moved = (f"went from {format_number(cb)} to {format_number(ca)} "
                     f"({direction} {_size(pct)})")
        if d.wdd == 0:
            net = "allowing for that change, the intervention area changed exactly as expected"
        else:
            fewer = "fewer" if d.wdd < 0 else "more"
            net = (f"allowing for that change, there were {format_number(abs(d.wdd))} {fewer} "
                   f"{subject} than expected in the intervention area")
        text += (f" Over the same months the comparison area {moved}; {net} (weighted "
                 f"displacement difference {format_number(d.wdd)})")
        if d.wdd == 0:
            text += "."
        elif d.significant:
            likely = "very unlikely" if d.p_value < 0.001 else "unlikely"
            text += f", a difference {likely} to be chance ({p_text(d.p_value)})."
        else:
            text += f", a difference that could well be chance ({p_text(d.p_value)})."
    return text
