"""Event counts by any combination of time, category and area dimensions.

The output columns are a contract: the dimensions, named exactly as asked, then ``count``.
Area dimensions use the resolved codes (``lsoa`` is the 2021 LSOA, ``lsoa11`` the 2011 LSOA an
event was published with); an event that resolved nowhere has an empty area and is still
counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from commsafe import periods
from commsafe.errors import QueryError
from commsafe.store import Store

__all__ = ["BASE_COLUMNS", "DIMENSIONS", "count_events", "events_view_sql", "where_error"]

#: dimension name → SQL over the events table ``e``
DIMENSIONS: dict[str, str] = {
    "month": periods.sql_label("month", "e.month"),
    "financial_year": periods.sql_label("financial_year", "e.month"),
    "quarter": periods.sql_label("quarter", "e.month"),
    "calendar_year": periods.sql_label("calendar_year", "e.month"),
    "category": "e.crime_type",
    "force": "e.force",
    "lsoa": "e.lsoa21_code",
    "lsoa11": "CASE WHEN e.lsoa_vintage = 2011 THEN e.lsoa_code END",
    "ward": "e.ward_code",
    "district": "e.district_code",
    "csp": "e.csp_code",
    "pfa": "e.pfa_code",
}

#: further columns a --where expression may use
BASE_COLUMNS: dict[str, str] = {
    "published_category": "e.category",
    "is_asb": "e.is_asb",
    "event_id": "e.event_id",
    "location": "e.location",
    "lsoa_code": "e.lsoa_code",
    "lsoa_vintage": "e.lsoa_vintage",
    "resolution": "e.resolution",
    "outcome": "e.outcome",
    "longitude": "e.longitude",
    "latitude": "e.latitude",
    "month_start": "e.month",
    "source": "e.source",
}


def events_view_sql() -> str:
    """A SELECT over events exposing every dimension and base column by its public name."""
    cols = [f"{sql} AS {name}" for name, sql in {**DIMENSIONS, **BASE_COLUMNS}.items()]
    return "SELECT " + ", ".join(cols) + " FROM events e"


#: area dimensions → area_type in the ``areas`` table (for names)
AREA_TYPES = {"lsoa": "lsoa21", "lsoa11": "lsoa11", "ward": "ward", "district": "district",
              "csp": "csp", "pfa": "pfa"}


def count_events(store: Store, by: Sequence[str], *, where: str | None = None,
                 include_asb: bool = False, asb_only: bool = False,
                 names: bool = False) -> pa.Table:
    """Counts of events grouped by ``by`` (crime only unless ``include_asb``/``asb_only``).

    With ``names``, each area dimension is followed by ``<dim>_name`` from the reference data.
    """
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise QueryError(
            f"--by: unknown dimension {', '.join(repr(u) for u in unknown)}. "
            f"Choose from: {', '.join(DIMENSIONS)}."
        )
    if len(set(by)) != len(by):
        raise QueryError("--by: a dimension is named twice. Name each once.")
    if include_asb and asb_only:
        raise QueryError("--include-asb and --asb-only contradict each other. Give one.")
    filters = ["is_asb"] if asb_only else ([] if include_asb else ["NOT is_asb"])
    if where:
        filters.append(f"({where})")
    cond = " AND ".join(filters) or "TRUE"
    dims = ", ".join(by)
    order = ", ".join(f"{d} NULLS LAST" for d in by)
    if by:
        sql = (f"SELECT {dims}, count(*) AS count FROM ({events_view_sql()}) v "
               f"WHERE {cond} GROUP BY {dims} ORDER BY {order}")
        if names:
            cols = []
            for d in by:
                cols.append(f"c.{d}")
                if d in AREA_TYPES:
                    cols.append(f"(SELECT any_value(a.area_name) FROM areas a WHERE a.area_type "
                                f"= '{AREA_TYPES[d]}' AND a.area_code = c.{d}) AS {d}_name")
            sql = f"SELECT {', '.join(cols)}, c.count FROM ({sql}) c ORDER BY {order}"
    else:
        sql = f"SELECT count(*) AS count FROM ({events_view_sql()}) v WHERE {cond}"
    try:
        return store.con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise where_error(where, exc) from None


def where_error(where: str | None, exc: Exception) -> QueryError:
    """The message for a --where condition DuckDB could not run: what, and what to use."""
    first = str(exc).splitlines()[0]
    usable = ", ".join([*DIMENSIONS, *BASE_COLUMNS])
    return QueryError(
        f"--where {where!r} cannot run: {first}. Columns you can use: {usable}. "
        "Quote text values with single quotes, e.g. --where \"force='cambridgeshire'\"."
    )
