"""Counts and rates per 1,000 residents by area, with exact Poisson confidence intervals.

Columns (a contract): ``area_code, area_name, count, population, rate_per_1000,
rate_ci_low, rate_ci_high, share, rank``. ``share`` is the area's fraction of the count of
all areas listed; ``rank`` orders areas by rate (highest first; areas without population
after them, by count). An area with no population shows no rate ("no population"), never a
division by zero. The population is that of the period's year (a financial year's first
year, e.g. 2024 for 2024/25) or the nearest year loaded, announced in ``attrs['notes']``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import pandas as pd

from commsafe import periods, taxonomy
from commsafe.errors import InputError
from commsafe.measures.harm import HarmWeights
from commsafe.measures.intervals import rate_ci_per_1000, rate_per_1000
from commsafe.reference.areas import AREA_LEVELS, Area, area_population
from commsafe.store import Store

__all__ = ["LEVELS", "RATE_COLUMNS", "area_type_of", "category_filter", "level_missing",
           "lsoa_level", "rates_table"]

RATE_COLUMNS = ("area_code", "area_name", "count", "population", "rate_per_1000",
                "rate_ci_low", "rate_ci_high", "share", "rank")


#: the levels a rates table can be by: those of ``AREA_LEVELS`` and ``lsoa11``, the 2011 LSOAs
#: events were placed by (a store holding only 2011 geography)
LEVELS = (*AREA_LEVELS, "lsoa11")

#: what loads each level, for the message when it is missing
_LOAD_HINT = {
    "lsoa": "the 2021 LSOA boundaries (lsoa21_boundaries.geojson) and the LSOA 2011 → "
            "LSOA 2021 lookup (lookup_lsoa11_lsoa21_ltla22.csv)",
    "ward": "the LSOA 2021 → ward → district lookup (lookup_lsoa21_ward24_ltla24.csv) and the "
            "ward boundaries (wards22_boundaries.geojson)",
    "district": "an LSOA → district lookup (lookup_lsoa21_ward24_ltla24.csv, or "
                "PoliceforceLSOA.csv for 2011 LSOAs)",
    "csp": "the district → CSP → police force area lookup (lookup_ltla24_csp24_pfa24.csv)",
    "pfa": "the district → CSP → police force area lookup (lookup_ltla24_csp24_pfa24.csv)",
    "lsoa11": "the 2011 LSOA boundaries (lsoa11_boundaries.geojson) and an LSOA 2011 lookup "
              "(PoliceforceLSOA.csv)",
}
_WHAT = {"lsoa": "2021 LSOAs", "ward": "wards", "district": "districts", "csp": "CSPs",
         "pfa": "police force areas", "lsoa11": "2011 LSOAs"}


def area_type_of(level: str) -> str:
    """The ``areas.area_type`` (and boundaries type) of a rates level."""
    return "lsoa11" if level == "lsoa11" else AREA_LEVELS[level][1]


def _has_level(store: Store, level: str) -> bool:
    """Whether any area of ``level`` is loaded or any event was placed in one."""
    from commsafe.measures.counts import events_view_sql

    loaded = store.con.execute("SELECT count(*) FROM areas WHERE area_type = ?",
                               [area_type_of(level)]).fetchone()
    if loaded and loaded[0]:
        return True
    found = store.con.execute(
        f"SELECT count(*) FROM (SELECT {level} FROM ({events_view_sql()}) v "
        f"WHERE {level} IS NOT NULL LIMIT 1)").fetchone()
    return bool(found and found[0])


def lsoa_level(store: Store) -> str:
    """``lsoa`` (2021 LSOAs) when they are loaded, else ``lsoa11`` when events were placed by
    2011 LSOAs, else ``lsoa``."""
    if not _has_level(store, "lsoa") and _has_level(store, "lsoa11"):
        return "lsoa11"
    return "lsoa"


def level_missing(store: Store, level: str) -> str | None:
    """Why nothing can be counted by ``level`` in this store (what is not loaded and how to
    load it), or None when the level is there. For a user message."""
    if level not in LEVELS:
        raise InputError(f"--by {level!r}: choose from {', '.join(LEVELS)}.")
    if _has_level(store, level):
        return None
    what = _WHAT[level]
    msg = (f"no {what} are loaded in the store, so no event can be placed in one: load "
           f"{_LOAD_HINT[level]} with 'commsafe reference load'")
    if level in ("csp", "pfa") and _has_level(store, "district"):
        msg += ", or use --by district"
    elif level in ("lsoa", "ward") and _has_level(store, "lsoa11"):
        msg += ", or use --by lsoa11 for the 2011 LSOAs the events are placed by"
    return msg + "."


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def category_filter(categories: Sequence[str] | None, *, include_asb: bool = False,
                    asb_only: bool = False) -> str:
    """SQL condition over the events view for crime types (current police.uk names)."""
    if categories:
        names = []
        for c in categories:
            std = taxonomy.standard_name(c)
            if not taxonomy.is_known(std):
                known = [*taxonomy.CRIME_TYPES, taxonomy.ASB]
                close = [k for k in known if c.strip().lower() in k.lower()]
                close += [k for k in difflib.get_close_matches(c, known, n=3, cutoff=0.5)
                          if k not in close]
                raise InputError(
                    f"--category {c!r}: not a police.uk crime type."
                    + (f" Did you mean {' or '.join(repr(x) for x in close)}?" if close else "")
                    + f" Choose from: {', '.join(known)}."
                )
            names.append(std)
        return f"category IN ({', '.join(_quote(n) for n in names)})"
    if asb_only:
        return "is_asb"
    return "TRUE" if include_asb else "NOT is_asb"


def areas_within(store: Store, level: str, within: Area | None) -> pd.DataFrame:
    """Codes and names of the areas of ``level`` inside ``within`` (all when None)."""
    key = ("areas_within", level, within)
    if key not in store.memo:
        store.memo[key] = _areas_within(store, level, within)
    return store.memo[key].copy()  # type: ignore[attr-defined]


def store_population(store: Store, level: str, year: int) -> Any:
    """:func:`commsafe.reference.areas.area_population`, kept in the store's memo by the
    population year actually used (several years asked for may share one)."""
    from dataclasses import replace

    from commsafe.reference.areas import nearest_year, population_note, population_years

    years = population_years(store.con)
    if not years:
        return area_population(store.con, level, year)
    used = nearest_year(years, year)
    key = ("population", level, used)
    if key not in store.memo:
        store.memo[key] = area_population(store.con, level, used)
    return replace(store.memo[key], requested=year,  # type: ignore[type-var]
                   note=population_note(year, used))


def _lsoa11_within(store: Store, within: Area | None) -> pd.DataFrame:
    """2011 LSOAs (code, name) inside ``within``: those linked to its districts, and those
    its events were placed by."""
    from commsafe.measures.counts import events_view_sql
    from commsafe.reference.areas import districts_within

    if within is None:
        return store.con.execute(
            "SELECT area_code, any_value(area_name) AS area_name FROM areas "
            "WHERE area_type = 'lsoa11' GROUP BY 1").df()
    districts = (districts_within(store.con, within)
                 if within.level in ("district", "csp", "pfa") else [])
    codes = store.con.execute(
        "SELECT DISTINCT from_code AS area_code FROM area_links WHERE from_type = 'lsoa11' "
        "AND to_type = 'district' AND list_contains(?, to_code)", [districts]).df()
    placed = store.con.sql(
        f"SELECT DISTINCT lsoa11 AS area_code FROM ({events_view_sql()}) v "
        f"WHERE {within.level} = $code AND lsoa11 IS NOT NULL",
        params={"code": within.code}).df()
    codes = pd.concat([codes, placed]).drop_duplicates()
    names = store.con.execute(
        "SELECT area_code, any_value(area_name) AS area_name FROM areas "
        "WHERE area_type = 'lsoa11' GROUP BY area_code").df()
    return codes.merge(names, on="area_code", how="left")


def _lsoa11_population(store: Store, year: int) -> Any:
    """Population of 2011 LSOAs in ``year`` or the nearest year loaded for them."""
    from commsafe.reference.areas import AreaPopulation, nearest_year, population_note

    years = [int(r[0]) for r in store.con.execute(
        "SELECT DISTINCT year FROM population WHERE area_type = 'lsoa11' AND sex = 'persons' "
        "AND age_band = 'all' ORDER BY year").fetchall()]
    if not years:
        return AreaPopulation("lsoa11", None, year, pd.DataFrame(
            {"area_code": pd.Series([], dtype=str), "population": pd.Series([], dtype=float)}),
            "no 2011 LSOA population loaded: rates cannot be computed. Load population (e.g. "
            "census_2011_population_hh.csv) with 'commsafe reference load'.")
    used = nearest_year(years, year)
    frame = store.con.execute(
        "SELECT area_code, any_value(population) AS population FROM population "
        "WHERE area_type = 'lsoa11' AND sex = 'persons' AND age_band = 'all' AND year = ? "
        "GROUP BY 1", [used]).df()
    return AreaPopulation("lsoa11", used, year, frame, population_note(year, used))


def _areas_within(store: Store, level: str, within: Area | None) -> pd.DataFrame:
    if level == "lsoa11":
        return _lsoa11_within(store, within)
    area_type = AREA_LEVELS[level][1]
    if within is None:
        return store.con.execute(
            "SELECT area_code, area_name FROM areas WHERE area_type = ?", [area_type]).df()
    chain = """
        WITH link AS (
            SELECT from_type, from_code, to_type,
                   arg_max(to_code, (coalesce(vintage, 0), to_code)) AS to_code
            FROM area_links GROUP BY ALL
        ), m AS (
            SELECT a.area_code AS lsoa, w.to_code AS ward, d.to_code AS district,
                   c.to_code AS csp, p.to_code AS pfa
            FROM areas a
            LEFT JOIN link w ON w.from_type = 'lsoa21' AND w.to_type = 'ward'
                 AND w.from_code = a.area_code
            LEFT JOIN link d ON d.from_type = 'lsoa21' AND d.to_type = 'district'
                 AND d.from_code = a.area_code
            LEFT JOIN link c ON c.from_type = 'district' AND c.to_type = 'csp'
                 AND c.from_code = d.to_code
            LEFT JOIN link p ON p.from_type = 'district' AND p.to_type = 'pfa'
                 AND p.from_code = d.to_code
            WHERE a.area_type = 'lsoa21'
        )
    """
    codes = store.con.execute(
        f"{chain} SELECT DISTINCT {level} AS area_code FROM m WHERE {within.level} = ? "
        f"AND {level} IS NOT NULL", [within.code]).df()
    names = store.con.execute(
        "SELECT area_code, any_value(area_name) AS area_name FROM areas WHERE area_type = ? "
        "GROUP BY area_code", [area_type]).df()
    return codes.merge(names, on="area_code", how="left")


def rates_table(store: Store, by: str, *, period: periods.Period,
                categories: Sequence[str] | None = None, within: Area | None = None,
                where: str | None = None, include_asb: bool = False, asb_only: bool = False,
                level: float = 0.95, harm: HarmWeights | None = None) -> pd.DataFrame:
    """Count, population and rate per 1,000 for every area of level ``by``.

    With ``harm`` weights, ``harm`` (Σ count × weight over the crime types) and
    ``harm_per_1000`` follow the contract columns; types without a weight are named in the
    notes and left out of the harm.
    """
    if by not in LEVELS:
        raise InputError(f"--by {by!r}: choose from {', '.join(LEVELS)}.")
    from commsafe.measures.counts import events_view_sql

    conds = [category_filter(categories, include_asb=include_asb, asb_only=asb_only),
             f"month_start BETWEEN DATE '{period.start}' AND DATE '{period.end}'"]
    if within is not None:
        conds.append(f"{within.level} = {_quote(within.code)}")
    if where:
        conds.append(f"({where})")
    counts = store.con.execute(
        f"SELECT {by} AS area_code, count(*) AS count, "
        "count(*) FILTER (WHERE longitude IS NULL) AS no_location "
        f"FROM ({events_view_sql()}) v WHERE {' AND '.join(conds)} GROUP BY 1").df()
    unplaced = int(counts.loc[counts["area_code"].isna(), "count"].sum())
    no_location = int(counts.loc[counts["area_code"].isna(), "no_location"].sum())
    counts = counts[counts["area_code"].notna()][["area_code", "count"]]
    areas = areas_within(store, by, within)
    frame = areas.merge(counts, on="area_code", how="outer")
    frame["count"] = frame["count"].fillna(0).astype("int64")
    year = period.start.year if period.kind != "calendar_year" else int(period.label)
    pop = _lsoa11_population(store, year) if by == "lsoa11" else store_population(store, by,
                                                                                   year)
    frame["population"] = frame["area_code"].map(pop.get)
    rates = [rate_per_1000(int(n), p) for n, p in zip(frame["count"], frame["population"],
                                                     strict=True)]
    cis = [rate_ci_per_1000(int(n), p, level) for n, p in zip(frame["count"],
                                                              frame["population"], strict=True)]
    frame["rate_per_1000"] = rates
    frame["rate_ci_low"] = [c[0] for c in cis]
    frame["rate_ci_high"] = [c[1] for c in cis]
    total = int(frame["count"].sum())
    frame["share"] = frame["count"] / total if total else 0.0
    frame = frame.sort_values(
        ["rate_per_1000", "count", "area_code"], ascending=[False, False, True],
        na_position="last").reset_index(drop=True)
    frame["rank"] = range(1, len(frame) + 1)
    notes = []
    extra: list[str] = []
    if harm is not None:
        by_type = store.con.execute(
            f"SELECT {by} AS area_code, category, count(*) AS n FROM ({events_view_sql()}) v "
            f"WHERE {' AND '.join(conds)} AND {by} IS NOT NULL GROUP BY ALL").df()
        weights = {c: harm.weight_for(c) for c in by_type["category"].unique()}
        unweighted = sorted(c for c, w in weights.items() if w is None)
        by_type["harm"] = [n * (weights[c] or 0.0) for c, n in zip(by_type["category"],
                                                                   by_type["n"], strict=True)]
        per_area = by_type.groupby("area_code")["harm"].sum()
        frame["harm"] = frame["area_code"].map(per_area).fillna(0.0)
        frame["harm_per_1000"] = [None if r is None or p is None or p != p or p <= 0
                                  else h * 1000 / p for h, p, r in
                                  zip(frame["harm"], frame["population"],
                                      frame["rate_per_1000"], strict=True)]
        extra = ["harm", "harm_per_1000"]
        notes.append(f"harm: counts × weights from {harm.path}")
        if unweighted:
            notes.append("no harm weight (left out of harm): " + ", ".join(unweighted))
    frame = frame[[*RATE_COLUMNS, *extra]]
    if pop.note:
        notes.append(pop.note)
    if frame["population"].isna().any():
        missing = frame.loc[frame["population"].isna(), "area_code"].tolist()
        notes.append(f"no population for {len(missing)} area(s) ({', '.join(missing[:5])}"
                     f"{' …' if len(missing) > 5 else ''}): no rate shown")
    if unplaced:
        why = "no location"
        if no_location < unplaced:
            why = (f"{no_location:,} with no location, {unplaced - no_location:,} whose LSOA "
                   f"has no {by} in the lookups loaded") if no_location else \
                f"their LSOA has no {by} in the lookups loaded"
        notes.append(f"{unplaced:,} event(s) of this selection could not be placed in a "
                     f"{by} ({why}) and are not in any row")
    frame.attrs.update(notes=notes, population_year=pop.year, period=period.label,
                       level=by, within=within.name if within else None)
    return frame
