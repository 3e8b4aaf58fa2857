"""Store size: reference tables without primary-key indexes, migration 003 and its compaction.

The primary keys of areas, area_links, boundaries and population were dropped in schema
version 3 (their ART indexes were most of a 1.28 GB store); the loader keeps one row per key.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import shapely

from commsafe.errors import FileFormatError
from commsafe.reference.geography import merge
from commsafe.reference.loader import load_reference
from commsafe.store import (
    REFERENCE_KEYS,
    SCHEMA_VERSION,
    Store,
    check_reference_keys,
    open_store,
    shapes,
)

MB = 1_000_000
TABLES = ("areas", "area_links", "boundaries", "population", "loads", "rejects", "meta")


def _fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """Per table: row count and md5 of every row's text, in sorted order (boundaries with their
    shapes as WKB, whichever form the store keeps them in)."""
    out = {}
    for t in TABLES:
        n, digest = con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(CAST(r AS VARCHAR), '|' "
            f"ORDER BY CAST(r AS VARCHAR)), '')) FROM {t} AS r").fetchall()[0]
        out[t] = (int(n), str(digest))
    rows = con.execute("SELECT * EXCLUDE (geometry), geometry FROM boundaries").fetchall()
    wkb = shapely.to_wkb(shapes.decode([r[-1] for r in rows])) if rows else []
    out["boundaries"] = (len(rows), str(sorted(
        (str(r[:-1]), bytes(w).hex()) for r, w in zip(rows, wkb, strict=True))))
    # the schema version row changes in the migration; compare the rest of meta
    return out


def _version_2_store(path: Path) -> None:
    """A store as commsafe wrote it before migration 003: 001 + 002 run by hand, then filled."""
    folder = resources.files("commsafe.store") / "migrations"
    con = duckdb.connect(str(path))
    for name in ("001_initial.sql", "002_partner_datasets.sql"):
        con.execute((folder / name).read_text(encoding="utf-8"))
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    for _ in range(4):
        con.execute("SELECT nextval('load_id_seq')")
    con.execute("""INSERT INTO loads VALUES (1, 'mid2019.csv', 'abc', 'reference:population',
                   NULL, NULL, 40, 40, 0, 0, 'loaded', NULL, NULL, TIMESTAMP '2026-01-01',
                   TIMESTAMP '2026-01-01', '0.0')""")
    # 40 areas x 92 age bands x 2 years = 7,360 population rows, plus areas and links
    con.execute("""
        INSERT INTO population
        SELECT 'lsoa11', printf('E01%06d', a), y, 'persons',
               CASE WHEN b = 0 THEN 'all' WHEN b = 91 THEN '90+' ELSE CAST(b - 1 AS VARCHAR) END,
               CASE WHEN b = 0 THEN 0 ELSE b - 1 END,
               CASE WHEN b IN (0, 91) THEN NULL ELSE b - 1 END,
               (a * 7 + b * 3 + y) % 101 + 0.5, 'mid' || y, 1
        FROM range(40) r1(a), range(92) r2(b), (VALUES (2019), (2020)) r3(y)""")
    con.execute("""INSERT INTO areas SELECT 'lsoa11', printf('E01%06d', a), 'Area ' || a, 2011, 1
                   FROM range(40) r(a)""")
    con.execute("""INSERT INTO area_links SELECT 'lsoa11', printf('E01%06d', a), 'district',
                   'E08000035', NULL, 2011, 1 FROM range(40) r(a)""")
    square = shapely.to_wkb(shapely.box(-1.5, 53.7, -1.4, 53.8))
    con.execute("INSERT INTO boundaries VALUES ('lsoa11', 'E01000000', 'Area 0', 2011, ?, "
                "-1.5, 53.7, -1.4, 53.8, 1)", [square])
    con.close()


def test_a_version_2_store_is_migrated_keeps_every_row_and_shrinks(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _version_2_store(path)
    before = path.stat().st_size
    con = duckdb.connect(str(path), read_only=True)
    want = _fingerprint(con)
    pks = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = "
                      "'PRIMARY KEY' AND table_name IN ('areas', 'area_links', 'boundaries', "
                      "'population')").fetchall()[0][0]
    con.close()
    assert pks == 4 and want["population"][0] == 7_360

    with open_store(path) as st:
        assert st.schema_version() == SCHEMA_VERSION >= 3
        got = _fingerprint(st.con)
        assert st.next_load_id() == 5  # the sequence carried over
        assert check_reference_keys(st.con) == dict.fromkeys(REFERENCE_KEYS, 0)
        left = st.con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "ORDER BY 1").fetchall()
        geometry = st.scalar("SELECT geometry FROM boundaries")
    assert {k: v for k, v in got.items() if k != "meta"} == \
        {k: v for k, v in want.items() if k != "meta"}
    assert got["meta"][0] == want["meta"][0]
    assert not {"areas", "area_links", "boundaries", "population"} & {t for (t,) in left}
    assert bytes(geometry).startswith(shapes.MAGIC)  # re-encoded by migration 005
    assert shapes.decode([geometry])[0].equals(shapely.box(-1.5, 53.7, -1.4, 53.8))
    after = path.stat().st_size
    assert after < before, (before, after)
    # the copy beside the store is gone; no WAL is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.duckdb"]
    # opening again changes nothing
    with open_store(path, read_only=True) as st:
        assert _fingerprint(st.con) == got
    assert path.stat().st_size == after


def test_a_fresh_store_has_no_reference_primary_keys(store: Store) -> None:
    assert store.con.execute(
        "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND "
        "table_name IN ('areas', 'area_links', 'boundaries', 'population')"
    ).fetchall()[0][0] == 0


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_duplicate_keys_are_still_rejected_by_the_loader(store: Store, tmp_path: Path) -> None:
    header = ["lsoa21_code", "year", "population", "sex", "age_band"]
    first = _write(tmp_path / "pop_a.csv", header, [
        ["E01000001", 2021, 100, "persons", "all"],
        ["E01000001", 2021, 100, "persons", "all"],   # the same row again: a duplicate
        ["E01000001", 2021, 120, "persons", "all"],   # the same key, other value: a reject
        ["E01000002", 2021, 50, "M", "all"],
        ["E01000002", 2021, 55, "Male", "all"],       # same key once sex is normalised
    ])
    (rec,) = load_reference(store, [first])
    assert (rec.rows_read, rec.rows_loaded, rec.rows_duplicate, rec.rows_rejected) == (5, 2, 1, 2)
    assert [r.reason for r in rec.rejects] == ["conflicting_duplicate"] * 2
    # a later file replaces the rows it covers, never adds a second row for a key
    second = _write(tmp_path / "pop_b.csv", header, [
        ["E01000001", 2021, 130, "persons", "all"], ["E01000003", 2021, 7, "persons", "all"]])
    load_reference(store, [second])
    assert store.con.execute(
        "SELECT area_code, sex, population FROM population ORDER BY 1, 2").fetchall() == [
        ("E01000001", "persons", 130.0), ("E01000002", "male", 50.0),
        ("E01000003", "persons", 7.0)]
    # lookups: two files naming the same areas and links keep one row per key
    lookup = ["lsoa21_code", "lsoa21_name", "ward24_code", "ward24_name", "ltla24_code"]
    load_reference(store, [_write(tmp_path / "l1.csv", lookup, [
        ["E01000001", "A", "E05000001", "W", "E06000001"]])])
    load_reference(store, [_write(tmp_path / "l2.csv", lookup, [
        ["E01000001", "A2", "E05000001", "W2", "E06000001"],
        ["E01000002", "B", "E05000001", "W2", "E06000001"]])])
    assert store.scalar("SELECT area_name FROM areas WHERE area_code = 'E01000001'") == "A2"
    assert check_reference_keys(store.con) == dict.fromkeys(REFERENCE_KEYS, 0)
    assert store.scalar("SELECT count(*) FROM area_links") == 5


def test_a_midyear_header_with_an_age_band_twice_is_refused(store: Store,
                                                            tmp_path: Path) -> None:
    ages = [str(a) for a in range(90)] + ["90+"]
    ages[6] = "5"  # '5' twice, no '6'
    f = _write(tmp_path / "mid2019.csv", ["lsoa11_code", "total_population", *ages],
               [["E01000001", 91.0, *[1.0] * 91]])
    with pytest.raises(FileFormatError, match="two columns"):
        load_reference(store, [f])
    assert store.scalar("SELECT count(*) FROM population") == 0


def test_merge_refuses_staged_rows_that_repeat_a_key(store: Store) -> None:
    staged = pa.table({"area_type": ["csp", "csp"], "area_code": ["E22000013"] * 2,
                       "area_name": ["a", "b"], "vintage": pa.array([2024, 2024], pa.int16()),
                       "load_id": [1, 1]})
    with pytest.raises(AssertionError, match="repeat a key"):
        merge(store.con, "areas", staged, ("area_type", "area_code"), "area_name = s.area_name")


def test_the_real_reference_store_is_at_most_150_mb(shared_data: Path, tmp_path: Path) -> None:
    inputs = [shared_data / "geography", shared_data / "population"]
    if not all(p.is_dir() for p in inputs):
        pytest.skip("../shared/data/geography and population are needed for the size test")
    path = tmp_path / "ref.duckdb"
    with open_store(path) as st:
        load_reference(st, inputs)
        assert st.scalar("SELECT count(*) FROM population") > 9_000_000
        assert check_reference_keys(st.con) == dict.fromkeys(REFERENCE_KEYS, 0)
    size = path.stat().st_size
    assert size <= 150 * MB, f"the reference store is {size / MB:.1f} MB"


def test_population_is_kept_wide_and_read_back_long(store: Store, tmp_path: Path) -> None:
    header = ["lsoa21_code", "year", "population", "sex", "age_band", "source"]
    first = _write(tmp_path / "pop_a.csv", header, [
        ["E01000001", 2021, 100, "persons", "all", "a"],
        ["E01000001", 2021, 30, "persons", "0-15", "a"],
        ["E01000001", 2021, 70, "persons", "16+", "a"],
        ["E01000002", 2021, 50, "female", "all", "a"]])
    (rec_a,) = load_reference(store, [first])
    # one wide row per area, year and sex; bands as numbered sets
    assert store.scalar("SELECT count(*) FROM population_rows") == 2
    assert store.con.execute(
        "SELECT age_band, age_from, age_to FROM population_bands WHERE band_set = "
        "(SELECT band_set FROM population_rows WHERE area_code = 'E01000001') "
        "ORDER BY position").fetchall() == [("all", 0, None), ("0-15", 0, 15), ("16+", 16, None)]
    # a later file replaces the band it gives; the other bands keep their own source and load
    second = _write(tmp_path / "pop_b.csv", header, [
        ["E01000001", 2021, 101, "persons", "all", "b"]])
    (rec_b,) = load_reference(store, [second])
    assert store.con.execute(
        "SELECT area_code, sex, age_band, age_from, age_to, population, source, load_id "
        "FROM population ORDER BY area_code, age_from, age_to NULLS FIRST").fetchall() == [
        ("E01000001", "persons", "all", 0, None, 101.0, "b", rec_b.load_id),
        ("E01000001", "persons", "0-15", 0, 15, 30.0, "a", rec_a.load_id),
        ("E01000001", "persons", "16+", 16, None, 70.0, "a", rec_a.load_id),
        ("E01000002", "female", "all", 0, None, 50.0, "a", rec_a.load_id)]
    assert check_reference_keys(store.con) == dict.fromkeys(REFERENCE_KEYS, 0)
    # the view keeps the long table's column types
    assert store.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = "
        "'population' ORDER BY ordinal_position").fetchall() == [
        ("area_type", "VARCHAR"), ("area_code", "VARCHAR"), ("year", "SMALLINT"),
        ("sex", "VARCHAR"), ("age_band", "VARCHAR"), ("age_from", "SMALLINT"),
        ("age_to", "SMALLINT"), ("population", "DOUBLE"), ("source", "VARCHAR"),
        ("load_id", "BIGINT")]
