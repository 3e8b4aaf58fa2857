"""Resolving events to areas: LSOA (2021) → ward → district → CSP → police force area.

Rules, in order (the method is recorded in ``events.resolution``):

``code``
    The published LSOA code is trusted: police.uk assigns it from the exact snap point, and
    generalised boundaries are less precise than that. A 2021 code is used directly.
    A 2011 code with no 2011→2021 lookup loaded still resolves upward through 2011 links
    (e.g. LSOA 2011 → district), and is recorded as ``code``.
``lookup``
    A 2011 code with a single 2021 successor (ONS change codes U unchanged, M merged).
``split-by-point``
    A 2011 code with several 2021 successors (S split, X irregular): the successor whose
    boundary contains the event's coordinates.
``split-by-population``
    As above but the point lies in none of the successors (or has no coordinates): the
    successor with the largest population (latest year loaded), then the lowest code.
``point-in-polygon``
    No LSOA code, or one not in any loaded code list, but coordinates: the 2021 LSOA boundary
    containing the point.
``unresolved``
    Nothing places the event. It is kept and counted as "unknown location", never dropped.

A code's vintage (``lsoa_vintage``) is 2021 if it is only in the 2021 list, 2011 if only in the
2011 list; codes in both (unchanged LSOAs) take the vintage most of their file's
distinguishable codes have (police.uk mixed vintages around 2022), and by date on a tie
(2011 before 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from commsafe.store import shapes

__all__ = ["RESOLVED_COLUMNS", "PointIndex", "ResolveCache", "has_reference", "resolve_events",
           "resolve_rows"]



@dataclass
class PointIndex:
    """Point-in-polygon lookup over one boundary type (EPSG:4326)."""

    codes: np.ndarray
    tree: shapely.STRtree
    geoms: np.ndarray

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection, area_type: str) -> PointIndex | None:
        return cls.from_table(con.sql(
            "SELECT area_code, geometry FROM boundaries WHERE area_type = $t ORDER BY area_code",
            params={"t": area_type},
        ).to_arrow_table())

    @classmethod
    def from_table(cls, tbl: pa.Table) -> PointIndex | None:
        """From an Arrow table of ``area_code`` and stored ``geometry`` (None when empty)."""
        if tbl.num_rows == 0:
            return None
        geoms = shapes.decode(tbl.column("geometry").to_pylist())
        return cls(np.asarray(tbl.column("area_code").to_pylist(), dtype=object),
                   shapely.STRtree(geoms), geoms)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Code of the polygon containing each point (None where none; lowest code on ties)."""
        out = np.full(len(lon), None, dtype=object)
        if len(lon) == 0:
            return out
        points = shapely.points(lon, lat)
        pidx, gidx = self.tree.query(points, predicate="intersects")
        # several polygons can touch a point on a shared edge: keep the lowest code
        order = np.lexsort((self.codes[gidx].astype(str), pidx))
        pidx, gidx = pidx[order], gidx[order]
        first = np.unique(pidx, return_index=True)[1]
        out[pidx[first]] = self.codes[gidx[first]]
        return out


# Per-code maps, built once per state of the reference data (temp tables on the connection):
#   _cs_codes   code → in the 2011 list, in the 2021 list
#   _cs_lsoa21  2021 LSOA → ward, district, CSP, police force area
#   _cs_lsoa11  2011 LSOA → number of 2021 successors, the single one, the most populous one,
#               and district / CSP / force through 2011 links (used when no 2021 successor)
_MAPS_SQL = """
CREATE OR REPLACE TEMP TABLE _cs_link AS
    SELECT from_type, from_code, to_type,
           arg_max(to_code, (coalesce(vintage, 0), to_code)) AS to_code
    FROM area_links GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE _cs_codes AS
    SELECT area_code AS code, bool_or(area_type = 'lsoa21') AS in21,
           bool_or(area_type = 'lsoa11') AS in11
    FROM areas WHERE area_type IN ('lsoa11', 'lsoa21') GROUP BY area_code;
CREATE OR REPLACE TEMP TABLE _cs_district AS
    SELECT d.from_code AS district, c.to_code AS csp, p.to_code AS pfa
    FROM (SELECT DISTINCT from_code FROM _cs_link WHERE from_type = 'district') d
    LEFT JOIN _cs_link c ON c.from_type = 'district' AND c.to_type = 'csp'
         AND c.from_code = d.from_code
    LEFT JOIN _cs_link p ON p.from_type = 'district' AND p.to_type = 'pfa'
         AND p.from_code = d.from_code;
CREATE OR REPLACE TEMP TABLE _cs_lsoa21 AS
    SELECT a.area_code AS lsoa21, w.to_code AS ward, d.to_code AS district, x.csp, x.pfa
    FROM areas a
    LEFT JOIN _cs_link w ON w.from_type = 'lsoa21' AND w.to_type = 'ward'
         AND w.from_code = a.area_code
    LEFT JOIN _cs_link d ON d.from_type = 'lsoa21' AND d.to_type = 'district'
         AND d.from_code = a.area_code
    LEFT JOIN _cs_district x ON x.district = d.to_code
    WHERE a.area_type = 'lsoa21';
CREATE OR REPLACE TEMP TABLE _cs_lsoa11 AS
    WITH pop AS (
        SELECT area_code, population FROM population
        WHERE area_type = 'lsoa21' AND sex = 'persons' AND age_band = 'all'
        QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY year DESC) = 1
    ), succ AS (
        SELECT l.from_code, count(*) AS n_succ, min(l.to_code) AS first_code,
               arg_min(l.to_code, (-coalesce(p.population, -1), l.to_code)) AS biggest
        FROM area_links l LEFT JOIN pop p ON p.area_code = l.to_code
        WHERE l.from_type = 'lsoa11' AND l.to_type = 'lsoa21'
        GROUP BY l.from_code
    )
    SELECT a.area_code AS lsoa11, coalesce(s.n_succ, 0) AS n_succ,
           CASE WHEN s.n_succ = 1 THEN s.first_code END AS single, s.biggest,
           d.to_code AS district, x.csp, x.pfa
    FROM areas a LEFT JOIN succ s ON s.from_code = a.area_code
    LEFT JOIN _cs_link d ON d.from_type = 'lsoa11' AND d.to_type = 'district'
         AND d.from_code = a.area_code
    LEFT JOIN _cs_district x ON x.district = d.to_code
    WHERE a.area_type = 'lsoa11';
"""


@dataclass
class ResolveCache:
    """The per-code maps (temp tables), rebuilt only when the reference data changes."""

    maps_stamp: tuple[int, int] | None = None

    def maps(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make sure the per-code maps reflect the reference data now in the store."""
        row = con.execute(
            "SELECT coalesce(max(load_id), 0), count(*) FROM loads WHERE kind LIKE 'reference:%'"
        ).fetchall()[0]
        stamp = (int(row[0]), int(row[1]))
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = '_cs_lsoa11'"
        ).fetchall()[0][0]
        if stamp != self.maps_stamp or not exists:
            con.execute(_MAPS_SQL)
            self.maps_stamp = stamp


def has_reference(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any area code list or boundary is loaded (else nothing can be resolved)."""
    return bool(con.execute(
        "SELECT EXISTS (SELECT 1 FROM areas) OR EXISTS (SELECT 1 FROM boundaries)"
    ).fetchall()[0][0])


RESOLVED_COLUMNS = ("lsoa_vintage", "lsoa21_code", "ward_code", "district_code", "csp_code",
                    "pfa_code", "resolution")
"""The columns of ``events`` that resolution sets (in temp table ``_resolved`` by key)."""


def resolve_rows(con: duckdb.DuckDBPyConnection, source: str,
                 params: dict[str, object] | None = None,
                 cache: ResolveCache | None = None) -> dict[str, int]:
    """Resolve the rows of relation ``source`` into temp table ``_resolved``.

    ``source`` is SQL for a relation with columns ``load_id, row_number, month, lsoa_code,
    longitude, latitude`` (typed as in ``events``); ``_resolved`` gets ``load_id, row_number``
    and :data:`RESOLVED_COLUMNS`. The caller needs reference data loaded
    (:func:`has_reference`). Returns the number of rows per resolution method.
    """
    cache = cache or ResolveCache()
    cache.maps(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE r AS
        WITH b AS (
            SELECT e.load_id, e.row_number, e.month, e.lsoa_code, e.longitude, e.latitude,
                   coalesce(c.in21, false) AS in21, coalesce(c.in11, false) AS in11,
                   coalesce(m.n_succ, 0) AS n_succ
            FROM {source} e
            LEFT JOIN _cs_codes c ON c.code = e.lsoa_code
            LEFT JOIN _cs_lsoa11 m ON m.lsoa11 = e.lsoa_code
        ), per_load AS (
            SELECT load_id, count(*) FILTER (in21 AND NOT in11) AS n21,
                   count(*) FILTER (in11 AND NOT in21) AS n11
            FROM b GROUP BY load_id
        )
        SELECT b.*, CASE
            WHEN in21 AND NOT in11 THEN 2021
            WHEN in11 AND NOT in21 THEN 2011
            WHEN in11 AND in21 THEN CASE WHEN n21 > n11 THEN 2021 WHEN n11 > n21 THEN 2011
                                         WHEN month >= DATE '2023-01-01' THEN 2021 ELSE 2011 END
            END::SMALLINT AS vintage
        FROM b JOIN per_load USING (load_id)
    """, params or {})
    _point_lookups(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE r2 AS
        SELECT r.load_id, r.row_number, r.vintage, r.lsoa_code,
            CASE
              WHEN r.vintage = 2021 THEN r.lsoa_code
              WHEN r.vintage = 2011 AND r.n_succ = 1 THEN m.single
              WHEN r.vintage = 2011 AND r.n_succ > 1 AND inside.to_code IS NOT NULL
                   THEN pip.pip21
              WHEN r.vintage = 2011 AND r.n_succ > 1 THEN m.biggest
              WHEN r.vintage IS NULL THEN pip.pip21
            END AS lsoa21,
            CASE
              WHEN r.vintage = 2021 THEN 'code'
              WHEN r.vintage = 2011 AND r.n_succ = 0 THEN 'code'
              WHEN r.vintage = 2011 AND r.n_succ = 1 THEN 'lookup'
              WHEN r.vintage = 2011 AND r.n_succ > 1 AND inside.to_code IS NOT NULL
                   THEN 'split-by-point'
              WHEN r.vintage = 2011 THEN 'split-by-population'
              WHEN pip.pip21 IS NOT NULL THEN 'point-in-polygon'
              ELSE 'unresolved'
            END AS method
        FROM r
        LEFT JOIN pip USING (load_id, row_number)
        LEFT JOIN _cs_lsoa11 m ON m.lsoa11 = r.lsoa_code
        LEFT JOIN area_links inside ON inside.from_type = 'lsoa11'
             AND inside.to_type = 'lsoa21' AND inside.from_code = r.lsoa_code
             AND inside.to_code = pip.pip21
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _resolved AS
        SELECT r2.load_id, r2.row_number, r2.vintage AS lsoa_vintage,
               r2.lsoa21 AS lsoa21_code, a.ward AS ward_code,
               coalesce(a.district, o.district) AS district_code,
               CASE WHEN a.district IS NOT NULL THEN a.csp ELSE o.csp END AS csp_code,
               CASE WHEN a.district IS NOT NULL THEN a.pfa ELSE o.pfa END AS pfa_code,
               CASE WHEN r2.method = 'code' AND r2.lsoa21 IS NULL
                         AND coalesce(a.district, o.district) IS NULL THEN 'unresolved'
                    ELSE r2.method END AS resolution
        FROM r2
        LEFT JOIN _cs_lsoa21 a ON a.lsoa21 = r2.lsoa21
        LEFT JOIN _cs_lsoa11 o ON o.lsoa11 = r2.lsoa_code AND r2.vintage = 2011
    """)
    counts = dict(con.execute("SELECT method, count(*) FROM r2 GROUP BY method").fetchall())
    for t in ("r", "r2", "pip"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return {k: int(v) for k, v in counts.items()}


def resolve_events(con: duckdb.DuckDBPyConnection, *, load_ids: Sequence[int] | None = None,
                   cache: ResolveCache | None = None) -> dict[str, int]:
    """Set lsoa_vintage, lsoa21_code, ward/district/csp/pfa codes and resolution.

    Only events of ``load_ids`` (all events when None). Run inside the caller's transaction.
    Returns the number of events per resolution method. (A fresh ingest resolves its rows as
    it inserts them, through :func:`resolve_rows`; this re-resolves stored events, e.g. after
    new reference data.)
    """
    scope = "TRUE" if load_ids is None else "list_contains($ids, e.load_id)"
    params: dict[str, object] = {} if load_ids is None else {"ids": list(load_ids)}
    if not has_reference(con):
        # nothing to resolve against: every event stays (or becomes) unresolved; rows fresh
        # from ingest are already unresolved and are not rewritten
        con.execute(f"""UPDATE events e SET lsoa_vintage = NULL, lsoa21_code = NULL,
            ward_code = NULL, district_code = NULL, csp_code = NULL, pfa_code = NULL,
            resolution = 'unresolved' WHERE {scope} AND resolution <> 'unresolved'""",
            params).fetchall()
        total = con.execute(f"SELECT count(*) FROM events e WHERE {scope}",
                            params).fetchall()[0][0]
        return {"unresolved": int(total)} if total else {}
    counts = resolve_rows(con, f"""(SELECT load_id, row_number, month, lsoa_code, longitude,
        latitude FROM events e WHERE {scope})""", params, cache)
    sets = ", ".join(f"{c} = f.{c}" for c in RESOLVED_COLUMNS)
    con.execute(f"""UPDATE events SET {sets} FROM _resolved f
        WHERE events.load_id = f.load_id AND events.row_number = f.row_number""")
    con.execute("DROP TABLE IF EXISTS _resolved")
    return counts


def _point_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Fill temp table ``pip`` with the 2021 LSOA containing each event that needs one.

    Only the boundaries that can matter are read: the successors of split 2011 codes, and
    those overlapping the extent of events whose code is missing or unknown.
    """
    need = con.sql("""
        SELECT load_id, row_number, longitude, latitude FROM r
        WHERE longitude IS NOT NULL AND latitude IS NOT NULL
          AND (vintage IS NULL OR (vintage = 2011 AND n_succ > 1))
    """).to_arrow_table()
    found = pa.array([None] * need.num_rows, pa.string())
    if need.num_rows:
        candidates = con.sql("""
            WITH need AS (
                SELECT lsoa_code, vintage, longitude, latitude FROM r
                WHERE longitude IS NOT NULL AND latitude IS NOT NULL
                  AND (vintage IS NULL OR (vintage = 2011 AND n_succ > 1))
            ), successors AS (
                SELECT DISTINCT l.to_code AS code FROM need
                JOIN area_links l ON l.from_type = 'lsoa11' AND l.to_type = 'lsoa21'
                     AND l.from_code = need.lsoa_code
                WHERE need.vintage = 2011
            ), ext AS (
                SELECT min(longitude) AS x0, max(longitude) AS x1, min(latitude) AS y0,
                       max(latitude) AS y1
                FROM need WHERE vintage IS NULL
            )
            SELECT b.area_code, b.geometry FROM boundaries b, ext
            WHERE b.area_type = 'lsoa21'
              AND (b.area_code IN (SELECT code FROM successors)
                   OR (ext.x0 IS NOT NULL AND (b.min_x IS NULL  -- no bbox: cannot rule out
                       OR (b.max_x >= ext.x0 AND b.min_x <= ext.x1
                           AND b.max_y >= ext.y0 AND b.min_y <= ext.y1))))
            ORDER BY b.area_code
        """).to_arrow_table()
        index = PointIndex.from_table(candidates)
        if index is not None:
            codes = index.locate(need.column("longitude").to_numpy(),
                                 need.column("latitude").to_numpy())
            found = pa.array(codes.tolist(), pa.string())
    pip = pa.table({"load_id": need.column("load_id"), "row_number": need.column("row_number"),
                    "pip21": found})
    con.register("pip_in", pip)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE pip AS SELECT * FROM pip_in")
    finally:
        con.unregister("pip_in")
