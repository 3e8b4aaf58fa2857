"""Most similar groups (MSGs) of Community Safety Partnerships, and a CSP's crime beside its group.

The Home Office's iQuanta compares each CSP with the CSPs most like it. This module builds such
groups from the reference data in the store, every step visible (see docs/similar.md):

* Three variables per CSP, from its residents in one population year:

  - ``deprived_share``: the share of residents living in LSOAs in the most deprived 20% of
    their nation's Index of Multiple Deprivation (deciles 1–2). Each nation (``E``/``W`` from
    the LSOA code) uses the latest index loaded for it (``imd2025-england``,
    ``imd2019-wales``, …). An index on 2011 LSOAs is matched to the 2011 LSOA the residents
    were counted in, one on 2021 LSOAs to the 2021 LSOA they are carried to (a 2021 LSOA
    counted directly but indexed by 2011 LSOAs takes the mean decile of its predecessors).
    Residents of LSOAs the index does not cover are left out of the share (and a note says
    so).
  - ``density``: residents per hectare; the area is the sum of the CSP's districts' boundary
    areas (a district without a boundary: the sum of its 2021 LSOA boundaries), measured in
    British National Grid (EPSG:27700).
  - ``young_share``: the share of residents aged 15–24, from population by single year of age.

  Residents are those of the population year with single years of age nearest the year asked
  for (ties: the later). 2011 LSOA estimates are carried onto 2021 LSOAs as
  :mod:`commsafe.reference.areas` does (splits shared by Census 2021 population); LSOAs roll up
  to districts and districts to CSPs through ``area_links`` (newest vintage; one CSP per
  district).

* Each variable is standardised across the CSPs that have all three (z = (x − mean) / sd, the
  standard deviation of all of them, ddof 0); the distance between two CSPs is the Euclidean
  distance between their z-scores; the group of a CSP is the CSP itself (distance 0, rank 1)
  and its ``size − 1`` nearest CSPs, ties broken by code. The default size is 15, as iQuanta's.

* :func:`similar_comparison` sets a CSP's Home Office recorded crime beside its group's: per
  category the CSP's count and rate per 1,000 residents, the MSG average (the mean of the
  members' rates, the CSP included) and the CSP's rank in the group (1 = highest rate), with the
  members that have no data (not in the table, no rows that year, no population) named in
  the notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from commsafe import hierarchy, periods
from commsafe.errors import InputError, ReferenceDataError
from commsafe.reference.areas import find_area, nearest_year
from commsafe.store import Store, shapes

__all__ = [
    "DEFAULT_SIZE",
    "MEMBER_COLUMNS",
    "SIMILAR_COLUMNS",
    "VARIABLES",
    "Z_COLUMNS",
    "CspVariables",
    "SimilarComparison",
    "csp_variables",
    "most_similar",
    "similar_comparison",
    "similar_group",
]

DEFAULT_SIZE = 15
"""Members of a most similar group, the CSP included (iQuanta's size)."""

VARIABLES: tuple[str, ...] = ("deprived_share", "density", "young_share")
"""The variables, in the order of the z-score columns :data:`Z_COLUMNS`."""

Z_COLUMNS: tuple[str, ...] = ("z_deprived", "z_density", "z_young")
"""The z-score of each of :data:`VARIABLES` (named so tables do not show them as shares)."""

YOUNG = (15, 24)
"""The ages (inclusive) of ``young_share``."""

DEPRIVED_DECILES = 2
"""Deciles 1 … this count as deprived (the most deprived 20%)."""

MEMBER_COLUMNS: tuple[str, ...] = (
    "rank", "csp_code", "csp_name", "distance", "residents", "deprived_share", "density",
    "young_share", "z_deprived", "z_density", "z_young")

SIMILAR_COLUMNS: tuple[str, ...] = (
    "category", "count", "residents", "rate_per_1000", "msg_rate_per_1000", "rank",
    "members_ranked")

_BNG = "EPSG:27700"


# Variables -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CspVariables:
    """The three variables of every CSP the store knows; ``year`` is the population year
    used, ``indexes`` the deprivation index used per nation."""

    frame: pd.DataFrame
    """``csp_code, csp_name, residents, area_ha`` and :data:`VARIABLES` (NaN when unknown)."""
    year: int
    requested: int
    indexes: dict[str, str]
    notes: list[str] = field(default_factory=list)


def _age_years(store: Store) -> dict[int, list[str]]:
    """Years with persons population by single year of age → the LSOA types holding it."""
    found: dict[int, list[str]] = {}
    for year, area_type in store.con.execute(
            "SELECT DISTINCT year, area_type FROM population WHERE area_type IN "
            "('lsoa11', 'lsoa21') AND sex = 'persons' AND age_from = age_to ORDER BY 1, 2"
    ).fetchall():
        found.setdefault(int(year), []).append(str(area_type))
    return found


_YOUNG_SQL = (f"sum(population) FILTER (WHERE age_from = age_to AND age_from BETWEEN "
              f"{YOUNG[0]} AND {YOUNG[1]})")

# Pieces of LSOAs: (lsoa11, lsoa21, district, residents, young); lsoa11 or lsoa21 may be NULL.
_PIECES_21 = f"""
    SELECT NULL::VARCHAR AS lsoa11, area_code AS lsoa21,
           max(population) FILTER (WHERE age_band = 'all') AS residents,
           coalesce({_YOUNG_SQL}, 0) AS young
    FROM population WHERE area_type = 'lsoa21' AND sex = 'persons' AND year = $year
    GROUP BY area_code
"""

_PIECES_11 = f"""
    WITH p11 AS (
        SELECT area_code AS lsoa11,
               max(population) FILTER (WHERE age_band = 'all') AS residents,
               coalesce({_YOUNG_SQL}, 0) AS young
        FROM population WHERE area_type = 'lsoa11' AND sex = 'persons' AND year = $year
        GROUP BY area_code
    ), census AS (
        SELECT area_code AS lsoa21, population FROM population
        WHERE area_type = 'lsoa21' AND sex = 'persons' AND age_band = 'all'
        QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY abs(year - 2021)) = 1
    ), shares AS (
        SELECT l.from_code AS lsoa11, l.to_code AS lsoa21,
               CASE WHEN sum(coalesce(c.population, 0)) OVER (PARTITION BY l.from_code) > 0
                    THEN coalesce(c.population, 0)
                         / sum(coalesce(c.population, 0)) OVER (PARTITION BY l.from_code)
                    ELSE 1.0 / count(*) OVER (PARTITION BY l.from_code) END AS share
        FROM area_links l LEFT JOIN census c ON c.lsoa21 = l.to_code
        WHERE l.from_type = 'lsoa11' AND l.to_type = 'lsoa21'
    )
    SELECT p11.lsoa11, s.lsoa21, p11.residents * coalesce(s.share, 1.0) AS residents,
           p11.young * coalesce(s.share, 1.0) AS young
    FROM p11 LEFT JOIN shares s USING (lsoa11)
"""

_NEWEST = "arg_max(to_code, (coalesce(vintage, 0), to_code))"

_CSP_SQL = f"""
    WITH pieces AS ({{pieces}}),
    l21 AS (SELECT from_code, {_NEWEST} AS district FROM area_links
            WHERE from_type = 'lsoa21' AND to_type = 'district' GROUP BY from_code),
    l11 AS (SELECT from_code, {_NEWEST} AS district FROM area_links
            WHERE from_type = 'lsoa11' AND to_type = 'district' GROUP BY from_code),
    dc AS (SELECT from_code, {_NEWEST} AS csp FROM area_links
           WHERE from_type = 'district' AND to_type = 'csp' GROUP BY from_code),
    latest AS (SELECT nation, arg_max(index_name, index_year) AS index_name
               FROM deprivation GROUP BY nation),
    dep AS (SELECT d.area_type, d.area_code, d.imd_decile FROM deprivation d
            JOIN latest USING (index_name)),
    back AS (  -- 2021 LSOAs indexed through their 2011 predecessors: the mean decile
        SELECT l.to_code AS lsoa21, avg(dep.imd_decile) AS decile
        FROM area_links l JOIN dep ON dep.area_type = 'lsoa11' AND dep.area_code = l.from_code
        WHERE l.from_type = 'lsoa11' AND l.to_type = 'lsoa21' GROUP BY l.to_code
    ), placed AS (
        SELECT p.*, coalesce(l21.district, l11.district) AS district,
               coalesce(d21.imd_decile, d11.imd_decile,
                        CASE WHEN p.lsoa11 IS NULL THEN back.decile END) AS decile
        FROM pieces p
        LEFT JOIN l21 ON l21.from_code = p.lsoa21
        LEFT JOIN l11 ON l11.from_code = p.lsoa11
        LEFT JOIN dep d21 ON d21.area_type = 'lsoa21' AND d21.area_code = p.lsoa21
        LEFT JOIN dep d11 ON d11.area_type = 'lsoa11' AND d11.area_code = p.lsoa11
        LEFT JOIN back ON back.lsoa21 = p.lsoa21
    )
    SELECT dc.csp AS csp_code, sum(residents) AS residents, sum(young) AS young,
           sum(residents) FILTER (WHERE decile IS NOT NULL) AS indexed,
           sum(residents) FILTER (WHERE decile <= {DEPRIVED_DECILES}) AS deprived,
           list(DISTINCT district ORDER BY district) AS districts
    FROM placed JOIN dc ON dc.from_code = placed.district
    WHERE residents IS NOT NULL
    GROUP BY 1 ORDER BY 1
"""


def _hectares(stored: Sequence[bytes]) -> np.ndarray:
    """Areas in hectares of stored boundary shapes (EPSG:4326), measured in EPSG:27700."""
    import shapely
    from pyproj import Transformer

    if not len(stored):
        return np.empty(0, dtype=np.float64)
    geoms = shapes.decode(stored)
    to_bng = Transformer.from_crs("EPSG:4326", _BNG, always_xy=True)
    projected = shapely.transform(geoms, lambda xy: np.column_stack(
        to_bng.transform(xy[:, 0], xy[:, 1])))
    return np.asarray(shapely.area(projected), dtype=np.float64) / 10_000.0


def _district_hectares(store: Store, districts: Sequence[str]) -> dict[str, float]:
    """Hectares of each district: its boundary, else the sum of its 2021 LSOA boundaries."""
    rows = store.con.execute(
        "SELECT area_code, geometry FROM boundaries WHERE area_type = 'district' AND "
        "list_contains(?, area_code) ORDER BY 1", [list(districts)]).fetchall()
    found = dict(zip([str(r[0]) for r in rows], _hectares([r[1] for r in rows]).tolist(),
                     strict=True))
    missing = [d for d in districts if d not in found]
    if missing:
        rows = store.con.execute(
            f"""SELECT l.district, b.geometry FROM boundaries b JOIN (
                    SELECT from_code, {_NEWEST} AS district FROM area_links
                    WHERE from_type = 'lsoa21' AND to_type = 'district' GROUP BY from_code
                ) l ON l.from_code = b.area_code
                WHERE b.area_type = 'lsoa21' AND list_contains(?, l.district)""",
            [missing]).fetchall()
        sums: dict[str, float] = {}
        for d, ha in zip([str(r[0]) for r in rows], _hectares([r[1] for r in rows]).tolist(),
                         strict=True):
            sums[d] = sums.get(d, 0.0) + ha
        found.update(sums)
    return found


def csp_variables(store: Store, year: int) -> CspVariables:
    """The three MSG variables of every CSP (see the module's docstring) for the population
    year nearest ``year`` that has single years of age.

    Raises ReferenceDataError when no population by single year of age is loaded. A CSP
    lacking a variable (no deprivation index for its LSOAs, no boundary) keeps its row with
    NaN there.
    """
    key = ("similar_variables", year)
    if key in store.memo:
        return store.memo[key]  # type: ignore[return-value]
    ages = _age_years(store)
    if not ages:
        raise ReferenceDataError(
            "no population by single year of age in the store, so the share of residents "
            "aged 15–24 (a most-similar-group variable) cannot be worked out. Fix: load the "
            "mid-year estimates (e.g. mid2019_lsoa11_persons_single_year_of_age.csv) with "
            "'commsafe reference load'.")
    used = nearest_year(list(ages), year)
    pieces = _PIECES_21 if "lsoa21" in ages[used] else _PIECES_11
    counts = store.con.execute(_CSP_SQL.format(pieces=pieces), {"year": used}).df()
    names = dict(store.con.execute(
        "SELECT area_code, arg_max(area_name, coalesce(vintage, 0)) FROM areas "
        "WHERE area_type = 'csp' GROUP BY 1").fetchall())
    indexes = dict(store.con.execute(
        "SELECT nation, arg_max(index_name, index_year) FROM deprivation GROUP BY 1 "
        "ORDER BY 1").fetchall())
    districts = sorted({d for ds in counts["districts"] for d in ds})
    hectares = _district_hectares(store, districts)
    area_ha = [sum(hectares[d] for d in ds) if all(d in hectares for d in ds) else np.nan
               for ds in counts["districts"]]
    residents = counts["residents"].astype(float)
    indexed = counts["indexed"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame({
            "csp_code": counts["csp_code"].astype(str),
            "csp_name": [names.get(c) for c in counts["csp_code"]],
            "residents": residents,
            "area_ha": np.asarray(area_ha, dtype=np.float64),
            "deprived_share": np.where(indexed > 0, counts["deprived"].fillna(0).astype(float)
                                       / indexed, np.nan),
            "density": np.where(np.asarray(area_ha, dtype=np.float64) > 0,
                                residents / np.asarray(area_ha, dtype=np.float64), np.nan),
            "young_share": np.where(residents > 0, counts["young"].astype(float) / residents,
                                    np.nan),
        })
    notes = [f"residents: population estimates for {used}"
             + (f" (the year with single years of age nearest {year})" if used != year else "")]
    if indexes:
        notes.append("deprivation: " + ", ".join(f"{v} for {k.title()}"
                                                 for k, v in sorted(indexes.items())))
    else:
        notes.append("no deprivation index loaded: no CSP has a deprived share. Load the IMD "
                     "files with 'commsafe reference load'")
    partial = frame[(indexed < residents * 0.99) & (indexed > 0)]
    if not partial.empty:
        notes.append("residents outside the deprivation index loaded are left out of the "
                     "deprived share of: " + ", ".join(
                         f"{r.csp_name or r.csp_code} ({i / r.residents:.0%} covered)"
                         for r, i in zip(partial.itertuples(), indexed[partial.index],
                                         strict=True)))
    empty = sorted(str(n or c) for c, n in names.items() if c not in set(frame["csp_code"]))
    if empty:
        notes.append(f"{len(empty)} CSPs of the lookup have no residents of their own (a "
                     "district in several CSPs counts in one, its newest, as for rates) and "
                     "are in no group: " + ", ".join(empty))
    lacking = frame[frame[list(VARIABLES)].isna().any(axis=1)]
    if not lacking.empty:
        notes.append(f"{len(lacking)} CSPs lack a variable and are in no group: "
                     + ", ".join(str(n or c) for c, n in zip(lacking["csp_code"],
                                                            lacking["csp_name"], strict=True)))
    result = CspVariables(frame, used, year, indexes, notes)
    store.memo[key] = result
    return result


# Groups --------------------------------------------------------------------------------------

def most_similar(variables: pd.DataFrame, code: str, size: int = DEFAULT_SIZE) -> pd.DataFrame:
    """The most similar group of the CSP ``code`` among the rows of ``variables`` (columns
    ``csp_code``, ``csp_name``, ``residents`` and :data:`VARIABLES`).

    Rows lacking a variable are left out; each variable is z-scored over the rest (mean and
    standard deviation with ddof 0; a variable that does not vary gets z = 0); the distance is
    Euclidean over the z-scores. Returns :data:`MEMBER_COLUMNS`: the CSP first (rank 1,
    distance 0), then the ``size − 1`` nearest in order of distance, ties by code; fewer when
    there are fewer CSPs.
    """
    if size < 2:
        raise InputError(f"--size {size}: a most similar group needs at least 2 members (the "
                         "CSP and one other). Fix: give --size 2 or more (default 15).")
    full = variables.dropna(subset=list(VARIABLES)).reset_index(drop=True)
    if code not in set(full["csp_code"]):
        row = variables[variables["csp_code"] == code]
        if row.empty:
            raise ReferenceDataError(f"{code}: no such CSP among those with residents in the "
                                     "store. Fix: load the LTLA → CSP → PFA lookup and the "
                                     "population with 'commsafe reference load'.")
        missing = [v for v in VARIABLES if pd.isna(row.iloc[0][v])]
        raise ReferenceDataError(
            f"{row.iloc[0]['csp_name'] or code} ({code}): no {', '.join(missing)} in the "
            "store, so it has no most similar group. Fix: load "
            + " and ".join({"deprived_share": "the deprivation (IMD) files for its nation",
                            "density": "its district (ltla) boundaries",
                            "young_share": "population by single year of age"}[m]
                           for m in missing)
            + " with 'commsafe reference load'.")
    values = full[list(VARIABLES)].to_numpy(dtype=np.float64)
    sd = values.std(axis=0, ddof=0)
    z = np.where(sd > 0, (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
    me = int(np.flatnonzero(full["csp_code"].to_numpy() == code)[0])
    distance = np.sqrt(((z - z[me]) ** 2).sum(axis=1))
    distance[me] = 0.0
    out = full[["csp_code", "csp_name", "residents", *VARIABLES]].copy()
    out["distance"] = distance
    for i, name in enumerate(Z_COLUMNS):
        out[name] = z[:, i]
    out["_self"] = out["csp_code"] != code
    out = out.sort_values(["_self", "distance", "csp_code"], kind="mergesort").head(size)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[list(MEMBER_COLUMNS)].reset_index(drop=True)


def similar_group(store: Store, csp: str, year: int, size: int = DEFAULT_SIZE
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The most similar group (:data:`MEMBER_COLUMNS`) of the CSP called ``csp`` (ONS code or
    name) in population year ``year``, and the notes that go with it."""
    area = find_area(store.con, csp, "csp")
    return _group(store, area.code, year, size)


def _group(store: Store, code: str, year: int, size: int) -> tuple[pd.DataFrame, list[str]]:
    found = csp_variables(store, year)
    members = most_similar(found.frame, code, size)
    notes = list(found.notes)
    eligible = int(found.frame.dropna(subset=list(VARIABLES)).shape[0])
    notes.append(f"most similar group of {members.iloc[0]['csp_name'] or code}: {len(members)} "
                 f"of {eligible} CSPs with all three variables (z-scores of the deprived "
                 "share, residents per hectare and share aged 15–24; Euclidean distance)")
    if len(members) < size:
        notes.append(f"only {len(members)} CSPs have all three variables, fewer than the "
                     f"{size} asked for")
    return members, notes


# Comparison ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SimilarComparison:
    """A CSP's recorded crime beside its most similar group."""

    table: pd.DataFrame
    """:data:`SIMILAR_COLUMNS`, one row per category (``attrs['notes']`` holds the notes)."""
    members: pd.DataFrame
    """The group (:data:`MEMBER_COLUMNS`) with ``count`` (All crime), ``rate_per_1000`` and
    ``data`` (``yes`` or why not)."""
    notes: list[str]


def similar_comparison(store: Store, data: Any, csp: str, *, year: str,
                       size: int = DEFAULT_SIZE, by: str = "police_uk") -> SimilarComparison:
    """The CSP ``csp`` (its Home Office or ONS name) beside its most similar group in the
    Home Office police recorded crime table ``data``
    (:class:`commsafe.sources.home_office.RecordedCrime`, by CSP) in financial ``year``.

    The group is :func:`similar_group`'s for the year the financial year starts in. Per
    category (All crime and the police.uk crime types, or the offence groups with
    ``by='group'``): the CSP's count, residents and rate per 1,000 residents
    (:func:`commsafe.measures.rates.store_population`), the MSG average rate (the mean of the
    members' rates, the CSP's included) and the CSP's rank among the members with a rate (1 =
    the highest; equal rates share the better rank), out of ``members_ranked``. Members with
    no data — no CSP of the table matches them, they have no rows in the year, or no population
    is loaded for them — have no rate, are in neither the average nor the ranking, and are
    named in the notes. Fraud is in no category.
    """
    from commsafe.measures.rates import store_population
    from commsafe.sources import home_office as ho

    if by not in ("police_uk", "group"):
        raise InputError(f"--by {by!r}: the most similar group comparison is by police_uk "
                         "crime type or by offence group.")
    label = periods.parse_period("financial_year", year).label
    if label not in data.years:
        raise InputError(f"--year {year}: not in {data.path.name} (years: "
                         f"{', '.join(data.years)}).")
    _, csp_name = ho.find_csp(data, csp)
    names_ho = data.csp_names()
    mapping = ho.map_csp_names(store.con, names_ho)
    if csp_name not in mapping.mapped:
        hint = mapping.unmapped.get(csp_name)
        raise InputError(
            f"{data.path}: CSP {csp_name!r} matches no CSP in the store"
            + (f" (did you mean {hint!r}?)" if hint else "")
            + ". Fix: load the LTLA → CSP → PFA lookup with 'commsafe reference load', or "
            "give the CSP by its ONS name.")
    code = mapping.mapped[csp_name][0]
    start_year = periods.parse_period("financial_year", label).start.year
    members, notes = _group(store, code, start_year, size)
    pop = store_population(store, "csp", start_year)
    if pop.note:
        notes.append(f"rates: {pop.note}")
    frame = data.frame[~data.frame["fraud"] & (data.frame["year"] == label)]
    with_rows = set(zip(frame["force"], frame["csp"], strict=True))
    ho_of: dict[str, list[str]] = {}
    for name, (c, _) in mapping.mapped.items():
        ho_of.setdefault(c, []).append(name)
    pairs = data.frame.loc[~data.frame["fraud"], ["force", "csp"]].drop_duplicates()
    force_of = dict(zip(pairs["csp"], pairs["force"], strict=True))
    by_force: dict[str, pd.DataFrame] = {}
    counts: dict[str, dict[str, int]] = {}
    why: dict[str, str] = {}
    cats: dict[str, None] = {}
    for member in members["csp_code"]:
        names = ho_of.get(member, [])
        present = [n for n in names if (force_of[n], n) in with_rows]
        if not names:
            why[member] = f"not in {data.path.name}"
            continue
        if not present:
            why[member] = f"no rows in {label}"
            continue
        got: dict[str, int] = {}
        for n in present:
            force = force_of[n]
            if force not in by_force:
                by_force[force] = ho.csp_counts(data, force, label, by=by)[0]
            part = by_force[force]
            for cat, k in zip(part.loc[part["csp"] == n, "category"],
                              part.loc[part["csp"] == n, "count"], strict=True):
                cats.setdefault(str(cat), None)
                got[str(cat)] = got.get(str(cat), 0) + int(k)
        counts[member] = got
        if not pop.get(member):
            why[member] = f"no population loaded for {start_year}"
    name_of = dict(zip(members["csp_code"], members["csp_name"], strict=True))
    rated = [m for m in members["csp_code"] if m in counts and m not in why]
    rows: list[dict[str, object]] = []
    for cat in [r.name for r in hierarchy.order_categories(list(cats))]:
        rates = {m: counts[m].get(cat, 0) * 1000.0 / float(pop.get(m) or 0) for m in rated}
        mine = rates.get(code)
        rows.append({
            "category": cat,
            "count": counts[code].get(cat, 0) if code in counts else None,
            "residents": pop.get(code),
            "rate_per_1000": mine,
            "msg_rate_per_1000": float(np.mean(list(rates.values()))) if rates else None,
            "rank": (1 + sum(r > mine for r in rates.values())) if mine is not None else None,
            "members_ranked": len(rates),
        })
    table = pd.DataFrame.from_records(rows, columns=list(SIMILAR_COLUMNS))
    notes.insert(0, f"Home Office police recorded crime, {data.path.name}, {label}: "
                    f"{name_of[code] or code} beside its most similar group of "
                    f"{len(members)} CSPs")
    notes.append("group: " + ", ".join(str(name_of[m] or m) for m in members["csp_code"]))
    if why:
        notes.append("members with no data (no rate; in neither the MSG average nor the "
                     "ranking): " + "; ".join(f"{name_of[m] or m} ({r})"
                                              for m, r in why.items()))
    notes.extend(data.notes)
    table.attrs["notes"] = notes
    out = members.copy()
    out["count"] = [counts.get(m, {}).get(ho.ALL_CRIME) if m in counts else None
                    for m in out["csp_code"]]
    out["rate_per_1000"] = [counts[m].get(ho.ALL_CRIME, 0) * 1000.0 / float(pop.get(m) or 1)
                            if m in rated else None for m in out["csp_code"]]
    out["data"] = [why.get(m, "yes") for m in out["csp_code"]]
    out.attrs["notes"] = notes
    return SimilarComparison(table, out, notes)
