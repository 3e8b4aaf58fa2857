"""How the store keeps population: wide rows, read back long through the ``population`` view.

A mid-year file gives 92 age bands for each of 35,000 LSOAs. Kept as one long row per band
(area, year, sex, band, value) the table repeated the area code 92 times and was 42 MB of a
71 MB reference store; kept as one ``population_rows`` row per area, year, sex, source and
load, with its values as a ``DOUBLE[]`` list whose bands are the numbered ``population_bands``
set it names, it is 16 MB. The ``population`` view joins them back into exactly the long rows
(same columns, same types) every reader and analyst query uses; filters on the view reach both
tables. Writes go through :func:`store_long` (the reference loader calls it), never into the
view.
"""

from __future__ import annotations

import duckdb

__all__ = ["LONG_COLUMNS", "store_long"]

LONG_COLUMNS = ("area_type", "area_code", "year", "sex", "age_band", "age_from", "age_to",
                "population", "source", "load_id")
"""The columns of the ``population`` view, in order (and of a relation given to store_long)."""

_ROW_KEYS = ("area_type", "area_code", "year", "sex")
_BAND_ORDER = "age_from NULLS FIRST, age_to NULLS FIRST, age_band"
_SIGNATURE = ("string_agg(age_band || chr(31) || coalesce(age_from::VARCHAR, '') || chr(31) || "
              "coalesce(age_to::VARCHAR, ''), chr(30) ORDER BY {order})")


def store_long(con: duckdb.DuckDBPyConnection, relation: str, *, merge: bool = True) -> None:
    """Store the long rows of ``relation`` (a table or view with :data:`LONG_COLUMNS`, at most
    one row per area, year, sex and age band).

    With ``merge``, a row replaces the stored one of the same key and the other stored bands of
    the same area, year and sex stay; without it the caller knows none of them is stored yet.
    Runs inside the caller's transaction.
    """
    cols = ", ".join(LONG_COLUMNS)
    source = relation
    if merge:
        on = " AND ".join(f"t.{k} = s.{k}" for k in _ROW_KEYS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _pop_long AS
            SELECT {cols} FROM {relation}
            UNION ALL
            SELECT {', '.join('t.' + c for c in LONG_COLUMNS)} FROM population AS t
            SEMI JOIN (SELECT DISTINCT {', '.join(_ROW_KEYS)} FROM {relation}) AS s ON {on}
            ANTI JOIN {relation} AS s ON {on} AND t.age_band = s.age_band""")
        con.execute(f"DELETE FROM population_rows AS t WHERE EXISTS "
                    f"(SELECT 1 FROM {relation} AS s WHERE {on})")
        source = "_pop_long"
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _pop_packed AS
            SELECT area_type, area_code, year, sex, source, load_id,
                   {_SIGNATURE.format(order=_BAND_ORDER)} AS sig,
                   list(population ORDER BY {_BAND_ORDER}) AS counts
            FROM {source} GROUP BY ALL""")
        # band sets: those stored, and any new one numbered after them in text order
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _pop_sets AS
            WITH known AS (
                SELECT band_set, {_SIGNATURE.format(order="position")} AS sig
                FROM population_bands GROUP BY band_set
            ), fresh AS (
                SELECT DISTINCT sig FROM _pop_packed ANTI JOIN known USING (sig)
            )
            SELECT band_set, sig, false AS new FROM known
            UNION ALL
            SELECT (SELECT coalesce(max(band_set), 0) FROM known)
                   + row_number() OVER (ORDER BY sig), sig, true FROM fresh""")
        # a new set's bands are those of one row that uses it
        con.execute(f"""
            INSERT INTO population_bands
            SELECT s.band_set,
                   row_number() OVER (PARTITION BY s.band_set
                                      ORDER BY l.age_from NULLS FIRST, l.age_to NULLS FIRST,
                                               l.age_band),
                   l.age_band, l.age_from, l.age_to
            FROM _pop_sets AS s
            JOIN (SELECT * FROM _pop_packed
                  QUALIFY row_number() OVER (PARTITION BY sig ORDER BY area_type, area_code,
                                             year, sex, source, load_id) = 1) AS p USING (sig)
            JOIN {source} AS l ON l.area_type = p.area_type AND l.area_code = p.area_code
                 AND l.year = p.year AND l.sex = p.sex AND l.source = p.source
                 AND l.load_id = p.load_id
            WHERE s.new""")
        con.execute("""
            INSERT INTO population_rows
            SELECT p.area_type, p.area_code, p.year, p.sex, s.band_set, p.counts, p.source,
                   p.load_id
            FROM _pop_packed AS p JOIN _pop_sets AS s USING (sig)
            ORDER BY p.area_type, p.year, p.sex, p.area_code, p.source, p.load_id""")
    finally:
        for temp in ("_pop_long", "_pop_packed", "_pop_sets"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
