"""Resolution of events to areas, on a hand-made geography where every answer is known.

Squares (lon/lat degrees) in a 2×2 grid:      2021 LSOAs A21 (west) and B21 (east) split the
2011 LSOA S11; U11 is unchanged (same code in 2021); M11a and M11b merged into M21.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from commsafe.reference.population import insert_population
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")


def box(x0: float, y0: float, x1: float, y1: float) -> bytes:
    return shapely.to_wkb(shapely.box(x0, y0, x1, y1))


@pytest.fixture
def geo_store(tmp_path: Path) -> Store:
    st = open_store(tmp_path / "s.duckdb")
    con = st.con
    areas = [("lsoa11", "E01000011", "S11"), ("lsoa11", "E01000012", "U"),
             ("lsoa11", "E01000013", "M11a"), ("lsoa11", "E01000014", "M11b"),
             ("lsoa21", "E01000021", "A21"), ("lsoa21", "E01000022", "B21"),
             ("lsoa21", "E01000012", "U"), ("lsoa21", "E01000023", "M21"),
             ("ward", "E05000001", "West ward"), ("ward", "E05000002", "East ward"),
             ("district", "E07000001", "Testshire"), ("csp", "E22000001", "Testshire CSP"),
             ("pfa", "E23000001", "Test Police")]
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, NULL, 0)", areas)
    links = [("lsoa11", "E01000011", "lsoa21", "E01000021", "S"),
             ("lsoa11", "E01000011", "lsoa21", "E01000022", "S"),
             ("lsoa11", "E01000012", "lsoa21", "E01000012", "U"),
             ("lsoa11", "E01000013", "lsoa21", "E01000023", "M"),
             ("lsoa11", "E01000014", "lsoa21", "E01000023", "M"),
             ("lsoa21", "E01000021", "ward", "E05000001", None),
             ("lsoa21", "E01000022", "ward", "E05000002", None),
             ("lsoa21", "E01000012", "ward", "E05000002", None),
             ("lsoa21", "E01000023", "ward", "E05000001", None)]
    links += [("lsoa21", c, "district", "E07000001", None)
              for c in ("E01000021", "E01000022", "E01000012", "E01000023")]
    links += [("district", "E07000001", "csp", "E22000001", None),
              ("district", "E07000001", "pfa", "E23000001", None)]
    con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, ?, NULL, 0)", links)
    bounds = [("E01000021", box(0, 52, 0.5, 52.5)), ("E01000022", box(0.5, 52, 1, 52.5)),
              ("E01000012", box(0, 52.5, 0.5, 53)), ("E01000023", box(0.5, 52.5, 1, 53))]
    con.executemany(
        "INSERT INTO boundaries VALUES ('lsoa21', ?, NULL, 2021, ?, NULL, NULL, NULL, NULL, 0)",
        bounds)
    # B21 is the more populous half of the split
    insert_population(con, [("lsoa21", c, 2021, "persons", "all", 0, None, p, "test", 0)
                    for c, p in [("E01000021", 1000), ("E01000022", 2500)]])
    yield st
    st.close()


def write(tmp_path: Path, rows: list[tuple[str, str, str]], month: str = "2021-06") -> Path:
    """rows: (longitude, latitude, lsoa code)."""
    body = "".join(f"id{i},{month},Test,Test,{lon},{lat},On or near X,{code},n,Burglary,,\n"
                   for i, (lon, lat, code) in enumerate(rows))
    f = tmp_path / f"{month}-testforce-street.csv"
    f.write_text(HEAD + body, encoding="utf-8")
    return f


def resolved(st: Store) -> list[tuple[object, ...]]:
    return st.con.execute(
        "SELECT lsoa_vintage, lsoa21_code, ward_code, district_code, csp_code, pfa_code, "
        "resolution FROM events ORDER BY row_number").fetchall()


def test_each_resolution_method(geo_store: Store, tmp_path: Path) -> None:
    f = write(tmp_path, [
        ("0.2", "52.2", "E01000021"),   # 2021 code: trusted as published
        ("0.7", "52.7", "E01000013"),   # merged 2011 code: single successor
        ("0.2", "52.2", "E01000011"),   # split, point in the west half
        ("0.8", "52.2", "E01000011"),   # split, point in the east half
        ("", "", "E01000011"),          # split, no point: most populous successor (B21)
        ("1.7", "52.2", "E01000011"),   # split, point in neither half: most populous
        ("0.2", "52.7", ""),            # no code, point: point-in-polygon
        ("0.7", "52.2", "E01999999"),   # unknown code, point: point-in-polygon
        ("", "", ""),                   # nothing: unresolved, kept
        ("1.5", "52.2", ""),            # point outside every boundary: unresolved, kept
    ])
    res = ingest(geo_store, [f])
    assert res.ok and res.loads[0].rows_loaded == 10
    w, e, dist, csp, pfa = "E05000001", "E05000002", "E07000001", "E22000001", "E23000001"
    assert resolved(geo_store) == [
        (2021, "E01000021", w, dist, csp, pfa, "code"),
        (2011, "E01000023", w, dist, csp, pfa, "lookup"),
        (2011, "E01000021", w, dist, csp, pfa, "split-by-point"),
        (2011, "E01000022", e, dist, csp, pfa, "split-by-point"),
        (2011, "E01000022", e, dist, csp, pfa, "split-by-population"),
        (2011, "E01000022", e, dist, csp, pfa, "split-by-population"),
        (None, "E01000012", e, dist, csp, pfa, "point-in-polygon"),
        (None, "E01000022", e, dist, csp, pfa, "point-in-polygon"),
        (None, None, None, None, None, None, "unresolved"),
        (None, None, None, None, None, None, "unresolved"),
    ]


def test_unchanged_code_takes_the_vintage_of_its_file(geo_store: Store, tmp_path: Path) -> None:
    # E01000012 is in both lists; the file's other codes are 2011-only, so it is 2011 here
    f11 = write(tmp_path, [("0.2", "52.7", "E01000012"), ("0.7", "52.7", "E01000013"),
                           ("0.7", "52.7", "E01000014")], month="2019-01")
    f21 = write(tmp_path, [("0.2", "52.7", "E01000012"), ("0.2", "52.2", "E01000021")],
                month="2023-06")
    ingest(geo_store, [f11, f21])
    rows = geo_store.con.execute(
        "SELECT strftime(month, '%Y'), lsoa_code, lsoa_vintage, lsoa21_code FROM events "
        "ORDER BY month, row_number").fetchall()
    assert rows == [("2019", "E01000012", 2011, "E01000012"),
                    ("2019", "E01000013", 2011, "E01000023"),
                    ("2019", "E01000014", 2011, "E01000023"),
                    ("2023", "E01000012", 2021, "E01000012"),
                    ("2023", "E01000021", 2021, "E01000021")]


def test_events_without_reference_are_kept_unresolved(tmp_path: Path) -> None:
    with open_store(tmp_path / "bare.duckdb") as st:
        ingest(st, [write(tmp_path, [("0.2", "52.2", "E01000021"), ("", "", "")])])
        assert [r[-1] for r in resolved(st)] == ["unresolved", "unresolved"]
        assert st.con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 2
