"""Gi* hotspots: a planted cluster, agreement with esda and an independent BH, guardrails,
hand-made areas with an island, two-period classes, GeoJSON/CSV outputs, the store helpers,
and all 2021 LSOAs of England and Wales."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda import G_Local
from libpysal.weights import DistanceBand, Queen
from scipy import stats
from shapely.geometry import box

from commsafe.errors import InputError, QueryError, ReferenceDataError
from commsafe.spatial import grid as grid_mod
from commsafe.spatial import hotspots
from commsafe.spatial.grid import auto_cell_size, make_grid, to_lonlat
from commsafe.spatial.hotspots import (
    AREA_COLUMNS,
    CHANGE_CLASSES,
    GRID_COLUMNS,
    HotspotResult,
    classify_periods,
    gistar_grid,
    gistar_polygons,
    store_points,
    store_polygons,
)

X0, Y0 = 500_000.0, 200_000.0  # British National Grid metres, a whole multiple of any cell
CELL = 100.0
EXTENT = (X0, Y0, X0 + 5_000, Y0 + 5_000)  # 50 × 50 cells
BLOCK_ROWS, BLOCK_COLS = range(25, 28), range(20, 23)  # the planted 3 × 3 block


def planted(seed: int = 1, cluster: int = 400) -> np.ndarray:
    """3,000 uniform points over 5 km × 5 km plus ``cluster`` points in the 3 × 3 block."""
    rng = np.random.default_rng(seed)
    bg = np.column_stack([rng.uniform(X0, X0 + 5_000, 3_000), rng.uniform(Y0, Y0 + 5_000, 3_000)])
    cx = rng.uniform(X0 + 2_000, X0 + 2_300, cluster)
    cy = rng.uniform(Y0 + 2_500, Y0 + 2_800, cluster)
    return np.vstack([bg, np.column_stack([cx, cy])])


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg, written out: p_(i) × m / i, made monotone from the top, capped at 1."""
    m = len(p)
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


@pytest.fixture(scope="module")
def planted_result() -> HotspotResult:
    return gistar_grid(planted(), cell_size=CELL, extent=EXTENT)


# --- grid -----------------------------------------------------------------------------------

def test_planted_cluster_is_hot_and_nothing_far_away(planted_result: HotspotResult) -> None:
    f = planted_result.frame
    assert list(f.columns) == GRID_COLUMNS
    assert len(f) == 2_500 and f["count"].sum() == 3_400
    row, col = f["cell_id"] // 50, f["cell_id"] % 50
    block = row.isin(BLOCK_ROWS) & col.isin(BLOCK_COLS)
    assert (f.loc[block, "class"] == "hot").all()
    hot = f["class"] == "hot"
    # Gi* spills one cell around the block (the neighbours share its counts), no further
    near = row.between(24, 28) & col.between(19, 23)
    assert not (hot & ~near).any()
    assert set(f["class"]) <= {"hot", "cold", "not significant"}


def test_output_contract(planted_result: HotspotResult) -> None:
    f = planted_result.frame
    assert str(f["cell_id"].dtype) == "int64" and str(f["count"].dtype) == "int64"
    for c in ("x", "y", "lon", "lat", "gi_z", "p_value", "p_adjusted"):
        assert f[c].dtype == np.float64, c
    assert f["p_value"].between(0, 1).all() and f["p_adjusted"].between(0, 1).all()
    assert (f["p_adjusted"] >= f["p_value"] - 1e-15).all()
    # centres are on the 100 m lattice, and lon/lat is the same point in WGS84
    assert np.allclose((f["x"] - X0 - 50) % CELL, 0) and np.allclose((f["y"] - Y0 - 50) % CELL, 0)
    lon, lat = to_lonlat(f["x"], f["y"])
    assert np.allclose(lon, f["lon"]) and np.allclose(lat, f["lat"])
    assert f["lon"].between(-8, 2).all() and f["lat"].between(49, 61).all()
    p = planted_result.params
    assert p["cell_size"] == CELL and p["transform"] == "B" and p["star"] is True
    assert p["neighbour_distance"] == pytest.approx(CELL * math.sqrt(2))


def test_gi_z_equals_esda_on_independent_weights(planted_result: HotspotResult) -> None:
    f = planted_result.frame
    coords = f[["x", "y"]].to_numpy()
    # the 8 surrounding cells: a distance band of cell × √2 between centres, built by libpysal
    w = DistanceBand(coords, threshold=CELL * math.sqrt(2) * 1.000001, binary=True)
    g = G_Local(f["count"].to_numpy(dtype=float), w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(f["gi_z"], g.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(f["p_value"], 2 * stats.norm.sf(np.abs(g.Zs)), rtol=1e-9, atol=0)
    np.testing.assert_allclose(f["p_adjusted"], bh(f["p_value"].to_numpy()), rtol=1e-12,
                               atol=1e-300)


def test_notes_announce_every_default(planted_result: HotspotResult) -> None:
    text = "\n".join(planted_result.notes)
    assert "neighbour distance set to 141.4 m automatically" in text
    assert "Benjamini–Hochberg" in text and "0.05" in text
    assert "normal approximation" in text
    r = gistar_grid(planted())
    assert any(n.startswith("cell size set to ") and "automatically" in n for n in r.notes)
    assert any("convex hull" in n for n in r.notes)


def test_lonlat_input_is_projected_for_you() -> None:
    pts = planted()
    lon, lat = to_lonlat(pts[:, 0], pts[:, 1])
    r = gistar_grid(np.column_stack([lon, lat]), crs="EPSG:4326", cell_size=CELL, extent=EXTENT)
    f = r.frame
    row, col = f["cell_id"] // 50, f["cell_id"] % 50
    block = row.isin(BLOCK_ROWS) & col.isin(BLOCK_COLS)
    assert (f.loc[block, "class"] == "hot").all()
    assert f["count"].sum() == len(pts)


def test_fdr_off_uses_raw_p_and_says_so() -> None:
    r = gistar_grid(planted(), cell_size=CELL, extent=EXTENT, fdr=False)
    f = r.frame
    sig = f["p_value"] <= 0.05
    assert ((f["class"] != "not significant") == sig).all()
    assert any("not adjusted" in n for n in r.notes)


def test_permutations_are_seeded_and_two_sided() -> None:
    a = gistar_grid(planted(), cell_size=CELL, extent=EXTENT, permutations=999, fdr=False)
    b = gistar_grid(planted(), cell_size=CELL, extent=EXTENT, permutations=999, fdr=False)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    p = a.frame["p_value"]
    assert p.between(2 / 1000, 1).all()
    assert (a.frame.loc[a.frame["count"] > 30, "class"] == "hot").all()
    assert any("999 conditional permutations (seed 0)" in n for n in a.notes)
    # with the false discovery rate, 99 permutations cannot reach significance: said so
    c = gistar_grid(planted(), cell_size=CELL, extent=EXTENT, permutations=99)
    assert (c.frame["class"] == "not significant").all()
    assert any("no p-value falls below 0.02" in n and "99,999 permutations" in n
               for n in c.notes)


def test_study_area_limits_cells_and_counts() -> None:
    area = box(X0, Y0, X0 + 3_000, Y0 + 3_000)
    r = gistar_grid(planted(), cell_size=CELL, study_area=area)
    assert len(r.frame) == 900  # the grid covers the area's bounding box: 30 × 30 cells
    assert r.frame["x"].max() < X0 + 3_000 and r.frame["count"].sum() < 3_400
    assert any("left out" in n for n in r.notes)


# --- guardrails -----------------------------------------------------------------------------

def test_lonlat_given_as_metres_is_refused() -> None:
    lon, lat = to_lonlat(planted()[:, 0], planted()[:, 1])
    lonlat = np.column_stack([lon, lat])
    msg = ("these coordinates look like longitude/latitude (degrees); transform to British "
           "National Grid (EPSG:27700) first — commsafe does this for you when given events")
    for call in (lambda: gistar_grid(lonlat, cell_size=100),
                 lambda: make_grid(lonlat, 100),
                 lambda: auto_cell_size(lonlat)):
        with pytest.raises(InputError) as err:
            call()
        assert msg in str(err.value)


def test_metres_given_as_lonlat_are_refused() -> None:
    with pytest.raises(InputError, match="not longitude/latitude"):
        gistar_grid(planted(), crs="EPSG:4326")
    with pytest.raises(InputError, match="crs must be"):
        gistar_grid(planted(), crs="EPSG:3857")


def test_too_few_events() -> None:
    pts = planted()[:29]
    with pytest.raises(InputError) as err:
        gistar_grid(pts, cell_size=500)
    assert str(err.value) == ("too few events for a stable result: 29; hotspot analysis needs "
                              "at least 30 — choose a longer period or a wider area.")
    assert len(gistar_grid(pts, cell_size=500, min_events=20).frame) > 0
    with pytest.raises(InputError, match="needs at least 50"):
        gistar_grid(planted()[:40], cell_size=500, min_events=50)


def test_oversized_grid_is_refused_with_its_figures() -> None:
    pts = np.array([[X0, Y0], [X0 + 40_000, Y0 + 30_000]])
    with pytest.raises(InputError) as err:
        make_grid(pts, 10)
    assert str(err.value) == ("a 10 m grid over 40 km × 30 km is 12,000,000 cells (limit "
                              "2,000,000): choose a larger --cell-size.")
    assert make_grid(pts, 10, max_cells=12_000_000).n_cells == 12_000_000


def test_cell_larger_than_study_area() -> None:
    pts = planted()
    with pytest.raises(InputError, match=r"a 6,000 m cell is larger than the area covered by "
                                         r"the events \(5 km × 5 km\)"):
        gistar_grid(pts, cell_size=6_000)
    with pytest.raises(InputError, match="larger than the study area"):
        make_grid(pts, 6_000, extent=EXTENT)


def test_bad_options() -> None:
    pts = planted()
    with pytest.raises(InputError, match="less than the cell size"):
        gistar_grid(pts, cell_size=100, bandwidth=50)
    with pytest.raises(InputError, match="alpha"):
        gistar_grid(pts, cell_size=100, alpha=5)
    with pytest.raises(InputError, match="permutations"):
        gistar_grid(pts, cell_size=100, permutations=-1)
    with pytest.raises(InputError, match="cell size must be a positive"):
        make_grid(pts, 0)
    with pytest.raises(InputError, match="shape"):
        gistar_grid(np.arange(10.0))


def test_missing_coordinates_are_dropped_and_noted() -> None:
    pts = np.vstack([planted(), [[np.nan, Y0]]])
    r = gistar_grid(pts, cell_size=CELL, extent=EXTENT)
    assert r.frame["count"].sum() == 3_400
    assert any("1 of 3,401 events have a missing coordinate" in n for n in r.notes)


def test_auto_cell_size_follows_sfhotspot() -> None:
    pts = np.array([[X0, Y0], [X0 + 15_400, Y0 + 20_000]])
    size, note = auto_cell_size(pts)
    assert size == 300  # 15,400 / 50 = 308, down to a multiple of 100 m
    assert note.startswith("cell size set to 300 m automatically (1/50 of the shorter side")
    assert auto_cell_size(np.array([[X0, Y0], [X0 + 1_200, Y0 + 9_000]]))[0] == 20
    size, note = auto_cell_size(pts, box(X0, Y0, X0 + 50_000, Y0 + 60_000))
    assert size == 1_000 and "study area" in note
    with pytest.raises(InputError, match="all events are at one place"):
        auto_cell_size(np.array([[X0, Y0], [X0, Y0]]))


def test_format_helpers() -> None:
    assert grid_mod.format_km(40_000) == "40 km"
    assert grid_mod.format_km(1_240) == "1.2 km"
    assert grid_mod.format_km(350) == "0.35 km"
    assert grid_mod.format_m(12.5) == "12.5 m" and grid_mod.format_m(1200) == "1,200 m"


# --- areas ----------------------------------------------------------------------------------

def squares() -> gpd.GeoDataFrame:
    """4 × 4 LSOA-like squares (codes A<row><col>) and one island far away."""
    rows = [{"area_code": f"A{i}{j}",
             "geometry": box(-0.1 + j * 0.01, 52 + i * 0.01, -0.09 + j * 0.01, 52.01 + i * 0.01)}
            for i in range(4) for j in range(4)]
    rows.append({"area_code": "ISLAND", "geometry": box(0.5, 52.5, 0.51, 52.51)})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def square_counts() -> dict[str, int]:
    counts = {f"A{i}{j}": 3 for i in range(4) for j in range(4)}
    counts.update({"A00": 40, "A01": 35, "A10": 40, "A11": 40, "A33": 1, "A23": 2})
    counts["ISLAND"] = 3
    return counts


def test_polygons_hot_corner_and_island() -> None:
    gdf = squares()
    r = gistar_polygons(gdf, square_counts())
    f = r.frame.set_index("area_code")
    assert list(r.frame.columns) == AREA_COLUMNS
    assert f.loc["A00", "class"] == "hot"
    assert set(f.index[f["class"] == "hot"]) <= {"A00", "A01", "A10", "A11"}
    assert f.loc["ISLAND", "class"] == "not significant"
    assert math.isnan(f.loc["ISLAND", "gi_z"]) and math.isnan(f.loc["ISLAND", "p_value"])
    assert any("no neighbour (islands): ISLAND" in n for n in r.notes)
    assert r.params["islands"] == ["ISLAND"]
    assert any("queen contiguity" in n for n in r.notes)
    # the same z as esda on libpysal's Queen weights (islands aside)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # libpysal: "not fully connected", island
        w = Queen.from_dataframe(gdf, use_index=False)
        y = np.array([square_counts()[c] for c in gdf["area_code"]], dtype=float)
        g = G_Local(y, w, transform="B", star=True, permutations=0)
    ok = gdf["area_code"] != "ISLAND"
    np.testing.assert_allclose(r.frame.loc[ok.to_numpy(), "gi_z"], g.Zs[ok.to_numpy()],
                               rtol=0, atol=1e-9)
    p = r.frame["p_value"].to_numpy()
    np.testing.assert_allclose(r.frame["p_adjusted"][ok.to_numpy()], bh(p[ok.to_numpy()]),
                               rtol=1e-12)


def test_polygons_counts_alignment_and_notes() -> None:
    counts = square_counts()
    del counts["A33"]
    counts["NOWHERE"] = 7
    r = gistar_polygons(squares().set_index("area_code", drop=False), counts, contiguity="rook")
    f = r.frame.set_index("area_code")
    assert f.loc["A33", "count"] == 0
    assert any("1 counted areas have no boundary and are left out (7 events): NOWHERE" in n
               for n in r.notes)
    assert any("1 of 17 areas have no events" in n for n in r.notes)
    assert any("rook contiguity" in n for n in r.notes)


def test_polygons_guardrails() -> None:
    gdf = squares()
    with pytest.raises(InputError, match="too few events for a stable result: 17"):
        gistar_polygons(gdf, {c: 1 for c in gdf["area_code"]})
    with pytest.raises(InputError, match="no 'code' column"):
        gistar_polygons(gdf, square_counts(), code_column="code")
    with pytest.raises(InputError, match="contiguity must be"):
        gistar_polygons(gdf, square_counts(), contiguity="bishop")
    with pytest.raises(InputError, match="whole number"):
        gistar_polygons(gdf, {**square_counts(), "A00": -1})
    twice = pd.concat([gdf, gdf.iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match="more than once"):
        gistar_polygons(twice, square_counts())


def test_polygons_in_metres_are_reprojected() -> None:
    r = gistar_polygons(squares().to_crs("EPSG:27700"), square_counts())
    assert r.frame.set_index("area_code").loc["A00", "class"] == "hot"
    assert r.frame["lon"].between(-1, 1).all()


def test_equal_counts_give_no_hotspot() -> None:
    r = gistar_polygons(squares(), {c: 5 for c in squares()["area_code"]})
    assert (r.frame["class"] == "not significant").all()
    assert any("same count" in n for n in r.notes)


# --- two periods ----------------------------------------------------------------------------

def hand_made(z: list[float], cls: list[str]) -> HotspotResult:
    codes = list("ABCDEF")
    frame = pd.DataFrame({"area_code": codes, "x": 0.0, "y": 0.0, "lon": 0.0, "lat": 0.0,
                          "count": 1, "gi_z": z, "p_value": 0.5, "p_adjusted": 0.5,
                          "class": cls})
    return HotspotResult(frame=frame, notes=[], params={"kind": "areas", "alpha": 0.05,
                                                        "fdr": True})


def test_classify_periods_gives_every_class() -> None:
    first = hand_made([3.0, 3.0, 5.0, 0.5, 3.0, -3.0],
                      ["hot", "hot", "hot", "not significant", "hot", "cold"])
    second = hand_made([3.5, 5.0, 3.0, 3.0, 1.0, -3.0],
                       ["hot", "hot", "hot", "hot", "not significant", "cold"])
    out = classify_periods(first, second).set_index("area_code")
    assert out["change"].to_dict() == {"A": "persistent", "B": "intensifying",
                                       "C": "diminishing", "D": "new", "E": "former",
                                       "F": "not a hotspot"}
    assert set(out["change"]) == set(CHANGE_CLASSES)
    assert out.loc["B", "z_change"] == pytest.approx(2.0)
    assert "more than 1" in out.attrs["notes"][0]
    # a larger threshold turns the rise and the fall into persistence
    wide = classify_periods(first, second, z_change=2.5).set_index("area_code")
    assert wide.loc["B", "change"] == wide.loc["C", "change"] == "persistent"


def test_classify_periods_on_grids() -> None:
    pts = planted()
    rng = np.random.default_rng(7)
    later = np.vstack([pts[:3_000], rng.uniform([X0 + 4_000, Y0 + 500], [X0 + 4_300, Y0 + 800],
                                                (400, 2))])
    a = gistar_grid(pts, cell_size=CELL, extent=EXTENT)
    b = gistar_grid(later, cell_size=CELL, extent=EXTENT)
    out = classify_periods(a, b)
    assert len(out) == 2_500
    counts = out["change"].value_counts()
    assert counts["former"] >= 9 and counts["new"] >= 9
    with pytest.raises(InputError, match="different grids"):
        classify_periods(a, gistar_grid(pts, cell_size=200, extent=EXTENT))
    with pytest.raises(InputError, match="different cells"):
        west = pts[pts[:, 0] < X0 + 2_500]
        classify_periods(gistar_grid(pts, cell_size=CELL, extent=EXTENT),
                         gistar_grid(west, cell_size=CELL, extent=EXTENT,
                                     study_area=box(X0, Y0, X0 + 2_500, Y0 + 5_000)))
    with pytest.raises(InputError, match="cannot compare a grid result"):
        classify_periods(a, gistar_polygons(squares(), square_counts()))


# --- outputs --------------------------------------------------------------------------------

def test_grid_geojson_round_trip(planted_result: HotspotResult, tmp_path: Path) -> None:
    path = planted_result.to_geojson(tmp_path / "hotspots.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 2_500
    assert list(doc["features"][0]["properties"]) == GRID_COLUMNS
    gdf = gpd.read_file(path)
    assert gdf.crs.to_epsg() == 4326
    assert set(GRID_COLUMNS) <= set(gdf.columns)
    assert (gdf["class"] == planted_result.frame["class"]).all()
    # each cell polygon holds its own centre
    centres = shapely.points(planted_result.frame["lon"], planted_result.frame["lat"])
    assert shapely.contains(gdf.geometry.values, centres).all()
    csv = pd.read_csv(planted_result.to_csv(tmp_path / "hotspots.csv"))
    assert list(csv.columns) == GRID_COLUMNS and len(csv) == 2_500


def test_area_geojson_writes_null_for_islands(tmp_path: Path) -> None:
    r = gistar_polygons(squares(), square_counts())
    doc = json.loads(r.to_geojson(tmp_path / "areas.geojson").read_text(encoding="utf-8"))
    island = next(f for f in doc["features"] if f["properties"]["area_code"] == "ISLAND")
    assert island["properties"]["gi_z"] is None
    assert island["properties"]["class"] == "not significant"
    gdf = gpd.read_file(tmp_path / "areas.geojson")
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 17
    assert r.to_geodataframe().crs.to_epsg() == 4326


def test_result_without_geometry_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no geometry"):
        hand_made([0.0] * 6, ["not significant"] * 6).to_geojson(tmp_path / "x.geojson")


# --- the store ------------------------------------------------------------------------------

def _add_events(con: object, rows: list[tuple[float | None, float | None, bool]]) -> None:
    for i, (lon, lat, asb) in enumerate(rows, start=1):
        con.execute(  # type: ignore[attr-defined]
            "INSERT INTO events (source, force, row_number, month, category, crime_type, "
            "is_asb, longitude, latitude, resolution, load_id) VALUES ('police_uk', 'testshire',"
            " ?, DATE '2024-01-01', 'Burglary', 'Burglary', ?, ?, ?, 'unresolved', 1)",
            [i, asb, lon, lat])


def test_store_points(store: object) -> None:
    con = store.con  # type: ignore[attr-defined]
    _add_events(con, [(0.1, 52.2, False), (0.2, 52.3, False), (None, None, False),
                      (0.3, 52.4, True)])
    pts, notes = store_points(store)
    assert pts.shape == (2, 2) and pts[0].tolist() == [0.1, 52.2]
    assert any("1 of 3 selected events have no location" in n for n in notes)
    assert any("anti-social behaviour left out" in n for n in notes)
    assert store_points(con, include_asb=True)[0].shape == (3, 2)
    assert store_points(con, asb_only=True)[0].tolist() == [[0.3, 52.4]]
    assert store_points(con, "latitude > 52.25")[0].shape == (1, 2)
    with pytest.raises(QueryError, match="cannot run"):
        store_points(con, "no_such_column = 1")


def test_store_polygons(store: object) -> None:
    con = store.con  # type: ignore[attr-defined]
    with pytest.raises(ReferenceDataError) as err:
        store_polygons(con, "lsoa21")
    assert str(err.value) == ("no lsoa21 boundaries loaded: load lsoa21_boundaries.geojson "
                              "with 'commsafe reference load'")
    for code, geom in (("E01000001", box(0, 52, 0.01, 52.01)),
                       ("E01000002", box(0.01, 52, 0.02, 52.01))):
        con.execute("INSERT INTO boundaries VALUES ('lsoa21', ?, 'n', 2021, ?, 0, 0, 0, 0, 1)",
                    [code, shapely.to_wkb(geom)])
    gdf = store_polygons(store, "lsoa21")
    assert list(gdf["area_code"]) == ["E01000001", "E01000002"]
    assert gdf.crs.to_epsg() == 4326 and gdf.geometry.iloc[0].equals(box(0, 52, 0.01, 52.01))
    some = store_polygons(con, "lsoa21", codes=["E01000002", "E01009999"])
    assert list(some["area_code"]) == ["E01000002"]
    assert "E01009999" in some.attrs["notes"][0]
    with pytest.raises(ReferenceDataError, match="none of the 1 lsoa21 areas"):
        store_polygons(con, "lsoa21", codes=["E01009999"])


# --- real data ------------------------------------------------------------------------------

@pytest.mark.slow
def test_all_lsoas_of_england_and_wales(shared_data: Path) -> None:
    path = shared_data / "geography" / "lsoa21_boundaries.geojson"
    if not path.is_file():
        pytest.skip(f"{path} is missing: the real-data test needs the 2021 LSOA boundaries")
    gdf = gpd.read_file(path)
    rng = np.random.default_rng(2024)
    counts = dict(zip(gdf["lsoa21_code"], rng.poisson(5, len(gdf)).tolist(), strict=True))
    r = gistar_polygons(gdf, counts, code_column="lsoa21_code")
    assert len(r.frame) == len(gdf) == 35_672
    assert list(r.frame.columns) == AREA_COLUMNS
    assert r.frame["area_code"].tolist() == gdf["lsoa21_code"].tolist()
    islands = r.params["islands"]
    assert len(islands) >= 1
    assert any(f"{len(islands)} area" in n and "islands" in n for n in r.notes)
    assert r.frame.loc[r.frame["area_code"].isin(islands), "gi_z"].isna().all()
    assert r.frame["gi_z"].notna().sum() == len(gdf) - len(islands)
    # random counts: hardly any area survives the false discovery rate
    assert (r.frame["class"] != "not significant").mean() < 0.01
    assert r.frame["lon"].between(-7, 2).all() and r.frame["lat"].between(49.8, 56).all()


def test_module_exports() -> None:
    for mod in (hotspots, grid_mod):
        for name in mod.__all__:
            assert hasattr(mod, name), name
