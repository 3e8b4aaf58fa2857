"""Measures over partner data sets in the store's ``records`` table (see docs/datasets.md).

Every function takes the open :class:`~commsafe.store.Store` and a data set name (the
mapping's ``name``), checks that the data set exists and is of the right kind, and returns a
pandas DataFrame of unrounded numbers with ``attrs['notes']`` (defaults chosen, caveats,
"SYNTHETIC" when the data set is made up). Nothing is rendered here.

- :func:`ed_assaults_monthly` (``ed_assaults``): one row per month from the first to the last
  month with attendances (a month in between without rows counts 0 and is named in the notes):
  ``month`` (first of the month, a ``date``), ``all``, ``knife_sharp`` (weapon
  ``knife/sharp``), ``glass_bottle`` (weapon ``glass/bottle``), ``admitted`` and
  ``share_admitted`` = admitted / all (a fraction 0..1, NaN for a month with none) — a proxy
  for the severity of the injuries.
- :func:`ambulance_by_quarter` (``ambulance_callouts``): **long** format, one row per period
  and district: ``period`` (the label as given, else the calendar quarter of the call's date),
  ``district_code`` (None for calls not placed in a district), ``count`` (sum of ``value``).
  Ordered by period start, then district.
- :func:`needle_finds_by_year` (``needle_finds``): ``period, instances, needles`` per year
  (financial by default); a year the data cover only in part is named in the notes.
- :func:`needle_finds_by_ward`: per ward, the annual average of instances and needles over the
  years given, ``rank`` 1 = most instances (ties share the lowest rank, then more needles
  first in the ordering).
- :func:`schools_absence` (``school_absence``): one row per school and academic year.
- :func:`schools_ranked`: one academic year (the latest by default), ranked by persistent
  absence, highest first (``rank`` 1); a school without a persistent absence figure comes last
  with no rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from commsafe.errors import InputError
from commsafe.periods import (
    Period,
    month_label,
    month_range,
    parse_period,
    parse_period_range,
    sql_label,
)
from commsafe.store import Store

__all__ = [
    "ambulance_by_quarter",
    "check_dataset",
    "ed_assaults_monthly",
    "needle_finds_by_ward",
    "needle_finds_by_year",
    "records_monthly",
    "schools_absence",
    "schools_ranked",
]

NEEDLE_YEAR_KINDS = ("financial_year", "calendar_year", "academic_year")


def check_dataset(store: Store, dataset: str, kind: str, where: str) -> list[str]:
    """Check ``dataset`` is loaded and of ``kind``; return the opening notes (synthetic …).

    Raises InputError naming the loaded data sets of that kind when it is not.
    """
    found = store.con.execute("SELECT kind, synthetic, title FROM datasets WHERE dataset = ?",
                              [dataset]).fetchall()
    if not found:
        same = [r[0] for r in store.con.execute(
            "SELECT dataset FROM datasets WHERE kind = ? ORDER BY 1", [kind]).fetchall()]
        listed = ", ".join(same) if same else f"none of kind {kind} is loaded"
        raise InputError(f"{where}: no data set {dataset!r} in the store. Data sets of kind "
                         f"{kind}: {listed}. Fix: load it with load_dataset (docs/datasets.md) "
                         "or pass one of those names.")
    got, synthetic, title = found[0]
    if got != kind:
        raise InputError(f"{where}: data set {dataset!r} is of kind {got}, not {kind}. "
                         f"Fix: pass a data set of kind {kind}.")
    notes = []
    if synthetic:
        notes.append(f"SYNTHETIC data set {dataset!r} ({title}): made-up data, never evidence")
    return notes


def _as_date(value: Any) -> date:
    return pd.Timestamp(value).date()


# --------------------------------------------------------------------------- ED assaults


def records_monthly(store: Store, dataset: str, kind: str) -> pd.DataFrame:
    """Records of a data set per month (``month``, ``count``), from its first to its last
    month with records; a month between them without records counts as 0 (noted)."""
    notes = check_dataset(store, dataset, kind, "records_monthly")
    rows = store.con.execute(
        "SELECT month, count(*) FROM records WHERE dataset = ? AND month IS NOT NULL "
        "GROUP BY month ORDER BY month", [dataset]).fetchall()
    if not rows:
        raise InputError(f"data set {dataset!r} has no dated records: nothing to count by "
                         "month. Check the mapping's date column.")
    counts = {_as_date(r[0]): int(r[1]) for r in rows}
    months = month_range(min(counts), max(counts))
    empty = [m for m in months if m not in counts]
    if empty:
        notes.append("months without records (counted as 0): "
                     + ", ".join(month_label(m) for m in empty))
    frame = pd.DataFrame({"month": months, "count": [counts.get(m, 0) for m in months]})
    frame["count"] = frame["count"].astype("int64")
    frame.attrs["notes"] = notes
    return frame


def ed_assaults_monthly(store: Store, dataset: str) -> pd.DataFrame:
    """ED assault attendances per month: all, knife/sharp, glass/bottle, admitted, share."""
    notes = check_dataset(store, dataset, "ed_assaults", "ed_assaults_monthly")
    rows = store.con.execute(
        "SELECT month, count(*), count(*) FILTER (WHERE category = 'knife/sharp'), "
        "count(*) FILTER (WHERE category = 'glass/bottle'), "
        "count(*) FILTER (WHERE list_contains(flags, 'admitted')) "
        "FROM records WHERE dataset = ? AND month IS NOT NULL GROUP BY month ORDER BY month",
        [dataset]).fetchall()
    columns = ["month", "all", "knife_sharp", "glass_bottle", "admitted", "share_admitted"]
    if not rows:
        frame = pd.DataFrame({c: pd.Series(dtype=object if c == "month" else "int64")
                              for c in columns})
        frame["share_admitted"] = frame["share_admitted"].astype(float)
        frame.attrs["notes"] = [*notes, f"data set {dataset!r} has no dated attendances"]
        return frame
    counts = {_as_date(r[0]): tuple(int(x) for x in r[1:]) for r in rows}
    months = month_range(min(counts), max(counts))
    empty = [m for m in months if m not in counts]
    table = [(m, *counts.get(m, (0, 0, 0, 0))) for m in months]
    frame = pd.DataFrame(table, columns=columns[:-1])
    for c in columns[1:-1]:
        frame[c] = frame[c].astype("int64")
    frame["share_admitted"] = [a / n if n else float("nan")
                               for a, n in zip(frame["admitted"], frame["all"], strict=True)]
    notes.append(f"months {month_label(months[0])} to {month_label(months[-1])}; "
                 "share_admitted = admitted / all, a proxy for severity")
    if empty:
        notes.append("months without attendances (counted as 0, share_admitted empty): "
                     + ", ".join(month_label(m) for m in empty))
    frame.attrs["notes"] = notes
    return frame


# --------------------------------------------------------------------------- ambulance


def ambulance_by_quarter(store: Store, dataset: str) -> pd.DataFrame:
    """Ambulance call-outs per period and district, long format (period, district_code, count).

    ``period`` is the period label as the partner gave it; rows given by date are put in their
    calendar quarter (``2024 Q1``).
    """
    notes = check_dataset(store, dataset, "ambulance_callouts", "ambulance_by_quarter")
    label = sql_label("quarter", "month")
    frame = store.con.execute(
        f"SELECT coalesce(period_label, {label}) AS period, min(month) AS start, "
        "district_code, sum(coalesce(value, 1)) AS count FROM records WHERE dataset = ? "
        "GROUP BY 1, 3 ORDER BY 2, 1, 3 NULLS LAST", [dataset]).df()
    frame = frame.drop(columns="start").reset_index(drop=True)
    frame["district_code"] = frame["district_code"].astype(object).where(
        frame["district_code"].notna(), None)
    frame["count"] = frame["count"].astype(float)
    no_district = float(frame.loc[frame["district_code"].isna(), "count"].sum())
    if no_district:
        notes.append(f"{no_district:g} call-outs are not placed in a district "
                     "(district_code empty)")
    notes.append("long format: one row per period and district; period as given by the "
                 "partner, else the calendar quarter of the date")
    frame.attrs["notes"] = notes
    return frame


# --------------------------------------------------------------------------- needle finds


def _year_kind(year_kind: str, where: str) -> str:
    if year_kind not in NEEDLE_YEAR_KINDS:
        raise InputError(f"{where}: year_kind {year_kind!r} is not one of "
                         f"{', '.join(NEEDLE_YEAR_KINDS)}. Fix: pass e.g. 'financial_year'.")
    return year_kind


def _needle_rows(store: Store, dataset: str, year_kind: str) -> pd.DataFrame:
    frame = store.con.execute(
        f"SELECT {sql_label(year_kind, 'month')} AS period, month, ward_code, value "
        "FROM records WHERE dataset = ? AND month IS NOT NULL", [dataset]).df()
    frame["value"] = frame["value"].astype(float)
    return frame


def _coverage_notes(months: pd.Series, periods: Sequence[Period]) -> list[str]:
    if months.empty:
        return []
    first, last = _as_date(months.min()), _as_date(months.max())
    out = []
    for p in periods:
        if p.start < first or p.end > last:
            lo, hi = max(p.start, first), min(p.end, last)
            covered = (f"{month_label(lo)} to {month_label(hi)}" if lo <= hi else "no months")
            out.append(f"{p.label} is a part year: the data cover {covered} of it")
    return out


def needle_finds_by_year(store: Store, dataset: str,
                         year_kind: str = "financial_year") -> pd.DataFrame:
    """Needle finds per year: ``period`` label, ``instances`` (finds), ``needles`` (sum)."""
    where = "needle_finds_by_year"
    notes = check_dataset(store, dataset, "needle_finds", where)
    kind = _year_kind(year_kind, where)
    rows = _needle_rows(store, dataset, kind)
    grouped = rows.groupby("period", sort=True).agg(
        instances=("value", "size"), needles=("value", "sum")).reset_index()
    grouped["instances"] = grouped["instances"].astype("int64")
    grouped["needles"] = grouped["needles"].astype(float)
    periods = [parse_period(kind, str(p)) for p in grouped["period"]]
    notes.append(f"years are {kind.replace('_', ' ')}s; instances = finds, needles = "
                 "needles found")
    notes += _coverage_notes(rows["month"], periods)
    grouped.attrs["notes"] = notes
    return grouped


def _years(years: str | Sequence[str], kind: str, where: str) -> list[Period]:
    if isinstance(years, str):
        periods = parse_period_range(years, kind)
    else:
        periods = [parse_period(kind, str(y)) for y in years]
    if not periods:
        raise InputError(f"{where}: no years given. Fix: pass e.g. '2023/24:2024/25' or a list "
                         "of year labels.")
    if len({p.label for p in periods}) != len(periods):
        raise InputError(f"{where}: a year is given twice in {years!r}. Fix: give each once.")
    return periods


def needle_finds_by_ward(store: Store, dataset: str, years: str | Sequence[str], *,
                         year_kind: str = "financial_year") -> pd.DataFrame:
    """Per ward, annual averages of finds and needles over ``years``, ranked by finds.

    ``years`` is a range ``'2023/24:2024/25'``, one label, or a list of labels of
    ``year_kind``. Averages divide by the number of years given (a year without finds in a
    ward counts 0). Every ward in the data set is listed; finds without a ward are noted.
    """
    where = "needle_finds_by_ward"
    notes = check_dataset(store, dataset, "needle_finds", where)
    kind = _year_kind(year_kind, where)
    periods = _years(years, kind, where)
    labels = [p.label for p in periods]
    rows = _needle_rows(store, dataset, kind)
    wards = sorted({str(w) for w in rows["ward_code"].dropna()})
    chosen = rows[rows["period"].isin(labels)]
    no_ward = chosen[chosen["ward_code"].isna()]
    chosen = chosen[chosen["ward_code"].notna()]
    names = dict(store.con.execute(
        "SELECT area_code, arg_max(area_name, coalesce(vintage, 0)) FROM areas "
        "WHERE area_type = 'ward' AND list_contains(?, area_code) GROUP BY 1", [wards]
    ).fetchall()) if wards else {}
    n = len(periods)
    by_ward = chosen.groupby("ward_code").agg(instances=("value", "size"),
                                              needles=("value", "sum"))
    out = pd.DataFrame({"ward_code": wards})
    out["ward_name"] = [names.get(w) for w in wards]
    out["annual_average_instances"] = [float(by_ward["instances"].get(w, 0)) / n for w in wards]
    out["annual_average_needles"] = [float(by_ward["needles"].get(w, 0.0)) / n for w in wards]
    out["rank"] = out["annual_average_instances"].rank(method="min", ascending=False)
    out["rank"] = out["rank"].astype("int64")
    out = out.sort_values(["rank", "annual_average_needles", "ward_code"],
                          ascending=[True, False, True], kind="stable").reset_index(drop=True)
    notes.append(f"annual averages over {n} {kind.replace('_', ' ')}(s): {', '.join(labels)}; "
                 "rank 1 = most finds a year (ties share a rank)")
    missing = [lab for lab in labels if lab not in set(rows["period"])]
    if missing:
        notes.append("years without any finds in the data set (counted as 0): "
                     + ", ".join(missing))
    notes += _coverage_notes(rows["month"], [p for p in periods if p.label not in missing])
    if len(no_ward):
        notes.append(f"{len(no_ward)} finds ({no_ward['value'].sum():g} needles) have no ward "
                     "and are not in the table")
    unnamed = [w for w in wards if names.get(w) is None]
    if unnamed:
        notes.append("wards not in the reference data (no name): " + ", ".join(unnamed))
    out.attrs["notes"] = notes
    return out


# --------------------------------------------------------------------------- schools


def schools_absence(store: Store, dataset: str) -> pd.DataFrame:
    """Absence per school and academic year: overall, exclusion (suspension), persistent %."""
    notes = check_dataset(store, dataset, "school_absence", "schools_absence")
    frame = store.con.execute(
        "SELECT school, period_label AS academic_year, value AS overall_absence_pct, "
        "TRY_CAST(attributes->>'exclusion_pct' AS DOUBLE) AS exclusion_pct, "
        "TRY_CAST(attributes->>'persistent_absence_pct' AS DOUBLE) AS persistent_absence_pct "
        "FROM records WHERE dataset = ? ORDER BY school, month, row_number", [dataset]).df()
    for c in ("overall_absence_pct", "exclusion_pct", "persistent_absence_pct"):
        frame[c] = frame[c].astype(float)
    dup = frame.duplicated(["school", "academic_year"])
    if dup.any():
        first = frame[dup].iloc[0]
        notes.append(f"{int(dup.sum())} school-years appear more than once (e.g. "
                     f"{first['school']} {first['academic_year']}); all rows are kept")
    notes.append("percentages as given by the partner (0–100); exclusion_pct is the "
                 "suspension/exclusion rate")
    frame.attrs["notes"] = notes
    return frame


def schools_ranked(store: Store, dataset: str, academic_year: str | None = None
                   ) -> pd.DataFrame:
    """One academic year's schools ranked by persistent absence (rank 1 = highest).

    ``academic_year`` (``2023/24``) defaults to the latest in the data set, announced in the
    notes. Columns: ``rank, school, academic_year, persistent_absence_pct,
    overall_absence_pct, exclusion_pct``.
    """
    where = "schools_ranked"
    table = schools_absence(store, dataset)
    notes = list(table.attrs["notes"])
    years = sorted({str(y) for y in table["academic_year"].dropna()},
                   key=lambda y: parse_period("academic_year", y).start)
    if not years:
        raise InputError(f"{where}: data set {dataset!r} has no academic years.")
    if academic_year is None:
        chosen = years[-1]
        notes.append(f"academic year {chosen}: the latest in the data set (default)")
    else:
        chosen = parse_period("academic_year", academic_year).label
        if chosen not in years:
            raise InputError(f"{where}: academic year {academic_year!r} is not in data set "
                             f"{dataset!r}. Years held: {', '.join(years)}.")
    out = table[table["academic_year"] == chosen].copy()
    out["rank"] = out["persistent_absence_pct"].rank(method="min", ascending=False)
    out["rank"] = out["rank"].astype("Int64")
    out = out.sort_values(["rank", "school"], na_position="last", kind="stable")
    out = out[["rank", "school", "academic_year", "persistent_absence_pct",
               "overall_absence_pct", "exclusion_pct"]].reset_index(drop=True)
    blank = out.loc[out["rank"].isna(), "school"].tolist()
    if blank:
        notes.append("schools without a persistent absence figure (unranked, last): "
                     + ", ".join(blank))
    notes.append("rank 1 = highest persistent absence; equal figures share a rank")
    out.attrs["notes"] = notes
    return out

