"""Counts of one area by category and month, and priority indicators measured against targets.

:class:`AreaMonthly` reads an area's events once (category × month, one query) and answers
every "how many of these types in that period" a build asks; a period is *available* only
when every one of its months has data for every force covering the area (a month without
data is never a zero).

:func:`evaluate_indicator` measures an indicator of a priority (``count``, ``rate`` per 1,000
residents, or ``share`` of all crime) in the period assessed and checks its target:

* ``below_average:N`` — on track when the value is below the average of the N periods before
  (of those with data; with none, "no data");
* ``change:P`` — on track when the % change on the comparison period is at most P
  (``change:-5`` asks for a fall of 5% or more);
* ``no_significant_increase`` — on track unless the count rose by more than chance
  (exact conditional test, :func:`commsafe.measures.significance.change_test`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from commsafe import periods
from commsafe.measures.counts import events_view_sql
from commsafe.measures.intervals import rate_per_1000
from commsafe.measures.rounding import pct_change
from commsafe.measures.significance import ChangeTest, change_test
from commsafe.periods import Period
from commsafe.reference.areas import Area
from commsafe.store import Store
from commsafe.taxonomy import ASB

__all__ = ["AreaMonthly", "Comparison", "IndicatorResult", "evaluate_indicator", "history"]

MIN_MONTHS_COMPARED = 6
"""Fewest months two periods must share for a like-for-like comparison (spec:
``thresholds.min_months_compared``)."""

ON_TRACK, OFF_TRACK, NO_DATA = "on track", "off track", "no data"


@dataclass
class AreaMonthly:
    """Events of one area by category and month (``frame``: category, month, count) and the
    months with data for every force covering it (``covered``).

    ``offsets`` (months from a period's start, 0 = its first month) restricts every period to
    those months, for like-for-like comparisons when the period assessed is only partly
    covered (e.g. year to date, or a sample with some months): None means whole periods.
    """

    frame: pd.DataFrame
    covered: set[date]
    offsets: tuple[int, ...] | None = None

    @classmethod
    def read(cls, store: Store, within: Area) -> AreaMonthly:
        from commsafe.measures.areas import months_with_data

        frame = store.con.sql(
            f"SELECT category, month_start AS month, count(*) AS count "
            f"FROM ({events_view_sql()}) v WHERE {within.level} = $code GROUP BY ALL",
            params={"code": within.code}).df()
        frame["month"] = [periods.as_month(m) for m in frame["month"]]
        return cls(frame, months_with_data(store, within=within))

    @classmethod
    def for_dataset(cls, store: Store, dataset: str, within: Area) -> AreaMonthly:
        """A partner data set's records in ``within`` (by the records' district) by month,
        under the category ``dataset``. Every month from its first to its last record is
        covered (a month between without records is a real 0, as in ``records_monthly``)."""
        from commsafe.reference.areas import districts_within

        districts = districts_within(store.con, within)
        known = store.con.execute("SELECT count(*) FROM datasets WHERE dataset = ?",
                                  [dataset]).fetchall()[0][0]
        if not known:
            loaded = [r[0] for r in store.con.execute(
                "SELECT dataset FROM datasets ORDER BY 1").fetchall()]
            from commsafe.errors import InputError

            raise InputError(f"data set {dataset!r} is not loaded; loaded: "
                             f"{', '.join(loaded) or 'none'}. Fix the indicator's dataset or "
                             "add the data set under [data] datasets.")
        frame = store.con.execute(
            "SELECT ? AS category, month, count(*) AS count FROM records WHERE dataset = ? "
            "AND month IS NOT NULL AND list_contains(?, district_code) GROUP BY ALL",
            [dataset, dataset, districts]).df()
        frame["month"] = [periods.as_month(m) for m in frame["month"]]
        covered = (set(periods.month_range(min(frame["month"]), max(frame["month"])))
                   if len(frame) else set())
        return cls(frame, covered)

    def months_in(self, period: Period) -> list[date]:
        """The months of ``period`` that count (all of them, or those at ``offsets``)."""
        if self.offsets is None:
            return list(period.months())
        return [periods.add_months(period.start, k) for k in self.offsets if k < len(period)]

    def period_name(self, period: Period) -> str:
        """``period`` by name (:attr:`Period.name`), or, when only some of its months count
        (``offsets``), those months in words: 'July 2018' for the July of a rolling year."""
        months = self.months_in(period)
        if self.offsets is None or len(months) == len(period):
            return period.name
        return periods.months_text(months)

    def covered_offsets(self, period: Period) -> tuple[int, ...]:
        """Which months of ``period`` (as offsets from its start) have data."""
        return tuple(k for k, m in enumerate(period.months()) if m in self.covered)

    def shared_offsets(self, *ps: Period) -> tuple[int, ...]:
        """The month offsets (within ``offsets``, when set) that have data in every one of
        ``ps``: the months a like-for-like comparison of them counts."""
        base = self.offsets if self.offsets is not None else range(max(len(p) for p in ps))
        return tuple(k for k in base
                     if all(k < len(p) and periods.add_months(p.start, k) in self.covered
                            for p in ps))

    def compared(self, before: Period, after: Period, *,
                 min_months: int = MIN_MONTHS_COMPARED) -> Comparison:
        """``before`` against ``after`` like for like: over the months of the period (at the
        same offsets from each start) that both have data for. Fewer than ``min_months``
        shared months refuse the comparison (``data`` None) with the reason naming the
        missing months."""
        if self.available(before) and self.available(after):
            return Comparison(self, before, after, len(self.months_in(after)), [], None)
        shared = self.shared_offsets(before, after)
        asked = self.months_in(after)
        missing = sorted({m for p in (before, after) for m in self.months_in(p)
                          if m not in self.covered})
        if len(shared) < min_months:
            reason = (f"{before.label} and {after.label} share only {len(shared)} month(s) "
                      f"with data (fewer than {min_months}); no data for "
                      f"{periods.months_text(missing)}")
            return Comparison(None, before, after, len(shared), missing, reason)
        view = AreaMonthly(self.frame, self.covered, shared)
        return Comparison(view, before, after, len(shared), missing, None,
                          partial=len(shared) < len(asked))

    def available(self, period: Period) -> bool:
        months = self.months_in(period)
        return bool(months) and all(m in self.covered for m in months)

    def count_covered(self, categories: Sequence[str] | None, period: Period
                      ) -> tuple[int | None, int]:
        """Events of ``categories`` (as :meth:`count`) over the months of ``period`` that
        have data, and how many months that is: ``(None, 0)`` when none has. A year with a
        missing month is counted over the rest, never dropped or filled."""
        months = [m for m in self.months_in(period) if m in self.covered]
        if not months:
            return None, 0
        return self._sum(categories, months), len(months)

    def _sum(self, categories: Sequence[str] | None, months: Sequence[date]) -> int:
        f = self.frame
        sel = f["month"].isin(list(months))
        if categories is None:
            sel &= f["category"] != ASB
        else:
            sel &= f["category"].isin(list(categories))
        return int(f.loc[sel, "count"].sum())

    def months(self) -> list[date]:
        return sorted(self.covered)

    def count(self, categories: Sequence[str] | None, period: Period) -> int | None:
        """Events of ``categories`` (None: all crime, ASB excluded) in ``period`` (its months
        at ``offsets``); None when any of those months has no data."""
        if not self.available(period):
            return None
        return self._sum(categories, self.months_in(period))

    def monthly(self, categories: Sequence[str] | None) -> pd.DataFrame:
        """month, count for every covered month (0 where none): the input of trend charts."""
        f = self.frame
        sel = f["category"] != ASB if categories is None else f["category"].isin(
            list(categories))
        got = f[sel].groupby("month")["count"].sum()
        months = self.months()
        return pd.DataFrame({"month": months,
                             "count": [int(got.get(m, 0)) for m in months]})


@dataclass(frozen=True)
class Comparison:
    """Two periods compared like for like (:meth:`AreaMonthly.compared`): ``data`` counts
    only the shared months (None: refused, see ``reason``); ``months`` how many months each
    side counts; ``missing`` the months without data in either period; ``partial`` whether
    that is fewer than the whole period."""

    data: AreaMonthly | None
    before: Period
    after: Period
    months: int
    missing: list[date]
    reason: str | None
    partial: bool = False


def history(period: Period, n: int) -> list[Period]:
    """The ``n`` periods of the same kind before ``period``, oldest first."""
    out: list[Period] = []
    p = period
    for _ in range(n):
        p = periods.previous_period(p)
        out.append(p)
    return out[::-1]


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator measured: ``value`` in the period assessed, ``baseline`` what the target
    compares it with (the average, or the comparison period's value), ``status`` one of
    "on track", "off track", "no data", and ``reason`` why: ``incomplete`` (the period
    assessed lacks months), ``no_average`` / ``average`` (below_average targets; ``earlier``
    periods of the ``target_value`` asked for had data), ``no_compare`` / ``compare_zero`` /
    ``change`` (% ``pct`` on the comparison period), or ``test`` (the exact test).
    :func:`commsafe.findings.indicator_detail` says it in words."""

    name: str
    measure: str
    target: str
    target_kind: str
    target_value: float | None
    value: float | None
    baseline: float | None
    status: str
    reason: str
    count: int | None
    compare_count: int | None
    test: ChangeTest | None
    assessed: Period
    compare: Period
    earlier: int = 0
    pct: float | None = None
    months: int = 0
    """How many months of each period are counted (fewer than the period's length when
    counted like for like over the months both have data for)."""

    @property
    def partial(self) -> bool:
        return 0 < self.months < len(self.assessed)


def _value(measure: str, count: int | None, total: int | None,
           population: float | None) -> float | None:
    if count is None:
        return None
    if measure == "count":
        return float(count)
    if measure == "rate":
        return rate_per_1000(count, population) if population else None
    if not total:
        return None
    return 100.0 * count / total


def evaluate_indicator(data: AreaMonthly, *, name: str, measure: str,
                       categories: Sequence[str], target_kind: str,
                       target_value: float | None, assessed: Period, compare: Period,
                       population: dict[int, float | None],
                       alpha: float = 0.05) -> IndicatorResult:
    """Measure one indicator and check its target (see the module docstring).
    ``population`` maps a period's start year to the area's residents (rates only)."""
    def measured(p: Period) -> tuple[int | None, float | None]:
        c = data.count(categories, p)
        return c, _value(measure, c, data.count(None, p), population.get(p.start.year))

    count, value = measured(assessed)
    c_count, c_value = measured(compare)
    shown = (int(target_value) if target_value is not None
             and float(target_value).is_integer() else target_value)
    target = target_kind if target_value is None else f"{target_kind}:{shown}"
    test = change_test(c_count, count, alpha=alpha) if (
        count is not None and c_count is not None) else None

    def result(baseline: float | None, status: str, reason: str, *, earlier: int = 0,
               pct: float | None = None) -> IndicatorResult:
        return IndicatorResult(name, measure, target, target_kind, target_value, value,
                               baseline, status, reason, count, c_count, test, assessed,
                               compare, earlier, pct, len(data.months_in(assessed)))

    if value is None:
        return result(None, NO_DATA, "incomplete")
    if target_kind == "below_average":
        years = int(target_value or 5)
        found = [v for p in history(assessed, years) if (v := measured(p)[1]) is not None]
        if not found:
            return result(None, NO_DATA, "no_average")
        average = sum(found) / len(found)
        return result(average, ON_TRACK if value < average else OFF_TRACK, "average",
                      earlier=len(found))
    if c_value is None:
        return result(None, NO_DATA, "no_compare")
    if target_kind == "change":
        if not c_value:
            return result(c_value, NO_DATA, "compare_zero")
        pct = pct_change(c_value, value) or 0.0
        status = ON_TRACK if pct <= float(target_value or 0) else OFF_TRACK
        return result(c_value, status, "change", pct=pct)
    assert test is not None
    rose = test.significant and test.direction == "increase"
    return result(c_value, OFF_TRACK if rose else ON_TRACK, "test")
