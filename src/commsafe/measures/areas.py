"""Where: annual averages, changes, top locations and data quality by area.

Output columns are a contract:

``annual_average_by_area``
    ``area_code, area_name, years_with_data, total, annual_average, rank``. One row per area of
    level ``by`` (inside ``within`` when given; areas with no events are listed with 0). The
    average is ``total / years_with_data`` over the years asked for that have data: a year has
    data for an area when the area's force published any street-level record (crime or ASB)
    in at least one of the year's months. A year with no data is *not available*, never zero,
    and is named in ``attrs['notes']``, as are part years (their events are counted and the
    year counts as one). Coverage is judged per area by its force, the one with the most
    events in it (police.uk places a few events outside their force's area, so "any force
    with an event there" would be too many): in a store holding two forces, a year one of them
    did not publish is not available for its areas only. An area with no events at all is
    judged by the forces in scope (:func:`forces_covering`).
    ``rank`` is 1 for the highest average; equal averages share a rank (1, 2, 2, 4).
``change_by_area``
    ``area_code, area_name, count_before, count_after, change, pct_change, p_value,
    significant``, ordered by ``change`` (largest rise first). ``pct_change`` is None ("No
    calc") when ``count_before`` is below ``min_base``. ``p_value`` and ``significant`` come
    from :func:`commsafe.measures.significance.change_test` with the two periods' lengths in
    months as exposures (a quarter against a year is fair). A period with months of no data is
    named in the notes; its count covers only the months with data.
``top_locations``
    ``location, count, share, rank``: police.uk snap-point names ("On or near Market Street")
    with the most events; ``share`` is the fraction of the selection's events *that have a
    location*. Events with no location ("No Location", empty) are left out (see
    :func:`data_quality`). Locations tied with the n-th are all kept.
``data_quality``
    a :class:`QualityNote`: of the selection's events in the period, how many have no location
    (no coordinates: they appear on no map and in no area) and how many have a location that no
    loaded reference data places in an area (``unresolved``). The two do not overlap.

    With ``within``: an event with no location cannot be placed in the area at all, so the
    share cannot be that of the area's events. It is instead the share among the events of the
    force(s) covering the area in the period (:func:`forces_covering`) for the same
    period, categories and ``where``, and the text says so ("… in the force covering
    Cambridge"). A ``where`` on area columns (ward, lsoa, …) cannot see events without a
    location, so leave such conditions to ``within``.

Every frame carries ``attrs['notes']`` (caveats and defaults) and ``attrs['level']``. Numbers
are unrounded; wording belongs to :mod:`commsafe.findings`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import duckdb
import pandas as pd

from commsafe import periods
from commsafe.errors import InputError
from commsafe.measures.counts import events_view_sql, where_error
from commsafe.measures.rates import areas_within, category_filter
from commsafe.measures.rounding import pct_change
from commsafe.measures.significance import change_test
from commsafe.measures.trends import missing_months_text
from commsafe.periods import Period
from commsafe.reference.areas import AREA_LEVELS, Area
from commsafe.store import Store

__all__ = [
    "ANNUAL_COLUMNS",
    "CHANGE_COLUMNS",
    "LOCATION_COLUMNS",
    "QualityNote",
    "annual_average_by_area",
    "area_names",
    "change_by_area",
    "count_by_area",
    "coverage",
    "data_quality",
    "force_monthly",
    "forces_covering",
    "months_with_data",
    "selection_condition",
    "top_locations",
]

ANNUAL_COLUMNS = ("area_code", "area_name", "years_with_data", "total", "annual_average",
                  "rank")
CHANGE_COLUMNS = ("area_code", "area_name", "count_before", "count_after", "change",
                  "pct_change", "p_value", "significant")
LOCATION_COLUMNS = ("location", "count", "share", "rank")

#: an event without a location: no coordinates (police.uk's "No Location" rows)
NO_LOCATION = "longitude IS NULL"
#: a location text that names no place
_NO_LOCATION_TEXT = "(location IS NULL OR trim(location) = '' OR lower(trim(location)) = " \
                    "'no location')"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _check_level(by: str) -> None:
    if by not in AREA_LEVELS:
        raise InputError(f"--by {by!r}: choose from {', '.join(AREA_LEVELS)}.")


def _period_sql(period: Period) -> str:
    return f"month_start BETWEEN DATE '{period.start}' AND DATE '{period.end}'"


def selection_condition(*, categories: Sequence[str] | None = None,
                        within: Area | None = None, where: str | None = None,
                        include_asb: bool = False, asb_only: bool = False) -> str:
    """SQL condition over the events view for a selection (no period)."""
    if include_asb and asb_only:
        raise InputError("include_asb and asb_only contradict each other; give one.")
    if isinstance(categories, str):
        raise InputError(f"categories={categories!r} is a single string; give a list of crime "
                         f"types, e.g. [{categories!r}].")
    conds = [category_filter(categories, include_asb=include_asb, asb_only=asb_only)]
    if within is not None:
        conds.append(f"{within.level} = {_quote(within.code)}")
    if where:
        conds.append(f"({where})")
    return " AND ".join(conds)


def _run(store: Store, sql: str, where: str | None) -> pd.DataFrame:
    """Run ``sql``; a failure caused by ``where`` is explained as a QueryError."""
    try:
        return store.con.execute(sql).df()
    except duckdb.Error as exc:
        raise where_error(where, exc) from None


def forces_covering(store: Store, within: Area | None = None, where: str | None = None,
                    period: Period | None = None) -> list[str]:
    """The forces in scope of a selection.

    Without ``within``: every force with an event matching ``where`` (in ``period``). With
    ``within``: the forces that police some part of it, i.e. each force that has the most
    events of some LSOA inside the area. police.uk places a few events outside their force's
    area, and a force with a handful of stray events there does not cover it.
    """
    conds = []
    if within is not None:
        conds.append(f"{within.level} = {_quote(within.code)}")
    if where:
        conds.append(f"({where})")
    if period is not None:
        conds.append(_period_sql(period))
    cond = " AND ".join(conds) or "TRUE"
    if within is not None:
        frame = _run(store, f"""
            SELECT DISTINCT arg_max(force, (n, force)) AS force FROM (
                SELECT lsoa, force, count(*) AS n FROM ({events_view_sql()}) v
                WHERE {cond} AND lsoa IS NOT NULL GROUP BY ALL)
            GROUP BY lsoa ORDER BY 1""", where)
        if len(frame):
            return [str(f) for f in frame["force"]]
    frame = _run(store, f"SELECT DISTINCT force FROM ({events_view_sql()}) v WHERE {cond} "
                        "ORDER BY 1", where)
    return [str(f) for f in frame["force"]]


def months_with_data(store: Store, *, within: Area | None = None,
                     where: str | None = None) -> set[date]:
    """Months for which every force in scope published street-level records (crime or ASB).

    The forces in scope are :func:`forces_covering` ``within`` (matching ``where``). A month
    missing from the result has no data (never read it as zero).
    """
    forces = forces_covering(store, within, where)
    if not forces:
        return set()
    rows = store.con.execute(
        "SELECT month FROM events WHERE force IN ("
        + ", ".join(_quote(f) for f in forces)
        + f") GROUP BY month HAVING count(DISTINCT force) = {len(forces)}").fetchall()
    return {periods.as_month(r[0]) for r in rows}


COVERAGE_COLUMNS = ("force", "month", "rows", "status")


def coverage(store: Store, *, within: Area | None, months: Sequence[date]) -> pd.DataFrame:
    """Which force-months have street-level data: ``force, month`` ('YYYY-MM'), ``rows``
    (street records of the whole force that month, crime and ASB) and ``status``
    (``present`` or ``missing``), for every force covering ``within`` and every month
    asked. A missing force-month is a gap in the published data, never a zero."""
    forces = forces_covering(store, within, None)
    wanted = sorted(set(months))
    got: dict[tuple[str, date], int] = {}
    if forces and wanted:
        for force, month, n in store.con.execute(
                "SELECT force, month, count(*) FROM events WHERE list_contains(?, force) "
                "AND list_contains(?, month) GROUP BY ALL", [forces, wanted]).fetchall():
            got[(str(force), periods.as_month(month))] = int(n)
    rows = [{"force": f, "month": periods.month_label(m), "rows": got.get((f, m), 0),
             "status": "present" if (f, m) in got else "missing"}
            for f in forces for m in wanted]
    frame = pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))
    return frame.astype({"rows": "int64"})


def force_monthly(store: Store, forces: Sequence[str]) -> pd.DataFrame:
    """``force, category, month, count``: every force's street-level records by police.uk
    category (ASB included) and month, for the months the force published (a month it did
    not publish has no rows; a category without records in a published month has none
    either, and counts 0)."""
    frame = store.con.execute(
        "SELECT force, category, month, count(*) AS count FROM events "
        "WHERE list_contains(?, force) GROUP BY ALL ORDER BY ALL", [list(forces)]).df()
    frame["month"] = [periods.as_month(m) for m in frame["month"]]
    return frame


def area_names(store: Store, by: str) -> dict[str, str]:
    """Area code → name for every area of level ``by`` in the reference data."""
    _check_level(by)
    rows = store.con.execute(
        "SELECT area_code, any_value(area_name) FROM areas WHERE area_type = ? GROUP BY 1",
        [AREA_LEVELS[by][1]]).fetchall()
    return {str(c): str(n) for c, n in rows}


def count_by_area(store: Store, by: str, *, period: Period,
                  categories: Sequence[str] | None = None, within: Area | None = None,
                  where: str | None = None, include_asb: bool = False,
                  asb_only: bool = False) -> pd.Series:
    """Events per area of level ``by`` in ``period``: every area (inside ``within``), 0 if none.

    Indexed by area code, named ``count``. ``attrs['unplaced']`` counts the selection's events
    that are in no area of that level (no location, or unresolved).
    """
    _check_level(by)
    cond = selection_condition(categories=categories, within=within, where=where,
                               include_asb=include_asb, asb_only=asb_only)
    counts = _run(store, f"SELECT {by} AS area_code, count(*) AS n FROM ({events_view_sql()}) v"
                         f" WHERE {cond} AND {_period_sql(period)} GROUP BY 1", where)
    unplaced = int(counts.loc[counts["area_code"].isna(), "n"].sum())
    counts = counts[counts["area_code"].notna()]
    areas = areas_within(store, by, within)
    codes = sorted(set(areas["area_code"].dropna()) | set(counts["area_code"]))
    found = dict(zip(counts["area_code"], counts["n"], strict=True))
    series = pd.Series([int(found.get(c, 0)) for c in codes],
                       index=pd.Index(codes, name="area_code"), name="count", dtype="int64")
    series.attrs["unplaced"] = unplaced
    return series


def _check_disjoint(chosen: Sequence[Period], what: str) -> None:
    ordered = sorted(chosen, key=lambda p: p.start)
    for a, b in pairwise(ordered):
        if b.start <= a.end:
            raise InputError(f"{what}: {a.label} and {b.label} overlap; give periods that do "
                             "not share months.")


def _names_frame(store: Store, by: str, within: Area | None,
                 codes: Sequence[str]) -> pd.DataFrame:
    names = area_names(store, by)
    return pd.DataFrame({"area_code": pd.Series(list(codes), dtype=object),
                         "area_name": pd.Series([names.get(c) for c in codes], dtype=object)})


def _notes_unplaced(unplaced: int, by: str) -> list[str]:
    if not unplaced:
        return []
    return [f"{unplaced:,} event(s) of this selection could not be placed in a {by} "
            "(no location, or unresolved) and are not in any row"]


def _force_months(store: Store) -> dict[str, set[date]]:
    """Force → the months it published street-level records for (crime or ASB)."""
    rows = store.con.execute("SELECT force, month FROM events GROUP BY ALL").fetchall()
    out: dict[str, set[date]] = {}
    for force, month in rows:
        out.setdefault(str(force), set()).add(periods.as_month(month))
    return out


def _main_forces(store: Store, by: str) -> dict[str, str]:
    """Area code → the force with the most events in it (any time, crime and ASB)."""
    frame = store.con.execute(
        f"SELECT {by} AS area_code, force, count(*) AS n FROM ({events_view_sql()}) v "
        f"WHERE {by} IS NOT NULL GROUP BY ALL ORDER BY area_code, n DESC, force").df()
    first = frame.drop_duplicates("area_code")
    return dict(zip(first["area_code"], first["force"], strict=True))


def annual_average_by_area(store: Store, by: str, *, years: Sequence[Period],
                           categories: Sequence[str] | None = None, within: Area | None = None,
                           where: str | None = None, include_asb: bool = False,
                           asb_only: bool = False) -> pd.DataFrame:
    """Total and annual average per area over ``years`` (financial or calendar years).

    The average of an area is over the years that have data for it (see the module
    docstring); ``years_with_data`` says how many. An area with no year available has a NaN
    average (not 0) and no rank.
    """
    _check_level(by)
    selection_condition(categories=categories, within=within, where=where,
                        include_asb=include_asb, asb_only=asb_only)  # validate it first
    chosen = list(years)
    if not chosen:
        raise InputError("years is empty; give at least one period, e.g. 2022/23:2024/25.")
    _check_disjoint(chosen, "years")
    per_year = {p.label: count_by_area(store, by, period=p, categories=categories,
                                       within=within, where=where, include_asb=include_asb,
                                       asb_only=asb_only) for p in chosen}
    counts = pd.concat(per_year, axis=1).fillna(0).astype("int64")
    unplaced = sum(int(s.attrs["unplaced"]) for s in per_year.values())
    force_months = _force_months(store)
    main = _main_forces(store, by)
    scope_months = months_with_data(store, within=within, where=where)

    def covered(code: str) -> set[date]:
        force = main.get(code)
        return force_months.get(force, set()) if force is not None else scope_months

    codes = list(counts.index)
    available = {c: [p for p in chosen if any(m in covered(c) for m in p.months())]
                 for c in codes}
    frame = _names_frame(store, by, within, codes)
    frame["years_with_data"] = [len(available[c]) for c in codes]
    frame["total"] = [int(sum(counts.at[c, p.label] for p in available[c])) for c in codes]
    frame["annual_average"] = [t / n if n else math.nan for t, n in
                               zip(frame["total"], frame["years_with_data"], strict=True)]
    frame = frame.sort_values(["annual_average", "area_code"], ascending=[False, True],
                              na_position="last").reset_index(drop=True)
    frame["rank"] = frame["annual_average"].rank(method="min", ascending=False).astype("Int64")
    frame = frame.astype({"years_with_data": "int64", "total": "int64",
                          "annual_average": "float64"})
    notes: list[str] = []
    for p in chosen:
        lacking = [c for c in codes if p not in available[c]]
        if lacking and len(lacking) == len(codes):
            notes.append(f"no data in the store for {p.label}: not available, left out of the "
                         "average (not counted as zero)")
        elif lacking:
            notes.append(f"no data for {p.label} for {len(lacking)} area(s) "
                         f"({', '.join(lacking[:5])}{' …' if len(lacking) > 5 else ''}): not "
                         "available for them, left out of their average")
    for force in sorted({main[c] for c in codes if c in main}):
        have = force_months.get(str(force), set())
        for p in chosen:
            inside = [m for m in p.months() if m in have]
            if inside and len(inside) < len(p):
                gap = [m for m in p.months() if m not in have]
                notes.append(f"{p.label} is a part year for {force} ({len(inside)} of {len(p)} "
                             f"months; no data for {missing_months_text(gap)}): it counts as a "
                             "whole year in the average, which is therefore lower than a "
                             "full year would give")
    notes.append("each area's years with data are those its force (the one with most events "
                 "in it) published data for")
    notes.extend(_notes_unplaced(unplaced, by))
    frame.attrs.update(notes=notes, level=by, within=within.name if within else None,
                       years=[p.label for p in chosen])
    return frame[list(ANNUAL_COLUMNS)]


def change_by_area(store: Store, by: str, *, before: Period, after: Period,
                   categories: Sequence[str] | None = None, within: Area | None = None,
                   where: str | None = None, include_asb: bool = False, asb_only: bool = False,
                   min_base: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """Counts in ``before`` and ``after`` per area, the change, % change and its exact test."""
    _check_level(by)
    if isinstance(min_base, bool) or not isinstance(min_base, int) or min_base < 1:
        raise InputError(f"min_base {min_base!r} must be a whole number ≥ 1 (e.g. 5).")
    _check_disjoint([before, after], "before and after")
    counts = {}
    for key, p in (("before", before), ("after", after)):
        counts[key] = count_by_area(store, by, period=p, categories=categories, within=within,
                                    where=where, include_asb=include_asb, asb_only=asb_only)
    joined = pd.concat(counts, axis=1).fillna(0).astype("int64")
    frame = _names_frame(store, by, within, list(joined.index))
    frame["count_before"] = joined["before"].to_numpy()
    frame["count_after"] = joined["after"].to_numpy()
    frame["change"] = frame["count_after"] - frame["count_before"]
    tests = [change_test(int(b), int(a), exposure_before=float(len(before)),
                         exposure_after=float(len(after)), alpha=alpha)
             for b, a in zip(frame["count_before"], frame["count_after"], strict=True)]
    frame["pct_change"] = pd.Series(
        [None if b < min_base else pct_change(int(b), int(a))
         for b, a in zip(frame["count_before"], frame["count_after"], strict=True)],
        dtype=object)
    frame["p_value"] = [t.p_value for t in tests]
    frame["significant"] = [bool(t.significant) for t in tests]
    frame = frame.sort_values(["change", "area_code"], ascending=[False, True]
                              ).reset_index(drop=True)
    notes = [f"% change not calculated ('No calc') where the count before is below {min_base}"]
    if len(before) != len(after):
        notes.append(f"{before.label} has {len(before)} months and {after.label} "
                     f"{len(after)}: the test compares counts per month")
    present = months_with_data(store, within=within, where=where)
    for p in (before, after):
        gap = [m for m in p.months() if m not in present]
        if gap:
            notes.append(f"{p.label}: no data for {missing_months_text(gap)}; its count covers "
                         "only the months with data, so the change is not like for like")
    unplaced = int(counts["before"].attrs["unplaced"]) + int(counts["after"].attrs["unplaced"])
    notes.extend(_notes_unplaced(unplaced, by))
    frame.attrs.update(notes=notes, level=by, within=within.name if within else None,
                       before=before.label, after=after.label, min_base=min_base)
    return frame[list(CHANGE_COLUMNS)]


def top_locations(store: Store, *, period: Period, categories: Sequence[str] | None = None,
                  within: Area | None = None, where: str | None = None, n: int = 10,
                  include_asb: bool = False, asb_only: bool = False) -> pd.DataFrame:
    """The ``n`` snap-point locations with the most events (ties with the n-th kept)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n {n!r} must be a whole number ≥ 1 (e.g. 10).")
    cond = selection_condition(categories=categories, within=within, where=where,
                               include_asb=include_asb, asb_only=asb_only)
    located = f"{cond} AND {_period_sql(period)} AND NOT {NO_LOCATION} AND NOT {_NO_LOCATION_TEXT}"
    counts = _run(store, f"""
        SELECT location, count(*) AS count, count(DISTINCT ward) AS wards
        FROM ({events_view_sql()}) v WHERE {located} GROUP BY location""", where)
    total = int(counts["count"].sum())
    counts = counts.sort_values(["count", "location"], ascending=[False, True]
                                ).reset_index(drop=True)
    counts["rank"] = counts["count"].rank(method="min", ascending=False).astype("int64")
    top = counts[counts["rank"] <= n].reset_index(drop=True)
    top["count"] = top["count"].astype("int64")
    top["share"] = top["count"] / total if total else 0.0
    notes = [f"share: of the {total:,} events of this selection with a location"]
    if len(top) > n:
        notes.append(f"{len(top)} locations shown: those tied with the {n}th are all kept")
    spread = top.loc[top["wards"] > 1, "location"].tolist()
    if spread:
        notes.append("a police.uk location name is a snap point's street or place, and the "
                     "same name can stand for places in different wards: "
                     f"{', '.join(spread[:5])}{' …' if len(spread) > 5 else ''} "
                     "cover more than one ward here")
    frame = top[list(LOCATION_COLUMNS)]
    frame.attrs.update(notes=notes, period=period.label, within=within.name if within else None,
                       located_total=total)
    return frame


@dataclass(frozen=True)
class QualityNote:
    """How many of a selection's events cannot be shown by place, and the sentence saying so.

    ``total`` is the events counted (of the selection, or with ``within`` of the forces
    covering the area: ``forces``); ``no_location`` have no coordinates; ``unresolved`` have a
    location that the loaded reference data places in no area. Shares are fractions of
    ``total`` (0 when ``total`` is 0).
    """

    total: int
    no_location: int
    unresolved: int
    share_no_location: float
    share_unresolved: float
    text: str
    forces: tuple[str, ...] = ()
    scope: str | None = None


def data_quality(store: Store, *, period: Period, categories: Sequence[str] | None = None,
                 within: Area | None = None, where: str | None = None,
                 include_asb: bool = False, asb_only: bool = False) -> QualityNote:
    """Events of the selection without a location, or with one placed in no area.

    See the module docstring for what ``within`` does: the counts are then of the forces
    covering the area, because an event with no location cannot be placed inside it.
    """
    from commsafe.findings import quality_sentence, subject_for

    forces: tuple[str, ...] = ()
    scope = None
    if within is None:
        cond = selection_condition(categories=categories, where=where,
                                   include_asb=include_asb, asb_only=asb_only)
    else:
        forces = tuple(forces_covering(store, within, None, period))
        cond = selection_condition(categories=categories, where=where,
                                   include_asb=include_asb, asb_only=asb_only)
        cond += (" AND force IN (" + ", ".join(_quote(f) for f in forces) + ")") if forces \
            else " AND FALSE"
        scope = within.name or within.code
    row = _run(store, f"""
        SELECT count(*) AS total,
               count(*) FILTER ({NO_LOCATION}) AS no_location,
               count(*) FILTER (NOT {NO_LOCATION} AND resolution = 'unresolved') AS unresolved
        FROM ({events_view_sql()}) v WHERE {cond} AND {_period_sql(period)}""", where)
    total, no_loc, unres = (int(row.iloc[0][c]) for c in ("total", "no_location", "unresolved"))
    share_no = no_loc / total if total else 0.0
    share_un = unres / total if total else 0.0
    subject = subject_for(categories, asb_only=asb_only)[0]
    if include_asb and not categories:
        subject = "crimes and ASB incidents"
    text = quality_sentence(total=total, no_location=no_loc, unresolved=unres, subject=subject,
                            period=period, scope=scope, forces=len(forces))
    return QualityNote(total=total, no_location=no_loc, unresolved=unres,
                       share_no_location=share_no, share_unresolved=share_un, text=text,
                       forces=forces, scope=scope)


def source_line(store: Store, where: str | None) -> str:
    """The source line under a chart or map: police.uk and the forces whose records it used."""
    from commsafe.measures.counts import events_view_sql

    view = events_view_sql().replace("SELECT ", "SELECT e.reported_by AS _by, ", 1)
    forces = [r[0] for r in store.con.execute(
        f"SELECT DISTINCT _by FROM ({view}) v WHERE _by IS NOT NULL AND ({where or 'TRUE'}) "
        "ORDER BY 1").fetchall()]
    who = ", ".join(forces[:3]) + (" and others" if len(forces) > 3 else "")
    return f"Source: police.uk street-level crime and ASB data{', ' + who if who else ''}; commsafe"
