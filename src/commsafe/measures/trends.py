"""Trends over time: monthly counts, yearly average monthly counts, rolling 12-month comparisons.

Output columns are a contract (pinned by ``tests/test_trends.py``):

``monthly_counts``
    ``month`` (``datetime.date``, first of the month), ``count`` (int). One row per month *with
    data*: a month inside the data's coverage with no matching events is 0; a month outside the
    coverage (the force published nothing for it) is absent, never 0.
``yearly_average_monthly``
    ``period`` (label, e.g. ``2024/25``), ``start``, ``end`` (first days of the period's first
    and last months), ``months_with_data``, ``total``, ``average_monthly`` (``total /
    months_with_data``: a year with missing months is averaged over the months that have data)
    and ``complete`` (all 12 months have data).
``count_and_rate_by_year``
    ``year`` (the year the period starts in, the key of the population mapping), ``period``,
    ``months_with_data``, ``complete``, ``count``, ``population`` and ``rate_per_1000`` (NaN
    when the population of that year is not given, never 0).

Numbers here are unrounded; rounding belongs to whoever shows them (see ``findings.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from commsafe import periods, taxonomy
from commsafe.errors import InputError
from commsafe.measures.counts import count_events, events_view_sql
from commsafe.measures.rounding import pct_change
from commsafe.measures.significance import change_test
from commsafe.periods import MonthLike, Period
from commsafe.store import Store

__all__ = [
    "MONTHLY_COLUMNS",
    "RATE_COLUMNS",
    "YEARLY_COLUMNS",
    "RollingComparison",
    "count_and_rate_by_year",
    "missing_months_text",
    "monthly_counts",
    "rolling_comparison",
    "yearly_average_monthly",
]

MONTHLY_COLUMNS: tuple[str, ...] = ("month", "count")
YEARLY_COLUMNS: tuple[str, ...] = (
    "period", "start", "end", "months_with_data", "total", "average_monthly", "complete",
)
RATE_COLUMNS: tuple[str, ...] = (
    "year", "period", "months_with_data", "complete", "count", "population", "rate_per_1000",
)

_YEAR_KINDS = ("financial_year", "calendar_year", "academic_year")


def _sql_text(text: str) -> str:
    """``text`` as a DuckDB string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _category_filter(store: Store, categories: Sequence[str], *, include_asb: bool,
                     asb_only: bool) -> str:
    """A WHERE condition on ``category`` for ``categories`` (names matched as police.uk's)."""
    if isinstance(categories, str):
        raise InputError(
            f"categories={categories!r} is a single string; give a list of crime types, "
            f"e.g. [{categories!r}]"
        )
    if not categories:
        raise InputError("categories is empty; give at least one crime type, or leave it out")
    stored = {str(row[0]) for row in
              store.con.execute("SELECT DISTINCT crime_type FROM events").fetchall()}
    names = []
    for given in categories:
        name = taxonomy.standard_name(given)
        if name not in stored and not taxonomy.is_known(name):
            known = ", ".join(sorted(stored | set(taxonomy.CRIME_TYPES)))
            raise InputError(
                f"category {given!r} is not a police.uk crime type nor one in the store. "
                f"Choose from: {known}."
            )
        if taxonomy.is_asb(name) and not (include_asb or asb_only):
            raise InputError(
                f"category {given!r} is anti-social behaviour, which is never counted among "
                "crimes; pass include_asb=True (--include-asb) or asb_only=True (--asb-only)."
            )
        if not taxonomy.is_asb(name) and asb_only:
            raise InputError(
                f"category {given!r} is a crime type but asb_only=True counts only anti-social "
                "behaviour; drop one of them."
            )
        names.append(name)
    return "category IN (" + ", ".join(_sql_text(n) for n in names) + ")"


def _force_months(store: Store, where: str | None) -> tuple[list[str], dict[date, list[str]]]:
    """The forces in scope, and for each month the forces in scope that have data for it.

    The forces in scope are those with any event matching ``where`` (all forces without it). A
    force-month has data when the force published any street-level record (crime or ASB) for it.
    """
    view = events_view_sql()
    scope = f"WHERE ({where})" if where else ""
    forces = [str(r[0]) for r in store.con.execute(
        f"SELECT DISTINCT force FROM ({view}) v {scope} ORDER BY 1").fetchall()]
    if not forces:
        return [], {}
    force_list = ", ".join(_sql_text(f) for f in forces)
    rows = store.con.execute(
        "SELECT month, list(DISTINCT force) FROM events "
        f"WHERE force IN ({force_list}) GROUP BY month ORDER BY month"
    ).fetchall()
    return forces, {month: [str(f) for f in present] for month, present in rows}


def monthly_counts(store: Store, *, where: str | None = None,
                   categories: Sequence[str] | None = None, include_asb: bool = False,
                   asb_only: bool = False, start: MonthLike | None = None,
                   end: MonthLike | None = None) -> pd.DataFrame:
    """Events per month (crime only unless ``include_asb``/``asb_only``) from ``start`` to ``end``.

    ``where`` is a condition over the columns of :func:`commsafe.measures.counts.count_events`;
    ``categories`` are police.uk crime types (current or old names). ``start`` and ``end``
    default to the first and last month with data for the selection's forces. A month for which
    any force in scope published nothing is left out (not 0); ``DataFrame.attrs["notes"]``
    lists the months left out and the defaults chosen.
    """
    if include_asb and asb_only:
        raise InputError("include_asb and asb_only contradict each other; give one.")
    condition = where
    if categories is not None:
        cat = _category_filter(store, categories, include_asb=include_asb, asb_only=asb_only)
        condition = f"({where}) AND {cat}" if where else cat
    # count first: count_events explains a bad ``where`` (QueryError) before anything else runs
    table = count_events(store, ["month"], where=condition, include_asb=include_asb,
                         asb_only=asb_only)
    forces, present = _force_months(store, where)
    first = periods.as_month(start) if start is not None else None
    last = periods.as_month(end) if end is not None else None
    if first is not None and last is not None and last < first:
        raise InputError(
            f"end {periods.month_label(last)} is before start {periods.month_label(first)}; "
            "swap them."
        )
    in_range = [m for m in present
                if (first is None or m >= first) and (last is None or m <= last)]
    months = [m for m in in_range if len(present[m]) == len(forces)]
    notes: list[str] = []
    if months:
        if first is None:
            notes.append(f"start {periods.month_label(months[0])}: the first month with data")
        if last is None:
            notes.append(f"end {periods.month_label(months[-1])}: the last month with data")
    left_out: dict[str, list[date]] = {}
    for m in in_range:
        lacking = [f for f in forces if f not in present[m]]
        if lacking:
            left_out.setdefault(", ".join(lacking), []).append(m)
    for lacking_text, gap in left_out.items():
        notes.append(f"{missing_months_text(gap)} left out: no data from {lacking_text}")
    found = {periods.parse_month(str(label)): int(n) for label, n in
             zip(table.column("month").to_pylist(), table.column("count").to_pylist(),
                 strict=True)}
    frame = pd.DataFrame({
        "month": pd.Series(months, dtype=object),
        "count": pd.Series([found.get(m, 0) for m in months], dtype="int64"),
    })
    frame.attrs["notes"] = notes
    return frame


def _check_monthly(monthly: pd.DataFrame) -> dict[date, int]:
    missing = [c for c in MONTHLY_COLUMNS if c not in monthly.columns]
    if missing:
        raise InputError(
            f"monthly table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, monthly.columns))}. Build it with monthly_counts()."
        )
    out: dict[date, int] = {}
    for month, count in zip(monthly["month"], monthly["count"], strict=True):
        m = periods.as_month(month)
        if m in out:
            raise InputError(f"monthly table has {periods.month_label(m)} twice; give each once.")
        out[m] = int(count)
    return out


def yearly_average_monthly(monthly: pd.DataFrame,
                           year_kind: str = "financial_year") -> pd.DataFrame:
    """Average monthly count per year of ``year_kind``, over the months that have data.

    A year appears when at least one of its months has data. Missing months are never taken
    as zero: a year with 11 months of data is averaged over those 11 (``complete`` is False).
    """
    if year_kind not in _YEAR_KINDS:
        raise InputError(f"year_kind {year_kind!r} is not one of: {', '.join(_YEAR_KINDS)}")
    counts = _check_monthly(monthly)
    by_year: dict[Period, list[int]] = {}
    for month in sorted(counts):
        by_year.setdefault(periods.period_of(year_kind, month), []).append(counts[month])
    rows = [
        {
            "period": p.label,
            "start": p.start,
            "end": p.end,
            "months_with_data": len(values),
            "total": sum(values),
            "average_monthly": sum(values) / len(values),
            "complete": len(values) == len(p),
        }
        for p, values in by_year.items()
    ]
    frame = pd.DataFrame(rows, columns=list(YEARLY_COLUMNS))
    return frame.astype({"months_with_data": "int64", "total": "int64",
                         "average_monthly": "float64", "complete": "bool"})


def missing_months_text(months: Iterable[date]) -> str:
    """Months as runs named in full: ``'January to December 2023'``, ``'March 2023'``."""
    ordered = sorted(set(months))
    runs: list[tuple[date, date]] = []
    for m in ordered:
        if runs and periods.add_months(runs[-1][1], 1) == m:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    parts = []
    for a, b in runs:
        if a == b:
            parts.append(f"{a:%B %Y}")
        elif a.year == b.year:
            parts.append(f"{a:%B} to {b:%B %Y}")
        else:
            parts.append(f"{a:%B %Y} to {b:%B %Y}")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class RollingComparison:
    """The 12 months ending ``end_month`` against the 12 months before.

    A window's count is given only when every one of its months has data (otherwise None, as
    are the change and its test); ``complete`` is True when both windows are whole, and
    ``missing`` names the months without data. ``pct_change`` is None when the previous count
    is 0. ``words`` says in plain English what the test found, or why there is no comparison.
    """

    end_month: date
    current: Period
    previous: Period
    current_count: int | None
    previous_count: int | None
    change: int | None
    pct_change: float | None
    p_value: float | None
    significant: bool | None
    words: str
    complete: bool
    missing: tuple[date, ...] = ()


def rolling_comparison(monthly: pd.DataFrame, end_month: MonthLike, *,
                       alpha: float = 0.05) -> RollingComparison:
    """Compare the 12 months ending ``end_month`` with the 12 months before them.

    The change is tested with :func:`commsafe.measures.significance.change_test` (counts as
    Poisson, equal exposure). When any month of either window has no data the comparison is
    incomplete: no change is computed and ``words`` says which months are missing.
    """
    counts = _check_monthly(monthly)
    current = periods.rolling_12(end_month)
    previous = periods.previous_period(current)
    missing = tuple(m for m in (*previous.months(), *current.months()) if m not in counts)

    def total(p: Period) -> int | None:
        if any(m not in counts for m in p.months()):
            return None
        return sum(counts[m] for m in p.months())

    now, before = total(current), total(previous)
    if now is None or before is None:
        return RollingComparison(
            end_month=current.end, current=current, previous=previous, current_count=now,
            previous_count=before, change=None, pct_change=None, p_value=None,
            significant=None, complete=False, missing=missing,
            words=(f"no comparison: there is no data for {missing_months_text(missing)}"),
        )
    test = change_test(before, now, alpha=alpha)
    pct = pct_change(before, now)
    return RollingComparison(
        end_month=current.end, current=current, previous=previous, current_count=now,
        previous_count=before, change=now - before,
        pct_change=None if pct is None else float(pct), p_value=float(test.p_value),
        significant=bool(test.significant), words=str(test.words), complete=True,
    )


def count_and_rate_by_year(store_or_monthly: Store | pd.DataFrame,
                           population_by_year: Mapping[int, float], *,
                           year_kind: str = "calendar_year", where: str | None = None,
                           categories: Sequence[str] | None = None, include_asb: bool = False,
                           asb_only: bool = False) -> pd.DataFrame:
    """Count and rate per 1,000 population for each year with data (for count-and-rate charts).

    ``population_by_year`` is keyed by the year each period starts in (2024 for 2024/25). A
    year with missing months keeps its partial count, flagged ``complete=False``; a year whose
    population is not given has a NaN rate. ``where`` … ``asb_only`` apply when a store is given.
    """
    if isinstance(store_or_monthly, Store):
        monthly = monthly_counts(store_or_monthly, where=where, categories=categories,
                                 include_asb=include_asb, asb_only=asb_only)
    elif isinstance(store_or_monthly, pd.DataFrame):
        monthly = store_or_monthly
    else:
        raise InputError(
            f"count_and_rate_by_year needs a store or a monthly_counts() table, "
            f"not {type(store_or_monthly).__name__}"
        )
    yearly = yearly_average_monthly(monthly, year_kind)
    rows = []
    for _, y in yearly.iterrows():
        year = int(y["start"].year)
        population = population_by_year.get(year)
        pop = float(population) if population is not None else float("nan")
        if pop <= 0:
            raise InputError(f"population for {year} is {population}; it must be positive.")
        rows.append({
            "year": year, "period": y["period"], "months_with_data": y["months_with_data"],
            "complete": y["complete"], "count": y["total"], "population": pop,
            "rate_per_1000": y["total"] / pop * 1000.0,
        })
    frame = pd.DataFrame(rows, columns=list(RATE_COLUMNS))
    return frame.astype({"year": "int64", "months_with_data": "int64", "complete": "bool",
                         "count": "int64", "population": "float64",
                         "rate_per_1000": "float64"})
