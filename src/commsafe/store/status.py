"""What the store holds, and how good it is: the data-quality report behind `commsafe status`.

Computes plain data (dicts and lists); the CLI renders it.
"""

from __future__ import annotations

from typing import Any

from commsafe import periods
from commsafe.store import Store

__all__ = ["store_status"]


def _rows(store: Store, sql: str, params: list[object] | None = None) -> list[dict[str, Any]]:
    rel = store.con.execute(sql, params or [])
    names = [d[0] for d in rel.description]
    return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


def _ranges(months: list[str]) -> list[str]:
    """['2019-03', '2019-04', '2019-06'] → ['2019-03…2019-04', '2019-06']."""
    out: list[list[str]] = []
    for m in months:
        if out and periods.month_label(periods.add_months(out[-1][-1], 1)) == m:
            out[-1].append(m)
        else:
            out.append([m])
    return [r[0] if len(r) == 1 else f"{r[0]}…{r[-1]} ({len(r)} months)" for r in out]


def store_status(store: Store) -> dict[str, Any]:
    """Coverage, locations, vintages, resolution, rejects and loads, as JSON-ready data."""
    kinds = {"street": "events", "outcomes": "outcomes", "stop_search": "stop_search"}
    coverage: dict[str, list[dict[str, Any]]] = {}
    for kind, table in kinds.items():
        coverage[kind] = _rows(store, f"""
            SELECT force, strftime(month, '%Y-%m') AS month, count(*) AS rows
            FROM {table} GROUP BY ALL ORDER BY force, month""")
    gaps: list[dict[str, Any]] = []
    for kind, rows in coverage.items():
        for force in sorted({r["force"] for r in rows}):
            have = sorted(r["month"] for r in rows if r["force"] == force)
            span = [periods.month_label(m) for m in periods.month_range(have[0], have[-1])]
            missing = [m for m in span if m not in set(have)]
            if missing:
                gaps.append({"force": force, "kind": kind, "missing_months": missing,
                             "missing_ranges": _ranges(missing)})
    location = _rows(store, """
        SELECT force, strftime(month, '%Y-%m') AS month, count(*) AS rows,
               count(*) FILTER (longitude IS NULL) AS no_location,
               round(100.0 * count(*) FILTER (longitude IS NULL) / count(*), 1)
                   AS no_location_pct,
               count(*) FILTER (is_asb) AS asb_rows,
               count(*) FILTER (resolution = 'unresolved') AS unresolved
        FROM events GROUP BY ALL ORDER BY force, month""")
    vintages = _rows(store, """
        SELECT force, strftime(month, '%Y-%m') AS month,
               count(*) FILTER (lsoa_vintage = 2011) AS lsoa_2011,
               count(*) FILTER (lsoa_vintage = 2021) AS lsoa_2021,
               count(*) FILTER (lsoa_vintage IS NULL) AS lsoa_unknown
        FROM events GROUP BY ALL ORDER BY force, month""")
    resolution = _rows(store, """
        SELECT force, resolution, count(*) AS events,
               round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY force), 2) AS pct
        FROM events GROUP BY force, resolution ORDER BY force, resolution""")
    unresolved = _rows(store, """
        SELECT force, count(*) AS events,
               count(*) FILTER (resolution = 'unresolved') AS unresolved,
               round(100.0 * count(*) FILTER (resolution = 'unresolved') / count(*), 2)
                   AS unresolved_pct,
               count(*) FILTER (district_code IS NULL) AS no_district,
               count(*) FILTER (csp_code IS NULL) AS no_csp
        FROM events GROUP BY force ORDER BY force""")
    # "Falls within" a force does not mean inside it: rows resolved to another force area
    outside = _rows(store, """
        WITH home AS (
            SELECT force, mode(pfa_code) AS home_pfa FROM events
            WHERE pfa_code IS NOT NULL GROUP BY force
        )
        SELECT e.force, h.home_pfa,
               (SELECT any_value(area_name) FROM areas a
                WHERE a.area_type = 'pfa' AND a.area_code = h.home_pfa) AS home_pfa_name,
               count(*) FILTER (e.pfa_code <> h.home_pfa) AS outside,
               round(100.0 * count(*) FILTER (e.pfa_code <> h.home_pfa)
                     / count(*) FILTER (e.pfa_code IS NOT NULL), 2) AS outside_pct
        FROM events e JOIN home h USING (force) GROUP BY ALL ORDER BY e.force""")
    rejects = _rows(store, """
        SELECT l.kind, r.reason, count(*) AS rows, min(r.detail) AS example
        FROM rejects r JOIN loads l USING (load_id) GROUP BY ALL
        ORDER BY rows DESC, l.kind, r.reason""")
    repeated_ids = _rows(store, """
        SELECT force, count(*) AS crime_ids, sum(n) AS rows, max(n) AS max_rows_per_id,
               min(event_id) AS example
        FROM (SELECT force, event_id, count(*) AS n FROM events
              WHERE event_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1)
        GROUP BY force ORDER BY force""")
    loads = _rows(store, """
        SELECT kind, status, count(*) AS files, sum(rows_read) AS rows_read,
               sum(rows_loaded) AS rows_loaded, sum(rows_rejected) AS rows_rejected,
               sum(rows_duplicate) AS rows_duplicate
        FROM loads GROUP BY ALL ORDER BY kind, status""")
    totals = _rows(store, """
        SELECT (SELECT count(*) FROM events) AS events,
               (SELECT count(*) FROM events WHERE is_asb) AS asb,
               (SELECT count(*) FROM outcomes) AS outcomes,
               (SELECT count(*) FROM stop_search) AS stop_search""")[0]
    reference = _rows(store, """
        SELECT 'areas' AS what, area_type AS type, count(*) AS rows FROM areas GROUP BY ALL
        UNION ALL SELECT 'links', from_type || '→' || to_type, count(*) FROM area_links
            GROUP BY ALL
        UNION ALL SELECT 'boundaries', area_type, count(*) FROM boundaries GROUP BY ALL
        UNION ALL SELECT 'population', area_type || ' ' || year || ' (' || source || ')',
            count(DISTINCT area_code) FROM population GROUP BY ALL
        ORDER BY 1, 2""")
    return {
        "store": str(store.path),
        "schema_version": store.schema_version(),
        "totals": totals,
        "coverage": coverage,
        "missing_months": gaps,
        "location": location,
        "lsoa_vintages": vintages,
        "resolution": resolution,
        "unresolved": unresolved,
        "outside_force_area": outside,
        "rejects": rejects,
        "repeated_crime_ids": repeated_ids,
        "loads": loads,
        "reference": reference,
    }
