"""Reference data: recognition by content, exact row accounting, reloads, and the real data."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import shapely

from commsafe.errors import FileFormatError, InputError, ReferenceDataError
from commsafe.reference import (
    check_code,
    find_reference_files,
    geography,
    load_reference,
    normalise_sex,
    parse_age_band,
    parse_area_column,
    population,
    recognise,
    reference_summary,
)
from commsafe.store import Store, open_store, shapes
from commsafe.store.loads import LoadRecord

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reference"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not (SHARED / "geography").is_dir() or not (SHARED / "population").is_dir(),
    reason=f"real data not found at {SHARED} (the shared/data folder beside the checkout)",
)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    st = open_store(tmp_path / "store.duckdb")
    yield st
    st.close()


def rows(st: Store, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
    return st.con.execute(sql, params or []).fetchall()


def one(st: Store, sql: str, params: list[object] | None = None) -> Any:
    return st.con.execute(sql, params or []).fetchone()[0]  # type: ignore[index]


def load1(st: Store, path: Path, **kw: Any) -> LoadRecord:
    recs = load_reference(st, [path], **kw)
    assert len(recs) == 1
    return recs[0]


def reasons(rec: LoadRecord) -> list[tuple[int | None, str]]:
    return [(r.line_number, r.reason) for r in rec.rejects]


# Helpers -------------------------------------------------------------------------------------

def test_parse_area_column() -> None:
    c = parse_area_column("lsoa21_code")
    assert c is not None and (c.area_type, c.vintage, c.role) == ("lsoa21", 2021, "code")
    c = parse_area_column("WD22NM")
    assert c is not None and (c.area_type, c.vintage, c.role) == ("ward", 2022, "name")
    c = parse_area_column("LAD24CD")
    assert c is not None and (c.area_type, c.vintage) == ("district", 2024)
    c = parse_area_column("ltla24_name")
    assert c is not None and (c.area_type, c.role) == ("district", "name")
    c = parse_area_column("district_code")
    assert c is not None and (c.area_type, c.vintage) == ("district", None)
    assert parse_area_column("lsoa_code") is None  # no vintage: 2011 or 2021?
    assert parse_area_column("LSOA11NMW") is None
    assert parse_area_column("change_code") is None


def test_check_code() -> None:
    assert check_code("lsoa21", "E01017960") is None
    assert check_code("ward", "N08000101") is None
    assert check_code("lsoa21", "")[0] == "blank_code"  # type: ignore[index]
    assert check_code("lsoa21", "E0101796")[0] == "bad_code"  # type: ignore[index]
    assert check_code("lsoa11", "E02003719")[0] == "wrong_area_type"  # type: ignore[index]
    assert check_code("lsoa11", "S01007434")[0] == "not_england_wales"  # type: ignore[index]


def test_sex_and_age_band() -> None:
    assert [normalise_sex(s) for s in ("M", "Male", "male", "F", "Female", "Persons", "All",
                                       "total", "X")] == [
        "male", "male", "male", "female", "female", "persons", "persons", "persons", None]
    assert parse_age_band("all") == ("all", 0, None)
    assert parse_age_band("37") == ("37", 37, 37)
    assert parse_age_band("90+") == ("90+", 90, None)
    assert parse_age_band("16-24") == ("16-24", 16, 24)
    assert parse_age_band("24-16") is None
    assert parse_age_band("teens") is None


# Lookups -------------------------------------------------------------------------------------

def test_lsoa21_ward_district_lookup(store: Store) -> None:
    rec = load1(store, FIXTURES / "areas_a.csv")
    assert rec.kind == "reference:lsoa21_ward_district"
    assert (rec.status, rec.rows_read, rec.rows_loaded, rec.rows_rejected,
            rec.rows_duplicate) == ("loaded", 6, 3, 2, 1)
    assert reasons(rec) == [(5, "blank_code"), (6, "bad_code")]
    assert "column 'lsoa21_code'" in rec.rejects[1].detail and "E0101796" in rec.rejects[1].detail
    assert rows(store, "SELECT area_type, area_code, area_name, vintage FROM areas "
                       "ORDER BY 1, 2") == [
        ("district", "E06000031", "Peterborough", 2024),
        ("district", "E07000008", "Cambridge", 2024),
        ("lsoa21", "E01015600", "Peterborough 001A", 2021),
        ("lsoa21", "E01017960", "Cambridge 001A", 2021),
        ("lsoa21", "E01017961", "Cambridge 001B", 2021),
        ("ward", "E05010800", "Central", 2024),
        ("ward", "E05013050", "Castle", 2024),
    ]
    assert rows(store, "SELECT from_type, from_code, to_type, to_code, vintage FROM area_links "
                       "ORDER BY 1, 3, 2") == [
        ("lsoa21", "E01015600", "district", "E06000031", 2024),
        ("lsoa21", "E01017960", "district", "E07000008", 2024),
        ("lsoa21", "E01017961", "district", "E07000008", 2024),
        ("lsoa21", "E01015600", "ward", "E05010800", 2024),
        ("lsoa21", "E01017960", "ward", "E05013050", 2024),
        ("lsoa21", "E01017961", "ward", "E05013050", 2024),
        ("ward", "E05010800", "district", "E06000031", 2024),
        ("ward", "E05013050", "district", "E07000008", 2024),
    ]
    stored = rows(store, "SELECT kind, status, rows_read, rows_loaded, rows_rejected, "
                         "rows_duplicate FROM loads")
    assert stored == [("reference:lsoa21_ward_district", "loaded", 6, 3, 2, 1)]
    assert rows(store, "SELECT line_number, row_number, reason FROM rejects ORDER BY 1") == [
        (5, 4, "blank_code"), (6, 5, "bad_code")]


def test_district_csp_pfa_lookup(store: Store) -> None:
    rec = load1(store, FIXTURES / "partnerships.csv")
    assert rec.kind == "reference:district_csp_pfa"
    assert (rec.rows_read, rec.rows_loaded) == (4, 4)
    assert rows(store, "SELECT to_code FROM area_links WHERE from_code = 'E06000060' AND "
                       "to_type = 'csp' ORDER BY 1") == [("E22000303",), ("E22000306",)]
    assert rows(store, "SELECT from_type, count(*) FROM area_links WHERE to_code = 'E23000023' "
                       "GROUP BY 1 ORDER BY 1") == [("csp", 2), ("district", 2)]
    assert one(store, "SELECT area_name FROM areas WHERE area_type = 'pfa' AND area_code = "
                      "'E23000023'") == "Cambridgeshire"


def test_lsoa11_lsoa21_change_codes(store: Store) -> None:
    rec = load1(store, FIXTURES / "lsoa_changes.csv")
    assert rec.kind == "reference:lsoa11_lsoa21"
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (6, 5, 1)
    assert reasons(rec) == [(7, "bad_change_code")]
    assert rows(store, "SELECT from_code, to_code, change_code, vintage FROM area_links "
                       "ORDER BY 1, 2") == [
        ("E01017960", "E01017960", "U", 2021),
        ("E01017999", "E01035001", "S", 2021),
        ("E01017999", "E01035002", "S", 2021),
        ("E01018100", "E01035100", "M", 2021),
        ("E01018101", "E01035100", "M", 2021),
    ]
    assert rows(store, "SELECT area_type, count(*), min(vintage) FROM areas GROUP BY 1 "
                       "ORDER BY 1") == [("lsoa11", 4, 2011), ("lsoa21", 4, 2021)]


def test_folder_of_small_lookups(store: Store) -> None:
    recs = load_reference(store, [FIXTURES / "nested"])
    kinds = {r.kind: r for r in recs}
    assert set(kinds) == {"reference:lsoa11_ward", "reference:ward_district",
                          "reference:lsoa11_msoa11"}
    msoa = kinds["reference:lsoa11_msoa11"]
    assert (msoa.rows_read, msoa.rows_loaded, msoa.rows_rejected) == (3, 2, 1)
    assert reasons(msoa) == [(3, "not_england_wales")]
    assert rows(store, "SELECT area_code, vintage, area_name FROM areas WHERE area_type = 'ward' "
                       "ORDER BY 1") == [("E05002702", 2017, None), ("E05002750", 2017, None),
                                         ("E05010800", 2021, "Central"),
                                         ("E05013050", 2021, "Castle")]
    assert one(store, "SELECT count(*) FROM area_links WHERE from_type = 'lsoa11' AND "
                      "to_type = 'msoa11'") == 2


def test_newer_vintage_wins_whatever_the_order(store: Store) -> None:
    load_reference(store, [FIXTURES / "areas_a.csv"])  # wards 2024, names
    load_reference(store, [FIXTURES / "nested" / "ward_district_2021.csv"])  # the same, 2021
    assert rows(store, "SELECT area_code, area_name, vintage FROM areas WHERE area_type = 'ward' "
                       "ORDER BY 1") == [("E05010800", "Central", 2024),
                                         ("E05013050", "Castle", 2024)]
    assert one(store, "SELECT vintage FROM area_links WHERE from_code = 'E05013050'") == 2024


def test_police_force_sample_lookup(store: Store) -> None:
    rec = load1(store, FIXTURES / "force_lookup_sample.csv")
    assert rec.kind == "reference:lsoa11_district_msoa11"
    assert (rec.rows_read, rec.rows_loaded) == (3, 3)
    assert rows(store, "SELECT area_type, count(*) FROM areas GROUP BY 1 ORDER BY 1") == [
        ("district", 2), ("lsoa11", 3), ("msoa11", 2)]
    assert one(store, "SELECT to_code FROM area_links WHERE from_code = 'E01029338' AND "
                      "to_type = 'district'") == "E07000191"
    assert one(store, "SELECT count(*) FROM areas WHERE area_type NOT IN "
                      "('lsoa11', 'msoa11', 'district')") == 0


# Population ----------------------------------------------------------------------------------

def test_census2011_sample(store: Store) -> None:
    rec = load1(store, FIXTURES / "census_sample.csv")
    assert rec.kind == "reference:population"
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (4, 3, 1)
    assert reasons(rec) == [(5, "bad_number")]
    assert "column 'Persons'" in rec.rejects[0].detail and "1,5x0" in rec.rejects[0].detail
    assert rows(store, "SELECT area_type, area_code, year, sex, age_band, age_from, age_to, "
                       "population, source FROM population ORDER BY 2") == [
        ("lsoa11", "E01020634", 2011, "persons", "all", 0, None, 1563.0, "census2011"),
        ("lsoa11", "E01020635", 2011, "persons", "all", 0, None, 1379.0, "census2011"),
        ("lsoa11", "W01001913", 2011, "persons", "all", 0, None, 987.0, "census2011"),
    ]


def test_census2021_residents(store: Store) -> None:
    rec = load1(store, FIXTURES / "residents.csv")
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected, rec.rows_duplicate) == (6, 3, 2, 1)
    assert reasons(rec) == [(4, "bad_number"), (5, "negative_population")]
    assert rows(store, "SELECT area_code, population, year, source FROM population "
                       "ORDER BY 1") == [("E01017960", 1474.0, 2021, "census2021"),
                                         ("E01017961", 1386.0, 2021, "census2021"),
                                         ("E01035002", 2001.0, 2021, "census2021")]


def test_long_population_table(store: Store) -> None:
    rec = load1(store, FIXTURES / "own_population.csv")
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (9, 6, 3)
    assert reasons(rec) == [(7, "bad_sex"), (8, "bad_age_band"), (9, "bad_year")]
    assert rows(store, "SELECT area_type, area_code, sex, age_band, age_from, age_to, population, "
                       "source FROM population ORDER BY 2, 3, 4") == [
        ("district", "E06000031", "persons", "all", 0, None, 215000.0, "custom"),
        ("district", "E07000008", "female", "90+", 90, None, 1200.0, "custom"),
        ("district", "E07000008", "female", "all", 0, None, 76000.0, "custom"),
        ("district", "E07000008", "male", "16-24", 16, 24, 9000.0, "custom"),
        ("district", "E07000008", "male", "all", 0, None, 74000.0, "custom"),
        ("district", "E07000008", "persons", "all", 0, None, 150000.0, "custom"),
    ]


AGES = [str(a) for a in range(90)] + ["90+"]


def write_midyear(path: Path, lines: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lsoa11_name", "lsoa11_code", "total_population", *AGES])
        w.writerows(lines)
    return path


def midyear_ages(base: float) -> list[float]:
    return [float(base + a % 7) for a in range(91)]


def midyear_row(code: str, base: float) -> list[object]:
    ages = midyear_ages(base)
    return [f"Area {code}", code, sum(ages), *ages]


def test_midyear_single_years(store: Store, tmp_path: Path) -> None:
    f = write_midyear(tmp_path / "estimates_mid2019.csv",
                      [midyear_row("E01017960", 10), midyear_row("E01017961", 3)])
    rec = load1(store, f)
    assert (rec.kind, rec.rows_read, rec.rows_loaded) == ("reference:population", 2, 2)
    assert one(store, "SELECT count(*) FROM population") == 2 * 92
    assert rows(store, "SELECT DISTINCT year, source, sex, area_type FROM population") == [
        (2019, "mid2019", "persons", "lsoa11")]
    got = rows(store, "SELECT age_band, age_from, age_to, population FROM population WHERE "
                      "area_code = 'E01017960' AND age_band IN ('all', '0', '89', '90+') "
                      "ORDER BY age_from, age_band")
    assert got == [("0", 0, 0, 10.0), ("all", 0, None, sum(midyear_ages(10))),
                   ("89", 89, 89, 10.0 + 89 % 7), ("90+", 90, None, 10.0 + 90 % 7)]
    # --year wins over the file name
    rec = load1(store, write_midyear(tmp_path / "other_2019.csv", [midyear_row("E01017960", 1)]),
                year=2020)
    assert one(store, "SELECT count(*) FROM population WHERE year = 2020") == 92


def test_midyear_bad_rows_take_the_exact_path(store: Store, tmp_path: Path) -> None:
    good = [midyear_row("E01017960", 10), midyear_row("E01017961", 3)]
    bad_value = midyear_row("E01017962", 1)
    bad_value[40] = "n/a"
    negative = midyear_row("E01017963", 1)
    negative[3] = -1.0
    f = write_midyear(tmp_path / "mid2017.csv",
                      [good[0], bad_value, good[1], ["Short", "E01017964", 5.0], negative,
                       good[0], [*good[1][:3], *[0.0] * 91], ["x", "", *good[0][2:]]])
    rec = load1(store, f)
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected, rec.rows_duplicate) == (8, 2, 5, 1)
    assert reasons(rec) == [(3, "bad_number"), (5, "wrong_column_count"),
                            (6, "negative_population"), (8, "conflicting_duplicate"),
                            (9, "blank_code")]
    assert "column '37'" in rec.rejects[0].detail
    # the fast (pyarrow) and exact (csv module) readers give the same rows for a clean file
    clean = write_midyear(tmp_path / "mid2018.csv", good)
    src = geography.SourceFile(clean, clean.read_bytes(), "x")
    fast = population._read_clean(src, 94, 1, list(range(2, 94)), "lsoa11")
    out = geography.Outcome()
    exact = population._read_rows(src, out, "lsoa11", 1, list(range(2, 94)))
    assert fast is not None and fast[0] == exact[0] and (fast[1] == exact[1]).all()
    assert (out.rows_read, out.rows_loaded, out.rejects) == (2, 2, [])


def test_midyear_without_year_asks_for_it(store: Store, tmp_path: Path) -> None:
    f = write_midyear(tmp_path / "estimates.csv", [midyear_row("E01017960", 1)])
    with pytest.raises(FileFormatError, match=r"--year"):
        load_reference(store, [f])
    assert one(store, "SELECT count(*) FROM loads") == 0
    assert load1(store, f, year=2018).rows_loaded == 1


# Boundaries ----------------------------------------------------------------------------------

def test_boundaries_wgs84(store: Store) -> None:
    load_reference(store, [FIXTURES / "areas_a.csv"])
    rec = load1(store, FIXTURES / "shapes.geojson")
    assert rec.kind == "reference:boundaries:lsoa21"
    assert (rec.rows_read, rec.rows_loaded, rec.rows_rejected) == (5, 2, 3)
    assert [(r.row_number, r.reason) for r in rec.rejects] == [
        (3, "no_geometry"), (4, "bad_code"), (5, "not_polygon")]
    got = rows(store, "SELECT area_code, area_name, vintage, geometry, min_x, min_y, max_x, max_y "
                      "FROM boundaries ORDER BY 1")
    assert [g[:3] for g in got] == [("E01017960", "Cambridge 001A", 2021),
                                    ("E01099999", "Brand New 001A", 2021)]
    square = shapes.decode([got[0][3]])[0]
    assert square.equals(shapely.box(0.10, 52.20, 0.11, 52.21))
    assert got[0][4:] == pytest.approx((0.10, 52.20, 0.11, 52.21))
    # areas: the new code is added, existing names are kept
    assert rows(store, "SELECT area_code, area_name FROM areas WHERE area_type = 'lsoa21' "
                       "ORDER BY 1") == [("E01015600", "Peterborough 001A"),
                                         ("E01017960", "Cambridge 001A"),
                                         ("E01017961", "Cambridge 001B"),
                                         ("E01099999", "Brand New 001A")]


@pytest.mark.parametrize("use_pyogrio", [True, False], ids=["pyogrio", "json"])
def test_boundaries_ons_style_in_british_national_grid(store: Store, use_pyogrio: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if not use_pyogrio:
        monkeypatch.setattr(geography, "_pyogrio", lambda: None)
    rec = load1(store, FIXTURES / "ons_shapes.json")
    assert rec.kind == "reference:boundaries:lsoa11"
    assert (rec.rows_read, rec.rows_loaded, rec.rows_duplicate, rec.rows_rejected) == (5, 4, 1, 0)
    assert "EPSG" in (rec.note or "") and "combined" in (rec.note or "")
    got = rows(store, "SELECT area_code, area_name, geometry, min_x, min_y, max_x, max_y "
                      "FROM boundaries ORDER BY 1")
    assert [g[:2] for g in got] == [("E01017960", "Cambridge 001A"),
                                    ("E01017961", "Cambridge 001B"),
                                    ("E01017962", "Cambridge 001C")]
    for g in got:  # Cambridge, in degrees
        assert 0.0 < g[3] < g[5] < 0.3 and 52.1 < g[4] < g[6] < 52.3
    # the two triangles of E01017962 became one square
    merged = shapes.decode([got[2][2]])[0]
    assert merged.geom_type == "Polygon" and merged.is_valid


# Bad input -----------------------------------------------------------------------------------

def test_empty_file(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    with pytest.raises(FileFormatError, match=r"empty\.csv: the file is empty"):
        load_reference(store, [f])


def test_header_only_loads_nothing_and_is_fine(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text("lsoa21_code,total_residents\n", encoding="utf-8")
    rec = load1(store, f)
    assert (rec.status, rec.rows_read, rec.rows_loaded, rec.rejects) == ("loaded", 0, 0, [])
    assert "nothing is wrong" in (rec.note or "")


def test_unknown_header_lists_the_known_formats(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "lookup_lsoa21_ward24_ltla24.csv"  # the name does not matter
    f.write_text("Crime ID,Month,LSOA code\n1,2024-01,E01000001\n", encoding="utf-8")
    with pytest.raises(FileFormatError) as err:
        load_reference(store, [FIXTURES / "areas_a.csv", f])
    text = str(err.value)
    assert "line 1" in text and "Crime ID,Month,LSOA code" in text
    for expected in ("lsoa21_code, wardYY_code, ltlaYY_code", "total_residents",
                     "total_population", "Police_force", "FeatureCollection", "Fix:"):
        assert expected in text
    assert one(store, "SELECT count(*) FROM loads") == 0  # nothing loaded before the check


def test_recognised_by_content_not_name(tmp_path: Path) -> None:
    g = tmp_path / "population.csv"
    shutil.copy(FIXTURES / "shapes.geojson", g)
    assert recognise(g).kind == "reference:boundaries:lsoa21"
    p = tmp_path / "boundaries.geojson.csv"
    shutil.copy(FIXTURES / "residents.csv", p)
    assert recognise(p).kind == "reference:population"


def test_geojson_not_a_feature_collection(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "one.geojson"
    f.write_text(json.dumps({"type": "Feature", "properties": {"lsoa21_code": "E01017960"},
                             "geometry": {"type": "Point", "coordinates": [0, 52]}}))
    with pytest.raises(FileFormatError, match=r"one\.geojson: is not a GeoJSON FeatureCollection"):
        load_reference(store, [f])
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "FeatureCollection",\n "features": [,]}')
    with pytest.raises(FileFormatError, match=r"broken\.json, line 2, column 15: not valid JSON"):
        load_reference(store, [broken])


def test_geojson_without_code_property(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "nocode.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": 1, "label": "x"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    with pytest.raises(FileFormatError, match=r"no recognisable area code property "
                                              r"\(properties: id, label\)"):
        load_reference(store, [f])


def test_geojson_without_features(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "none.geojson"
    f.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(FileFormatError, match=r"none\.geojson: has no features with properties"):
        load_reference(store, [f])


def test_projected_coordinates_without_crs(store: Store, tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "ons_shapes.json").read_text())
    del doc["crs"]
    f = tmp_path / "nocrs.geojson"
    f.write_text(json.dumps(doc))
    with pytest.raises(FileFormatError, match=r"not longitude/latitude.*EPSG:27700"):
        load_reference(store, [f])
    assert one(store, "SELECT count(*) FROM boundaries") == 0


def test_missing_path_and_empty_folder(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        load_reference(store, [tmp_path / "nope.csv"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(ReferenceDataError, match=r"no \.csv, \.geojson or \.json files"):
        load_reference(store, [tmp_path / "empty"])


def test_find_reference_files_recurses_and_dedupes() -> None:
    files = find_reference_files([FIXTURES, FIXTURES / "areas_a.csv"])
    names = [f.name for f in files]
    assert "old_wards.csv" in names and "ons_shapes.json" in names
    assert names.count("areas_a.csv") == 1
    assert len(files) == len(list(FIXTURES.rglob("*.csv"))) + 2


# Reloads -------------------------------------------------------------------------------------

def test_reload_is_duplicate_and_a_new_file_replaces(store: Store, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    first = load_reference(store, [FIXTURES], progress=lambda *a: seen.append(a))
    assert all(r.status == "loaded" for r in first)
    n = len(first)
    assert seen == [(r.path, i + k, n) for i, r in enumerate(first) for k in (0, 1)]
    counts = {t: one(store, f"SELECT count(*) FROM {t}")
              for t in ("areas", "area_links", "boundaries", "population", "rejects")}
    again = load_reference(store, [FIXTURES])
    assert [r.status for r in again] == ["duplicate"] * len(first)
    for a, b in zip(first, again, strict=True):
        assert (b.kind, b.rows_read, b.rows_duplicate, b.rows_loaded) == (
            a.kind, a.rows_read, a.rows_read, 0)
    assert counts == {t: one(store, f"SELECT count(*) FROM {t}") for t in counts}
    # a corrected file of the same kind replaces the rows it covers
    fixed = tmp_path / "residents_v2.csv"
    fixed.write_text("lsoa21_code,total_residents\nE01017960,1500\n", encoding="utf-8")
    rec = load1(store, fixed)
    assert (rec.status, rec.rows_loaded) == ("loaded", 1)
    assert one(store, "SELECT population FROM population WHERE area_code = 'E01017960' AND "
                      "source = 'census2021'") == 1500.0
    assert one(store, "SELECT population FROM population WHERE area_code = 'E01017961' AND "
                      "source = 'census2021'") == 1386.0


def test_reference_summary(store: Store) -> None:
    load_reference(store, [FIXTURES / "areas_a.csv", FIXTURES / "partnerships.csv",
                           FIXTURES / "shapes.geojson", FIXTURES / "residents.csv"])
    s = reference_summary(store.con)
    assert s["areas"] == {"csp": 4, "district": 3, "lsoa21": 4, "pfa": 2, "ward": 2}
    assert s["areas_by_vintage"]["lsoa21"] == {2021: 4}
    assert s["links"]["lsoa21->ward"] == 3 and s["links"]["district->csp"] == 4
    assert s["boundaries"] == {"lsoa21": 2}
    assert s["population"] == [{"year": 2021, "source": "census2021", "area_type": "lsoa21",
                                "sex": "persons", "areas": 3, "rows": 3, "total": 4861.0}]
    assert s["loads"]["reference:population"] == 1


# Real data -----------------------------------------------------------------------------------

CAMBRIDGESHIRE = {
    "E07000008": "Cambridge", "E07000009": "East Cambridgeshire", "E07000010": "Fenland",
    "E07000011": "Huntingdonshire", "E07000012": "South Cambridgeshire",
    "E06000031": "Peterborough",
}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not (SHARED / "geography").is_dir() or not (SHARED / "population").is_dir():
        pytest.skip(f"real data not found at {SHARED}")
    st = open_store(tmp_path_factory.mktemp("real") / "store.duckdb")
    recs = load_reference(st, [SHARED / "geography", SHARED / "population"])
    yield st, recs
    st.close()


@pytest.mark.slow
@needs_shared
def test_real_areas_and_links(real: tuple[Store, list[LoadRecord]]) -> None:
    st, recs = real
    assert all(r.status == "loaded" for r in recs)
    for r in recs:
        assert r.rows_read == r.rows_loaded + r.rows_rejected + r.rows_duplicate
    assert one(st, "SELECT count(*) FROM areas WHERE area_type = 'lsoa21'") == 35_672
    assert one(st, "SELECT count(*) FROM areas WHERE area_type = 'lsoa11'") == 34_753
    assert one(st, "SELECT count(*) FROM boundaries WHERE area_type = 'lsoa21'") == 35_672
    assert one(st, "SELECT count(*) FROM boundaries WHERE area_type = 'lsoa11'") == 34_753
    msoa = next(r for r in recs if r.kind == "reference:lsoa11_msoa11")
    assert msoa.rows_rejected == 6_976  # Scottish data zones
    assert {r.reason for r in msoa.rejects} == {"not_england_wales"}
    assert rows(st, "SELECT count(*), min(line_number), max(line_number) FROM rejects "
                    "WHERE load_id = ?", [msoa.load_id]) == [(6_976, 32_843, 39_821)]
    names = dict(rows(st, "SELECT area_code, area_name FROM areas WHERE area_type = 'district' "
                          "AND area_code IN (SELECT unnest(?))", [list(CAMBRIDGESHIRE)]))
    assert names == CAMBRIDGESHIRE
    to_pfa = rows(st, "SELECT from_code, to_code FROM area_links WHERE from_type = 'district' "
                      "AND to_type = 'pfa' AND to_code = 'E23000023' ORDER BY 1")
    assert {c for c, _ in to_pfa} == set(CAMBRIDGESHIRE)
    csps = rows(st, """SELECT l.from_code, l.to_code, p.to_code FROM area_links l
                       JOIN area_links p ON p.from_type = 'csp' AND p.from_code = l.to_code
                       AND p.to_type = 'pfa'
                       WHERE l.from_type = 'district' AND l.to_type = 'csp'
                       AND l.from_code IN (SELECT unnest(?))""", [list(CAMBRIDGESHIRE)])
    assert {d for d, _, _ in csps} == set(CAMBRIDGESHIRE)
    assert {p for _, _, p in csps} == {"E23000023"}
    assert one(st, "SELECT area_name FROM areas WHERE area_type = 'pfa' AND "
                   "area_code = 'E23000023'") == "Cambridgeshire"
    # every LSOA 2021 has a ward and a district
    assert one(st, "SELECT count(DISTINCT from_code) FROM area_links WHERE from_type = 'lsoa21' "
                   "AND to_type = 'ward'") == 35_672


def recount(path: Path) -> tuple[float, float, int]:
    """Sum of total_population, sum of the age columns, and rows, with the csv module."""
    total = ages = 0.0
    n = 0
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            n += 1
            total += float(row["total_population"])
            ages += sum(float(row[a]) for a in AGES)
    return total, ages, n


@pytest.mark.slow
@needs_shared
def test_real_population_matches_a_recount(real: tuple[Store, list[LoadRecord]]) -> None:
    st, _ = real
    with (SHARED / "population" / "census2021_lsoa21_usual_residents.csv").open(
            newline="", encoding="utf-8") as fh:
        census = sum(int(r["total_residents"]) for r in csv.DictReader(fh))
    assert one(st, "SELECT sum(population) FROM population WHERE source = 'census2021'") == census
    assert census == 59_597_576
    midyear = sorted((SHARED / "population").glob("mid*_lsoa11_*.csv"))
    assert len(midyear) == 3
    for f in midyear:
        year = int(f.name[3:7])
        total, ages, n = recount(f)
        got = rows(st, """SELECT sum(population) FILTER (WHERE age_band = 'all'),
                                 sum(population) FILTER (WHERE age_band <> 'all'),
                                 count(DISTINCT area_code), count(*)
                          FROM population WHERE source = ? AND year = ?""", [f"mid{year}", year])
        assert got == [(total, pytest.approx(ages), n, n * 92)]
        worst = one(st, """SELECT max(abs(a - s)) FROM (
                             SELECT sum(population) FILTER (WHERE age_band = 'all') AS a,
                                    sum(population) FILTER (WHERE age_band <> 'all') AS s
                             FROM population WHERE year = ? AND source = ?
                             GROUP BY area_code)""", [year, f"mid{year}"])
        assert worst <= 0.5  # each LSOA's total is the sum of its single years


@pytest.mark.slow
@needs_shared
def test_real_reload_is_duplicate(real: tuple[Store, list[LoadRecord]]) -> None:
    st, first = real
    before = {t: one(st, f"SELECT count(*) FROM {t}")
              for t in ("areas", "area_links", "boundaries", "population", "rejects")}
    again = load_reference(st, [SHARED / "geography", SHARED / "population"])
    assert [r.status for r in again] == ["duplicate"] * len(first)
    assert [r.rows_duplicate for r in again] == [r.rows_read for r in first]
    assert before == {t: one(st, f"SELECT count(*) FROM {t}") for t in before}
