"""Areas for measures: finding an area by code or name, and its population in a year.

Population is held per LSOA (2021 LSOAs from Census 2021; 2011 LSOAs from mid-year
estimates). The population of a ward, district, CSP or police force area is the sum over
its 2021 LSOAs. A 2011-LSOA year is carried onto 2021 LSOAs through the ONS lookup: an
unchanged or merged LSOA passes its whole population to its successor; a split LSOA shares
its population among its successors in proportion to their Census 2021 population (equally
when that is not loaded). When the year asked for is not loaded, the nearest loaded year is
used and the result says so.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from commsafe.errors import InputError, ReferenceDataError

__all__ = ["AREA_LEVELS", "Area", "AreaPopulation", "area_population", "districts_within",
           "find_area", "nearest_year", "population_note", "population_years"]

#: measure level → (events column, areas.area_type)
AREA_LEVELS: dict[str, tuple[str, str]] = {
    "lsoa": ("lsoa21_code", "lsoa21"),
    "ward": ("ward_code", "ward"),
    "district": ("district_code", "district"),
    "csp": ("csp_code", "csp"),
    "pfa": ("pfa_code", "pfa"),
}


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str | None

    @property
    def column(self) -> str:
        return AREA_LEVELS[self.level][0]


def find_area(con: duckdb.DuckDBPyConnection, text: str, level: str | None = None) -> Area:
    """The area whose code or name is ``text`` (case-insensitive), preferring ``level``.

    A name shared by several levels (Cambridge is a district and a CSP) resolves to the
    broadest one unless ``level`` is given.
    """
    levels = [level] if level else ["csp", "district", "pfa", "ward", "lsoa"]
    for lv in levels:
        if lv not in AREA_LEVELS:
            raise InputError(f"--level {lv!r}: choose from {', '.join(AREA_LEVELS)}.")
        rows = con.execute(
            "SELECT area_code, area_name FROM areas WHERE area_type = ? AND "
            "(upper(area_code) = upper(?) OR lower(area_name) = lower(?)) ORDER BY vintage DESC",
            [AREA_LEVELS[lv][1], text.strip(), text.strip()],
        ).fetchall()
        if rows:
            return Area(lv, rows[0][0], rows[0][1])
    hint = f" at level {level}" if level else ""
    types = [AREA_LEVELS[lv][1] for lv in levels]
    names = [r[0] for r in con.execute(
        "SELECT DISTINCT area_name FROM areas WHERE list_contains(?, area_type) "
        "AND area_name IS NOT NULL", [types]).fetchall()]
    close = difflib.get_close_matches(text.strip(), names, n=5, cutoff=0.6)
    if not close:
        close = [n for n in names if text.strip().lower() in n.lower()][:5]
    suggestion = f" Close matches: {', '.join(close)}." if close else ""
    raise ReferenceDataError(
        f"--area {text!r}: no area with that code or name{hint} in the reference data."
        f"{suggestion} Check the spelling, give an ONS code, or load the lookups with "
        "'commsafe reference load'."
    )


def districts_within(con: duckdb.DuckDBPyConnection, area: Area) -> list[str]:
    """Codes of the districts that make up ``area`` (itself when it is a district; the
    districts linked to it when it is a CSP or police force area), sorted."""
    if area.level == "district":
        return [area.code]
    return [str(r[0]) for r in con.execute(
        "SELECT DISTINCT from_code FROM area_links WHERE from_type = 'district' AND "
        "to_type = ? AND to_code = ? ORDER BY 1", [area.level, area.code]).fetchall()]


def population_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years with all-ages population per LSOA (either vintage)."""
    return [int(r[0]) for r in con.execute(
        "SELECT DISTINCT year FROM population WHERE area_type IN ('lsoa21', 'lsoa11') "
        "AND sex = 'persons' AND age_band = 'all' ORDER BY year").fetchall()]


@dataclass(frozen=True)
class AreaPopulation:
    """Population per area of one level; ``year`` is the year used, ``note`` says why."""

    level: str
    year: int | None
    requested: int
    frame: pd.DataFrame  # area_code, population
    note: str | None

    def get(self, code: str | None) -> float | None:
        if code is None or self.frame.empty:
            return None
        hit = self.frame.loc[self.frame["area_code"] == code, "population"]
        return float(hit.iloc[0]) if len(hit) else None


_LSOA21_POP = """
WITH p21 AS (
    SELECT area_code AS lsoa21, population FROM population
    WHERE area_type = 'lsoa21' AND sex = 'persons' AND age_band = 'all' AND year = $year
), census AS (
    SELECT area_code AS lsoa21, population FROM population
    WHERE area_type = 'lsoa21' AND sex = 'persons' AND age_band = 'all'
    QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY abs(year - 2021)) = 1
), p11 AS (
    SELECT area_code AS lsoa11, population FROM population
    WHERE area_type = 'lsoa11' AND sex = 'persons' AND age_band = 'all' AND year = $year
), shares AS (
    SELECT l.from_code AS lsoa11, l.to_code AS lsoa21,
           CASE WHEN sum(coalesce(c.population, 0)) OVER (PARTITION BY l.from_code) > 0
                THEN coalesce(c.population, 0)
                     / sum(coalesce(c.population, 0)) OVER (PARTITION BY l.from_code)
                ELSE 1.0 / count(*) OVER (PARTITION BY l.from_code) END AS share
    FROM area_links l LEFT JOIN census c ON c.lsoa21 = l.to_code
    WHERE l.from_type = 'lsoa11' AND l.to_type = 'lsoa21'
), from11 AS (
    SELECT s.lsoa21, sum(p11.population * s.share) AS population
    FROM p11 JOIN shares s USING (lsoa11) GROUP BY s.lsoa21
)
SELECT lsoa21, population FROM p21
UNION ALL
SELECT lsoa21, population FROM from11 WHERE NOT EXISTS (SELECT 1 FROM p21)
"""


_LSOA11_POP = """
SELECT area_code AS lsoa, population FROM population
WHERE area_type = 'lsoa11' AND sex = 'persons' AND age_band = 'all' AND year = $year
"""


def _rollup_sql(lsoa_pop: str) -> str:
    """Population of wards, districts, CSPs and PFAs summed from ``lsoa_pop`` (columns
    ``lsoa, population``) through the links from the LSOA type ``$from``."""
    return f"""
        WITH lp AS ({lsoa_pop}),
        link AS (
            SELECT from_code, arg_max(to_code, (coalesce(vintage, 0), to_code)) AS to_code
            FROM area_links WHERE from_type = $from AND to_type = $to GROUP BY from_code
        ), d AS (
            SELECT from_code, arg_max(to_code, (coalesce(vintage, 0), to_code)) AS to_code
            FROM area_links WHERE from_type = 'district' AND to_type = $to
            GROUP BY from_code
        ), lsoa_district AS (
            SELECT from_code, arg_max(to_code, (coalesce(vintage, 0), to_code)) AS to_code
            FROM area_links WHERE from_type = $from AND to_type = 'district'
            GROUP BY from_code
        )
        SELECT CASE WHEN $via_district THEN d.to_code ELSE link.to_code END AS area_code,
               round(sum(lp.population), 3) AS population
        FROM lp
        LEFT JOIN link ON link.from_code = lp.lsoa
        LEFT JOIN lsoa_district ld ON ld.from_code = lp.lsoa
        LEFT JOIN d ON d.from_code = ld.to_code
        GROUP BY 1 HAVING area_code IS NOT NULL
    """


def nearest_year(years: Sequence[int], year: int) -> int:
    """The loaded population year used for ``year``: the nearest, the later one on a tie."""
    return min(years, key=lambda y: (abs(y - year), -y))


def population_note(year: int, used: int) -> str | None:
    """What a table says when population for ``year`` comes from ``used``."""
    return None if used == year else (
        f"population for {year} is not loaded; the nearest year loaded, {used}, is used")


def area_population(con: duckdb.DuckDBPyConnection, level: str, year: int) -> AreaPopulation:
    """Population of every area of ``level`` in ``year`` (or the nearest loaded year)."""
    if level not in AREA_LEVELS:
        raise InputError(f"level {level!r}: choose from {', '.join(AREA_LEVELS)}.")
    years = population_years(con)
    if not years:
        return AreaPopulation(level, None, year, pd.DataFrame(
            {"area_code": pd.Series([], dtype=str), "population": pd.Series([], dtype=float)}),
            "no population loaded: rates cannot be computed. Load population with "
            "'commsafe reference load'.")
    used = nearest_year(years, year)
    note = population_note(year, used)
    if level == "lsoa":
        sql = f"SELECT lsoa21 AS area_code, population FROM ({_LSOA21_POP})"
    else:
        link = {"ward": "ward", "district": "district", "csp": "csp", "pfa": "pfa"}[level]
        sql = _rollup_sql(f"SELECT lsoa21 AS lsoa, population FROM ({_LSOA21_POP})")
        via_district = link in ("csp", "pfa")
        params = {"year": used, "from": "lsoa21", "to": link, "via_district": via_district}
        frame = con.execute(sql, params).df()
        if frame.empty:  # no 2021 LSOAs loaded: sum the 2011 LSOAs through their own links
            frame = con.execute(_rollup_sql(_LSOA11_POP), {**params, "from": "lsoa11"}).df()
        return AreaPopulation(level, used, year, frame, note)
    frame = con.execute(sql, {"year": used}).df()
    return AreaPopulation(level, used, year, frame, note)
