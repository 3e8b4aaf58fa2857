"""The CLI on a sparse store, as a new user has one: police.uk months, 2011 LSOA boundaries,
an LSOA 2011 → district lookup and 2011 census population, but no ward boundaries, no 2021
LSOAs and no district → CSP lookup. Every command either works on the 2011 LSOAs or says
what is missing and how to load it (exit 2, no traceback)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commsafe.cli import main
from commsafe.store import open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")
LEEDS = "E08000035"
#: a 6 × 6 block of 2011 LSOA squares in Leeds (lon, lat of the south-west corner)
LON0, LAT0, DLON, DLAT, N = -1.62, 53.77, 0.01, 0.006, 6


def _code(i: int, j: int) -> str:
    return f"E0101{i * N + j + 1:04d}"


def _name(i: int, j: int) -> str:
    return f"Leeds {i * N + j + 1:03d}A"


def _reference(folder: Path) -> None:
    folder.mkdir()
    lookup = [",Region code,Region name,Local authority code,Local authority name,MSOA Code,"
              "MSOA Name,LSOA Code,LSOA Name,Police_force"]
    pop = ["Region code,Region name,Local authority code,Local authority name,MSOA Code,"
           "MSOA Name,LSOA Code,LSOA Name,,Persons,Persons,Persons,Hectares,"
           "Persons per hectare,Households,Persons per household"]
    features = []
    for i in range(N):
        for j in range(N):
            k = i * N + j
            lookup.append(f"{k},E12000003,YORKSHIRE AND THE HUMBER,{LEEDS},Leeds,E02002330,"
                          f"Leeds 001,{_code(i, j)},{_name(i, j)},West Yorkshire")
            pop.append(f"E12000003,YORKSHIRE AND THE HUMBER,{LEEDS},Leeds,E02002330,Leeds 001,"
                       f"{_code(i, j)},{_name(i, j)},,\"1,{500 + 10 * k}\",1500,0,50,30.0,600,"
                       "2.5")
            x, y = LON0 + j * DLON, LAT0 + i * DLAT
            ring = [[x, y], [x + DLON, y], [x + DLON, y + DLAT], [x, y + DLAT], [x, y]]
            features.append({"type": "Feature",
                             "properties": {"LSOA11CD": _code(i, j), "LSOA11NM": _name(i, j)},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})
    (folder / "PoliceforceLSOA.csv").write_text("\n".join(lookup) + "\n", encoding="utf-8")
    (folder / "census_2011_population_hh.csv").write_text("\n".join(pop) + "\n",
                                                          encoding="utf-8")
    (folder / "lsoa11_boundaries.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": features}), encoding="utf-8")


def _street(folder: Path, month: str, points: np.ndarray, crime: str, start: int,
            no_location: int = 0) -> int:
    rows = []
    for k, (x, y) in enumerate(points):
        j = min(N - 1, int((x - LON0) / DLON))
        i = min(N - 1, int((y - LAT0) / DLAT))
        rows.append(f"id{start + k},{month},West Yorkshire Police,West Yorkshire Police,"
                    f"{x:.6f},{y:.6f},On or near X,{_code(i, j)},{_name(i, j)},{crime},,\n")
    for k in range(no_location):
        rows.append(f"nl{start + k},{month},West Yorkshire Police,West Yorkshire Police,,,"
                    f"No Location,,,{crime},,\n")
    path = folder / month / f"{month}-west-yorkshire-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as h:
        if h.tell() == 0:
            h.write(HEAD)
        h.write("".join(rows))
    return start + len(rows)


@pytest.fixture
def sparse(tmp_path: Path) -> Path:
    """A store like a new user's: two July months, 2011 geography only."""
    rng = np.random.default_rng(5)
    data = tmp_path / "police"
    data.mkdir()
    width, height = N * DLON, N * DLAT
    # 2017: the western half only, with a cluster; 2018: the whole block, another cluster
    west = np.column_stack([rng.uniform(LON0, LON0 + width / 2, 300),
                            rng.uniform(LAT0, LAT0 + height, 300)])
    cluster17 = rng.normal([LON0 + 0.012, LAT0 + 0.018], [0.001, 0.0006], (120, 2))
    start = _street(data, "2017-07", np.vstack([west, cluster17]), "Burglary", 0)
    spread = np.column_stack([rng.uniform(LON0, LON0 + width, 400),
                              rng.uniform(LAT0, LAT0 + height * 0.6, 400)])
    cluster18 = rng.normal([LON0 + 0.045, LAT0 + 0.012], [0.001, 0.0006], (150, 2))
    start = _street(data, "2018-07", np.vstack([spread, cluster18]), "Burglary", start,
                    no_location=20)
    asb = np.column_stack([rng.uniform(LON0, LON0 + width, 80),
                           rng.uniform(LAT0, LAT0 + height, 80)])
    _street(data, "2018-07", asb, "Anti-social behaviour", start)
    _reference(tmp_path / "reference")
    store = tmp_path / "sparse.duckdb"
    with open_store(store) as st:
        ingest(st, [data])
    assert main(["reference", "load", str(tmp_path / "reference"), "--store", str(store),
                 "--quiet"]) == 0
    return store


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err
    assert "pass None" not in err  # an internal message, not for users


# 1 --------------------------------------------------------------------------------------------

def test_grid_hotspots_compare_two_periods_on_one_grid(
        sparse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--cell-size", "300"]):
        out = tmp_path / f"grid{len(extra)}"
        code = main(["hotspots", "--period", "2017", "--compare-period", "2018", "--out",
                     str(out), "--store", str(sparse), *extra])
        captured = capsys.readouterr()
        _no_traceback(captured.err)
        assert "different grids" not in captured.err
        assert code == 0, captured.err
        assert "both periods" in captured.err  # the shared grid is announced
        change = pd.read_csv(out / "hotspots_grid_change.csv")
        assert len(change) == len(pd.read_csv(out / "hotspots_grid.csv"))
        assert change["count_first"].sum() == 420 and change["count_second"].sum() == 550
        assert "new" in set(change["change"])  # the 2018 cluster is a new hotspot
        assert (out / "hotspots_grid_change.png").stat().st_size > 10_000


def test_kde_compare_two_periods_on_one_grid(sparse: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--cell-size", "100"]):
        out = tmp_path / f"kde{len(extra)}"
        code = main(["hotspots", "--method", "kde", "--period", "2017", "--compare-period",
                     "2018", "--out", str(out), "--store", str(sparse), *extra])
        captured = capsys.readouterr()
        _no_traceback(captured.err)
        assert code == 0, captured.err
        assert "one grid for both" in captured.out
        change = pd.read_csv(out / "hotspots_kde_change.csv")
        cell_km2 = (pd.Series(sorted(change["x"].unique())).diff().min() / 1000) ** 2
        assert change["density_first"].sum() * cell_km2 == pytest.approx(420, rel=1e-6)
        assert change["density_second"].sum() * cell_km2 == pytest.approx(550, rel=1e-6)
        assert (change["change"] == change["density_second"] - change["density_first"]).all()
        assert (out / "hotspots_kde_change.png").stat().st_size > 10_000


def test_real_west_yorkshire_months_compare_on_one_grid(
        crime_sim_wheel: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real West Yorkshire street files of July 2017 and July 2018, from the package-index
    wheel (the sample cache holds the same files)."""
    files = []
    with zipfile.ZipFile(crime_sim_wheel) as archive:
        for m in ("2017-07", "2018-07"):
            member = (f"crime_sim_toolkit/tests/testing_data/test_policedata/{m}/"
                      f"{m}-west-yorkshire-street.csv")
            target = tmp_path / m / f"{m}-west-yorkshire-street.csv"
            target.parent.mkdir()
            target.write_bytes(archive.read(member))
            files.append(target)
    store = tmp_path / "wy.duckdb"
    with open_store(store) as st:
        ingest(st, files)
    code = main(["hotspots", "--period", "2017", "--compare-period", "2018", "--category",
                 "Burglary", "--out", str(tmp_path / "h"), "--store", str(store)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 0, captured.err
    assert "2017 → 2018:" in captured.out


# 2 --------------------------------------------------------------------------------------------

def test_lsoa_hotspots_use_the_2011_lsoas(sparse: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lsoa"
    code = main(["hotspots", "--method", "lsoa", "--period", "2018", "--area", "Leeds",
                 "--out", str(out), "--store", str(sparse)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 0, captured.err
    assert "no 2021 LSOAs are loaded: areas are the 2011 LSOAs" in captured.err
    table = pd.read_csv(out / "hotspots_lsoa.csv")
    assert len(table) == N * N and table["area_code"].str.startswith("E0101").all()
    assert table["count"].sum() == 550
    assert (table["class"] == "hot").any()


def test_lsoa_hotspots_without_any_lsoa_say_what_to_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "police"
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(LON0, LON0 + 0.05, 60),
                           rng.uniform(LAT0, LAT0 + 0.03, 60)])
    _street(data, "2018-07", pts, "Burglary", 0)
    store = tmp_path / "bare.duckdb"
    with open_store(store) as st:
        ingest(st, [data])
    code = main(["hotspots", "--method", "lsoa", "--period", "2018", "--out",
                 str(tmp_path / "x"), "--store", str(store)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 2
    assert "no 2021 LSOAs are loaded" in captured.err
    assert "lsoa21_boundaries.geojson" in captured.err
    assert "commsafe reference load" in captured.err


# 3 --------------------------------------------------------------------------------------------

def test_rates_by_ward_without_wards_says_what_to_load(
        sparse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["table", "rates", "--by", "ward", "--period", "2018", "--format", "csv",
                 "--store", str(sparse)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 2
    assert captured.out == ""  # no empty CSV
    assert "no wards are loaded" in captured.err
    assert "wards22_boundaries.geojson" in captured.err
    assert "commsafe reference load" in captured.err
    assert "--by lsoa11" in captured.err
    assert "(no location)" not in captured.err


def test_rates_by_lsoa11(sparse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["table", "rates", "--by", "lsoa11", "--period", "2018", "--format", "csv",
                 "--store", str(sparse)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 0, captured.err
    from io import StringIO

    frame = pd.read_csv(StringIO(captured.out))
    assert list(frame.columns[:5]) == ["area_code", "area_name", "count", "population",
                                       "rate_per_1000"]
    assert len(frame) == N * N
    assert frame["count"].sum() == 550  # the 20 without location are in no row
    row = frame.loc[frame["area_code"] == _code(0, 0)].iloc[0]
    assert row["population"] == 1500
    assert row["rate_per_1000"] == pytest.approx(round(row["count"] * 1000 / 1500, 1))
    assert "20 event(s) of this selection could not be placed in a lsoa11 (no location)" \
        in captured.err


# 4 --------------------------------------------------------------------------------------------

def test_map_rates_on_2011_lsoas_or_says_what_is_missing(
        sparse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map"
    code = main(["map", "rates", "--by", "lsoa", "--period", "2018", "--area", "Leeds",
                 "--out", str(out), "--store", str(sparse)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 0, captured.err
    assert "no events in 2018" not in captured.err
    assert "2011 LSOAs" in captured.err
    assert (out / "map_lsoa11_rate_per_1000.png").stat().st_size > 10_000
    assert pd.read_csv(out / "map_lsoa11_rate_per_1000.csv")["count"].sum() == 550
    code = main(["map", "rates", "--by", "ward", "--period", "2018", "--out", str(out),
                 "--store", str(sparse)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 2
    assert "no events in 2018" not in captured.err
    assert "no wards are loaded" in captured.err and "wards22_boundaries" in captured.err


# 5 --------------------------------------------------------------------------------------------

def test_areas_asb_only_without_wards(sparse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["table", "areas", "--by", "ward", "--period", "2018", "--asb-only",
                 "--store", str(sparse)])
    captured = capsys.readouterr()
    _no_traceback(captured.err)
    assert code == 2
    assert "no wards are loaded" in captured.err and "commsafe reference load" in captured.err
    code = main(["table", "areas", "--by", "lsoa", "--period", "2018", "--asb-only",
                 "--format", "csv", "--store", str(sparse)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    from io import StringIO

    frame = pd.read_csv(StringIO(captured.out))
    assert frame["count"].sum() == 80  # every ASB incident, on its 2011 LSOA
    assert "2011 LSOAs" in captured.err


# 6 --------------------------------------------------------------------------------------------

def test_counts_by_csp_names_the_missing_lookup(sparse: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["counts", "--by", "csp", "--format", "csv", "--store", str(sparse)]) == 0
    captured = capsys.readouterr()
    # the CSV stays clean: one row of 2017 and 2018 crime, the note on stderr
    assert captured.out.splitlines() == ["csp,count", ",990"]
    assert "no CSPs are loaded" in captured.err
    assert "lookup_ltla24_csp24_pfa24.csv" in captured.err
    assert "commsafe reference load" in captured.err
    assert main(["counts", "--by", "district", "--format", "csv", "--store", str(sparse)]) == 0
    captured = capsys.readouterr()
    assert f"{LEEDS},970" in captured.out  # the 20 without location are not
    assert "note:" not in captured.err  # districts are there: nothing to say
