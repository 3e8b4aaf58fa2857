"""Resolution of the real police.uk extracts against the real ONS lookups and boundaries,
checked against independent recounts of the raw CSVs and lookup files."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely

from commsafe.cli import main
from commsafe.reference.resolve import PointIndex
from commsafe.store import open_store

SIX = {"E07000008": "Cambridge", "E07000009": "East Cambridgeshire", "E07000010": "Fenland",
       "E07000011": "Huntingdonshire", "E07000012": "South Cambridgeshire",
       "E06000031": "Peterborough"}


@pytest.fixture(scope="module")
def resolved_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    geo, pop = shared_data / "geography", shared_data / "population"
    path = tmp_path_factory.mktemp("real") / "commsafe.duckdb"
    refs = [geo / "lookup_lsoa21_ward24_ltla24.csv", geo / "lookup_ltla24_csp24_pfa24.csv",
            geo / "lookup_lsoa11_lsoa21_ltla22.csv", geo / "lsoa21_boundaries.geojson",
            geo / "ltla24_boundaries.geojson", pop / "census2021_lsoa21_usual_residents.csv"]
    assert main(["reference", "load", *map(str, refs), "--store", str(path), "--quiet"]) == 0
    assert main(["ingest", str(shared_data / "police-uk"), "--store", str(path), "--quiet"]) == 0
    return path


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_cambridgeshire_2024_events_inside_the_six_districts_resolve(
        resolved_store: Path) -> None:
    with open_store(resolved_store, read_only=True) as st:
        rows = st.con.execute("""
            SELECT longitude, latitude, ward_code, district_code, csp_code FROM events
            WHERE force = 'cambridgeshire' AND year(month) = 2024 AND longitude IS NOT NULL
        """).fetchall()
        index = PointIndex.from_store(st.con, "district")
    assert index is not None
    lon = np.array([r[0] for r in rows])
    lat = np.array([r[1] for r in rows])
    inside = index.locate(lon, lat)
    in_six = [i for i, d in enumerate(inside) if d in SIX]
    assert len(in_six) > 75_000
    missing = [rows[i] for i in in_six if None in rows[i][2:]]
    assert missing == []
    # the published LSOA code and the generalised boundary agree on the district nearly always
    agree = sum(1 for i in in_six if rows[i][3] == inside[i])
    assert agree / len(in_six) > 0.99


def test_counts_by_csp_lists_cambridge_equal_to_a_recount(
        shared_data: Path, resolved_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    geo = shared_data / "geography"
    lsoa_district = {r["lsoa21_code"]: r["ltla24_code"]
                     for r in _csv_rows(geo / "lookup_lsoa21_ward24_ltla24.csv")}
    district_csp = {r["ltla24_code"]: (r["csp24_code"], r["csp24_name"])
                    for r in _csv_rows(geo / "lookup_ltla24_csp24_pfa24.csv")}
    expected: Counter[str] = Counter()
    for f in sorted((shared_data / "police-uk" / "cambridgeshire-2024").rglob("*-street.csv")):
        for r in _csv_rows(f):
            if r["Crime type"] == "Anti-social behaviour":
                continue
            csp = district_csp.get(lsoa_district.get(r["LSOA code"], ""), ("", ""))
            if csp[1] == "Cambridge":
                expected[csp[0]] += 1
    capsys.readouterr()
    assert main(["counts", "--by", "csp", "--names", "--format", "csv", "--where",
                 "force='cambridgeshire' AND calendar_year = '2024'",
                 "--store", str(resolved_store)]) == 0
    got = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(got[0]) == ["csp", "csp_name", "count"]
    cambridge = [r for r in got if r["csp_name"] == "Cambridge"]
    assert len(cambridge) == 1
    assert {cambridge[0]["csp"]: int(cambridge[0]["count"])} == dict(expected)
    assert int(cambridge[0]["count"]) > 10_000


def test_2011_codes_of_2018_19_resolve_through_the_lookup(resolved_store: Path) -> None:
    with open_store(resolved_store, read_only=True) as st:
        rows = dict(st.con.execute("""
            SELECT resolution, count(*) FROM events
            WHERE force = 'cambridgeshire' AND year(month) <= 2019 GROUP BY 1""").fetchall())
        coded = st.con.execute("""
            SELECT count(*), count(lsoa21_code), count(district_code), count(csp_code),
                   count(*) FILTER (lsoa_vintage = 2011)
            FROM events WHERE force = 'cambridgeshire' AND year(month) <= 2019
              AND lsoa_code IS NOT NULL""").fetchall()[0]
    assert coded[0] == coded[1] == coded[2] == coded[3] == coded[4] > 30_000
    assert rows.get("lookup", 0) > 20_000 and rows.get("split-by-point", 0) > 0
    assert "code" not in rows  # no 2021-only codes in 2018-19


def test_unresolved_share_is_reported_and_equals_rows_without_location(
        resolved_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["status", "--format", "json", "--store", str(resolved_store)]) == 0
    report = json.loads(capsys.readouterr().out)
    unresolved = {r["force"]: r for r in report["unresolved"]}
    no_location: Counter[str] = Counter()
    for r in report["location"]:
        no_location[r["force"]] += r["no_location"]
    for force in ("cambridgeshire", "city-of-london"):
        assert unresolved[force]["unresolved"] == no_location[force] > 0
        share = 100 * no_location[force] / unresolved[force]["events"]
        assert unresolved[force]["unresolved_pct"] == pytest.approx(share, abs=0.01)


def test_point_index_agrees_with_shapely_contains(resolved_store: Path) -> None:
    with open_store(resolved_store, read_only=True) as st:
        index = PointIndex.from_store(st.con, "lsoa21")
    assert index is not None
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-0.5, 0.5, 200), rng.uniform(52.0, 52.8, 200)
    codes = index.locate(lon, lat)
    for x, y, code in zip(lon, lat, codes, strict=True):
        p = shapely.Point(x, y)
        hits = sorted(str(c) for c, g in zip(index.codes, index.geoms, strict=True)
                      if g.intersects(p))
        assert code == (hits[0] if hits else None)


def test_resolving_on_insert_equals_resolving_stored_events(resolved_store: Path,
                                                            tmp_path: Path) -> None:
    """Ingest resolves rows as it inserts them; ``resolve_events`` re-resolves stored rows
    (after new reference data). The two paths must agree on every event of the real files."""
    import shutil

    from commsafe.reference.resolve import RESOLVED_COLUMNS, resolve_events

    copy = tmp_path / "copy.duckdb"
    shutil.copy(resolved_store, copy)
    cols = ", ".join(RESOLVED_COLUMNS)
    with open_store(copy) as store:
        before = store.con.execute(
            f"SELECT load_id, row_number, {cols} FROM events ORDER BY ALL").fetchall()
        assert len(before) > 600_000
        methods = Counter(r[-1] for r in before)
        assert methods["lookup"] and methods["code"] and methods["split-by-point"]
        with store.transaction() as con:
            counts = resolve_events(con)
        after = store.con.execute(
            f"SELECT load_id, row_number, {cols} FROM events ORDER BY ALL").fetchall()
    assert after == before
    assert sum(counts.values()) == len(before)


def test_rejected_rows_beside_resolved_ones(resolved_store: Path, tmp_path: Path,
                                            shared_data: Path) -> None:
    """A file with bad rows: the good rows are stored and resolved exactly as in the clean
    file, the bad ones rejected with their line, and nothing else is lost."""
    import shutil

    src = next((shared_data / "police-uk" / "cambridgeshire-2024").rglob("*-street.csv"))
    lines = src.read_bytes().decode("utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    lon = header.index("Longitude")
    damaged = list(lines)
    bad_lines = [5, 17]  # 1-based file lines (line 1 is the header)
    for ln in bad_lines:
        fields = next(csv.reader([damaged[ln - 1]]))
        fields[lon] = "200.5"  # outside the UK
        damaged[ln - 1] = ",".join(f'"{f}"' if "," in f else f for f in fields) + "\r\n"
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / src.name).write_text("".join(damaged), encoding="utf-8", newline="")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(resolved_store, copy)
    with open_store(copy) as store:
        clean = store.con.execute(
            "SELECT row_number, csp_code, resolution FROM events WHERE load_id = "
            "(SELECT load_id FROM loads WHERE path = ? AND replaced_by IS NULL) ORDER BY 1",
            [str(src)]).fetchall()
    assert main(["ingest", str(folder), "--store", str(copy), "--quiet"]) in (0, 1)
    with open_store(copy, read_only=True) as store:
        load_id, read, loaded, rejected = store.con.execute(
            "SELECT load_id, rows_read, rows_loaded, rows_rejected FROM loads WHERE path = ?",
            [str(folder / src.name)]).fetchall()[0]
        got = store.con.execute(
            "SELECT row_number, csp_code, resolution FROM events WHERE load_id = ? ORDER BY 1",
            [load_id]).fetchall()
        rejects = store.con.execute(
            "SELECT line_number, reason FROM rejects WHERE load_id = ? ORDER BY 1",
            [load_id]).fetchall()
    assert (read, loaded, rejected) == (len(lines) - 1, len(lines) - 3, 2)
    assert rejects == [(5, "outside_uk"), (17, "outside_uk")]
    assert got == [r for r in clean if r[0] not in (4, 16)]
