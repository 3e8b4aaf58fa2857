"""When: how events spread over the months of the year and the seasons.

Output columns are a contract:

``by="month_of_year"``
    ``month`` (Jan … Dec), ``month_number`` (1 … 12), ``count`` (events in that calendar month
    over the months of ``period`` that have data), ``years_with_data`` (how many of those
    months there are: one per year present) and ``average_per_year`` (``count /
    years_with_data``; NaN when the month never has data — not available, never zero).
``by="season"``
    ``season`` (Winter = Dec–Feb, Spring = Mar–May, Summer = Jun–Aug, Autumn = Sep–Nov),
    ``count``, ``months_with_data`` and ``average_per_month`` (``count / months_with_data``,
    NaN without data). Seasons group calendar months across the period: the Winter of 2024
    as a calendar year is January, February and December 2024.

A month has data when every force in scope published street-level records (crime or ASB) for
it (the forces in scope are :func:`commsafe.measures.areas.forces_covering` ``within``); months
without data are left out and named in ``attrs['notes']``.

``day_of_week``, ``hour`` and ``day_hour`` need the date and time of each event. police.uk
publishes the month only, and the store's events table has no time column, so these raise
:class:`commsafe.errors.InputError` rather than draw an empty chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import pandas as pd

from commsafe.errors import InputError
from commsafe.measures.areas import _run, months_with_data, selection_condition
from commsafe.measures.counts import events_view_sql
from commsafe.measures.trends import missing_months_text
from commsafe.periods import Period
from commsafe.reference.areas import Area
from commsafe.store import Store

__all__ = [
    "MONTH_COLUMNS",
    "MONTH_NAMES",
    "NO_TIMES_MESSAGE",
    "PROFILES",
    "SEASONS",
    "SEASON_COLUMNS",
    "time_profile",
]

PROFILES = ("month_of_year", "season", "day_of_week", "hour", "day_hour")
MONTH_COLUMNS = ("month", "month_number", "count", "years_with_data", "average_per_year")
SEASON_COLUMNS = ("season", "count", "months_with_data", "average_per_month")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
#: season → its calendar months
SEASONS: dict[str, tuple[int, ...]] = {
    "Winter": (12, 1, 2),
    "Spring": (3, 4, 5),
    "Summer": (6, 7, 8),
    "Autumn": (9, 10, 11),
}
NO_TIMES_MESSAGE = (
    "police.uk data has the month of each event only: day of week and hour profiles need a "
    "local police extract with dates and times (see the partner data issue)"
)


def _months(period: Period | Sequence[Period]) -> list[date]:
    chosen = [period] if isinstance(period, Period) else list(period)
    if not chosen:
        raise InputError("period is empty; give a period such as 2024 or 2024/25.")
    months = sorted({m for p in chosen for m in p.months()})
    return months


def time_profile(store: Store, *, period: Period | Sequence[Period], by: str = "month_of_year",
                 categories: Sequence[str] | None = None, within: Area | None = None,
                 where: str | None = None, include_asb: bool = False,
                 asb_only: bool = False) -> pd.DataFrame:
    """Events of the selection profiled ``by`` month of year or season over ``period``.

    ``period`` is one period or several (e.g. three financial years); their months are pooled.
    """
    if by not in PROFILES:
        raise InputError(f"by {by!r}: choose from {', '.join(PROFILES)}.")
    if by in ("day_of_week", "hour", "day_hour"):
        raise InputError(NO_TIMES_MESSAGE)
    cond = selection_condition(categories=categories, within=within, where=where,
                               include_asb=include_asb, asb_only=asb_only)
    months = _months(period)
    present = months_with_data(store, within=within, where=where)
    have = [m for m in months if m in present]
    gap = [m for m in months if m not in present]
    counts = _run(store, f"SELECT month_start, count(*) AS n FROM ({events_view_sql()}) v "
                         f"WHERE {cond} AND month_start BETWEEN DATE '{months[0]}' AND "
                         f"DATE '{months[-1]}' GROUP BY 1", where)
    found = {date(d.year, d.month, 1): int(n)
             for d, n in zip(counts["month_start"], counts["n"], strict=True)}
    per_month = {m: found.get(m, 0) for m in have}
    notes = []
    if gap:
        notes.append(f"no data for {missing_months_text(gap)}: left out (not counted as zero)")
    if by == "month_of_year":
        rows = []
        for number, name in enumerate(MONTH_NAMES, start=1):
            values = [n for m, n in per_month.items() if m.month == number]
            total = sum(values)
            rows.append({"month": name, "month_number": number, "count": total,
                         "years_with_data": len(values),
                         "average_per_year": total / len(values) if values else math.nan})
        frame = pd.DataFrame(rows, columns=list(MONTH_COLUMNS))
        frame = frame.astype({"month_number": "int64", "count": "int64",
                              "years_with_data": "int64", "average_per_year": "float64"})
    else:
        rows = []
        for season, numbers in SEASONS.items():
            values = [n for m, n in per_month.items() if m.month in numbers]
            total = sum(values)
            rows.append({"season": season, "count": total, "months_with_data": len(values),
                         "average_per_month": total / len(values) if values else math.nan})
        frame = pd.DataFrame(rows, columns=list(SEASON_COLUMNS))
        frame = frame.astype({"count": "int64", "months_with_data": "int64",
                              "average_per_month": "float64"})
        notes.append("seasons: Winter December–February, Spring March–May, Summer June–August, "
                     "Autumn September–November, pooling calendar months across the period")
    labels = [period.label] if isinstance(period, Period) else [p.label for p in period]
    frame.attrs.update(notes=notes, by=by, period=", ".join(labels),
                       months_with_data=len(have), within=within.name if within else None)
    return frame
