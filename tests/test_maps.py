"""Maps: files written, sizes, text in the SVG, class breaks, byte-reproducible SVG, errors.

The fixtures are a hand-made 4 × 4 grid of squares (0.02° lon × 0.0125° lat, about 1.4 km)
in lon/lat around Cambridge (0.1, 52.2); one real-data test draws Cambridge's 14 wards.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import mapclassify
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from commsafe.errors import InputError
from commsafe.outputs import maps
from commsafe.outputs.charts import DPI
from commsafe.outputs.maps import (
    MAP_WIDTH,
    MapResult,
    choropleth,
    hotspot_map,
    points_map,
)

TITLE = "Anti-social behaviour per 1,000 residents, Testshire wards, 2024/25"
SOURCE = "Source: police.uk street-level data, Testshire Constabulary; ONS; commsafe"
NOTE = "12% of ASB incidents in this period have no location and are not shown"
SVG_NS = "{http://www.w3.org/2000/svg}"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# 16 values, ward i in row-major order; distinct and unevenly spread
VALUES = [2.0, 3.5, 5.0, 7.25, 8.0, 11.5, 12.0, 14.0, 17.5, 21.0, 26.0, 30.5, 41.0, 55.0,
          63.0, 1250.0]


def grid(values: list[float] | None = None, *, crs: str | None = "EPSG:4326",
         dx: float = 0.02, dy: float = 0.0125) -> gpd.GeoDataFrame:
    values = VALUES if values is None else values
    cells = [box(0.06 + c * dx, 52.175 + r * dy, 0.06 + (c + 1) * dx, 52.175 + (r + 1) * dy)
             for r in range(4) for c in range(4)]
    return gpd.GeoDataFrame({
        "area_code": [f"E0500{i:04d}" for i in range(16)],
        "area_name": [f"Ward {chr(65 + i)}" for i in range(16)],
        "rate": values,
    }, geometry=cells, crs=crs)


def district() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Testshire"]},
                            geometry=[box(0.06, 52.175, 0.14, 52.225)], crs="EPSG:4326")


def svg_text(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG_NS}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def draw(tmp_path: Path, name: str = "map", frame: gpd.GeoDataFrame | None = None,
         **kwargs: object) -> MapResult:
    options: dict[str, object] = {"title": TITLE, "source": SOURCE,
                                  "out_stem": tmp_path / name,
                                  "legend_title": "ASB incidents per 1,000 residents"}
    options.update(kwargs)
    return choropleth(grid() if frame is None else frame, "rate", **options)  # type: ignore[arg-type]


def test_module_exports_what_it_documents() -> None:
    assert all(hasattr(maps, name) for name in maps.__all__)
    assert {"choropleth", "points_map", "hotspot_map", "MapResult"} <= set(maps.__all__)


def test_choropleth_writes_png_and_svg_with_title_source_note_legend(tmp_path: Path) -> None:
    result = draw(tmp_path, "out/wards.2024", outline=district(), quality_note=NOTE)
    assert result.paths == [tmp_path / "out" / "wards.2024.png",
                            tmp_path / "out" / "wards.2024.svg"]
    image = mpimg.imread(result.paths[0])
    height, width = image.shape[:2]
    assert width == round(MAP_WIDTH * DPI) == 1600
    assert 4 * DPI < height < 12 * DPI  # the height follows the area's shape
    texts = svg_text(result.paths[1])
    assert TITLE in texts
    assert SOURCE in texts
    assert NOTE in texts
    assert "ASB incidents per 1,000" in " ".join(texts)  # legend title (wrapped)
    assert "District boundary" in texts
    assert "N" in texts
    assert any(t.endswith(" km") or t.endswith(" m") for t in texts)  # the scale bar


def test_quantile_breaks_are_mapclassify_and_announced(tmp_path: Path) -> None:
    result = draw(tmp_path)
    expected = mapclassify.Quantiles(np.array(VALUES), k=5).bins
    np.testing.assert_allclose(result.breaks, expected)
    assert result.notes[0] == "class breaks: quantiles, 5 classes"
    # the legend shows each class's range, with thousands separators and one decimal
    texts = svg_text(result.paths[1])
    assert list(expected) == [7.25, 12.0, 21.0, 41.0, 1250.0]
    # rounded half away from zero, as everywhere in commsafe: 7.25 shows as 7.3
    for label in ("2.0–7.3", "7.3–12.0", "12.0–21.0", "21.0–41.0", "41.0–1,250.0"):
        assert label in texts


@pytest.mark.filterwarnings("ignore:Numba not installed")  # mapclassify without numba
def test_jenks_breaks_are_fisher_jenks(tmp_path: Path) -> None:
    result = draw(tmp_path, scheme="jenks", k=4)
    np.testing.assert_allclose(result.breaks, mapclassify.FisherJenks(np.array(VALUES), k=4).bins)
    assert result.notes[0] == "class breaks: jenks, 4 classes"


def test_whole_number_counts_have_no_decimals(tmp_path: Path) -> None:
    counts = [float(v) for v in range(0, 1600, 100)]
    result = draw(tmp_path, frame=grid(counts), k=4)
    texts = svg_text(result.paths[1])
    edges = [0.0, *result.breaks]
    assert edges == [0.0, 375.0, 750.0, 1125.0, 1500.0]
    assert "0–375" in texts
    assert "1,125–1,500" in texts


def test_missing_values_are_hatched_and_named_in_legend(tmp_path: Path) -> None:
    values = [*VALUES[:14], float("nan"), float("nan")]
    result = draw(tmp_path, frame=grid(values))
    # breaks come from the areas that have a value
    np.testing.assert_allclose(result.breaks,
                               mapclassify.Quantiles(np.array(VALUES[:14]), k=5).bins)
    assert "No population (2 areas)" in svg_text(result.paths[1])
    assert any("Ward O, Ward P" in n for n in result.notes)
    other = draw(tmp_path, "other", frame=grid(values), missing_label="Not recorded")
    assert "Not recorded (2 areas)" in svg_text(other.paths[1])


def test_diverging_breaks_are_symmetric_around_zero(tmp_path: Path) -> None:
    change = [-40.0, -22.0, -15.0, -9.0, -4.0, -1.5, 0.0, 0.5, 2.0, 3.0, 6.0, 8.0, 12.0,
              18.0, 27.0, 55.0]
    for k in (5, 4):
        result = draw(tmp_path, f"change{k}", frame=grid(change), diverging=True, k=k)
        edges = np.array([-result.breaks[-1], *result.breaks])
        assert len(result.breaks) == k
        np.testing.assert_allclose(edges, -edges[::-1])
        assert result.breaks[-1] == 55.0  # the largest absolute change bounds both ends
        assert result.notes[0] == f"class breaks: quantiles, {k} classes, symmetric around 0"
        texts = svg_text(result.paths[1])
        assert "-55.0 to -" in " ".join(texts)  # ranges with negatives say "to"
    # an even number of classes has 0 as a break
    assert 0.0 in result.breaks


def test_label_top_names_the_highest_areas(tmp_path: Path) -> None:
    result = draw(tmp_path, label_top=2)
    texts = svg_text(result.paths[1])
    assert "Ward P" in texts and "Ward O" in texts
    assert "Ward N" not in texts
    assert "labelled the 2 areas with the highest rate: Ward P, Ward O" in result.notes


def test_few_distinct_values_give_fewer_classes_announced(tmp_path: Path) -> None:
    result = draw(tmp_path, frame=grid([1.0] * 8 + [3.0] * 8))
    assert len(result.breaks) == 2
    assert result.notes[0] == "class breaks: quantiles, 2 classes"
    assert "only 2 distinct values: 2 classes instead of 5" in result.notes


def test_svg_is_byte_reproducible(tmp_path: Path) -> None:
    values = [*VALUES[:15], float("nan")]
    kwargs = {"outline": district(), "quality_note": NOTE, "label_top": 3}
    first = draw(tmp_path, "a/map", frame=grid(values), **kwargs)
    second = draw(tmp_path, "b/map", frame=grid(values), **kwargs)
    assert first.paths[1].read_bytes() == second.paths[1].read_bytes()
    third = draw(tmp_path, "c/map", frame=grid([*VALUES[:14], 99.0, float("nan")]), **kwargs)
    assert third.paths[1].read_bytes() != first.paths[1].read_bytes()
    # the date is not written into the SVG
    assert b"<dc:date>" not in first.paths[1].read_bytes()


def lonlat_points(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(0.07, 0.13, n), rng.uniform(52.18, 52.22, n)


def test_points_map_from_arrays_and_frame(tmp_path: Path) -> None:
    lon, lat = lonlat_points(500)
    lon[0] = np.nan  # a point without a location is not drawn, and said so
    result = points_map((lon, lat), title=TITLE, source=SOURCE, out_stem=tmp_path / "dots",
                        areas=grid(), outline=district(), quality_note=NOTE)
    assert [p.exists() for p in result.paths] == [True, True]
    assert result.breaks == []
    assert "1 point without coordinates not drawn" in result.notes
    texts = svg_text(result.paths[1])
    assert {TITLE, SOURCE, NOTE, "Incident (499)", "District boundary"} <= set(texts)
    assert mpimg.imread(result.paths[0]).shape[1] == 1600
    frame = pd.DataFrame({"Longitude": lon, "Latitude": lat})
    again = points_map(frame, title=TITLE, source=SOURCE, out_stem=tmp_path / "dots2",
                       areas=grid(), outline=district(), quality_note=NOTE)
    assert again.paths[1].read_bytes() == result.paths[1].read_bytes()


def test_points_map_many_points_reproducible(tmp_path: Path) -> None:
    # thousands of dots are drawn as an embedded image: still byte for byte the same
    points = np.column_stack(lonlat_points(5000))
    a = points_map(points, title=TITLE, source=SOURCE, out_stem=tmp_path / "a" / "dots")
    b = points_map(points, title=TITLE, source=SOURCE, out_stem=tmp_path / "b" / "dots")
    assert a.paths[1].read_bytes() == b.paths[1].read_bytes()


def test_points_map_refuses_too_many_points(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"1,001 points is more than max_points=1,000"):
        points_map(lonlat_points(1001), title=TITLE, source=SOURCE, out_stem=tmp_path / "x",
                   max_points=1000)


def test_points_map_bad_points(tmp_path: Path) -> None:
    lon, lat = lonlat_points(10)
    with pytest.raises(InputError, match="swapped"):
        points_map((lat, lon), title=TITLE, source=SOURCE, out_stem=tmp_path / "x")
    with pytest.raises(InputError, match="lacks longitude/latitude columns; it has x, y"):
        points_map(pd.DataFrame({"x": lon, "y": lat}), title=TITLE, source=SOURCE,
                   out_stem=tmp_path / "x")
    with pytest.raises(InputError, match="no point has coordinates"):
        points_map((lon * np.nan, lat), title=TITLE, source=SOURCE, out_stem=tmp_path / "x")


def cells(classes: list[str]) -> gpd.GeoDataFrame:
    frame = grid()
    return frame.assign(**{"class": classes}).drop(columns=["rate"])


def test_hotspot_map_counts_cells_per_class(tmp_path: Path) -> None:
    classes = ["hot"] * 3 + ["cold"] * 2 + ["not significant"] * 11
    result = hotspot_map(cells(classes), title=TITLE, source=SOURCE,
                         out_stem=tmp_path / "hot", outline=district(), quality_note=NOTE)
    texts = svg_text(result.paths[1])
    assert {"Hot spot (3 cells)", "Cold spot (2 cells)", "Not significant (11 cells)",
            TITLE, SOURCE, NOTE} <= set(texts)
    assert result.notes == ["16 cells: 3 hot, 2 cold, 11 not significant"]
    again = hotspot_map(cells(classes), title=TITLE, source=SOURCE, out_stem=tmp_path / "h2",
                        outline=district(), quality_note=NOTE)
    assert again.paths[1].read_bytes() == result.paths[1].read_bytes()


def test_hotspot_map_two_period_classes(tmp_path: Path) -> None:
    classes = (["new"] * 2 + ["persistent"] * 3 + ["intensifying", "diminishing", "former"]
               + ["not a hotspot"] * 8)
    result = hotspot_map(cells(classes), title=TITLE, source=SOURCE, out_stem=tmp_path / "t")
    texts = svg_text(result.paths[1])
    assert {"New hotspot (2 cells)", "Persistent hotspot (3 cells)",
            "Intensifying hotspot (1 cell)", "Diminishing hotspot (1 cell)",
            "Former hotspot (1 cell)", "Not a hotspot (8 cells)"} <= set(texts)


def test_hotspot_map_unknown_class(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'warm'"):
        hotspot_map(cells(["hot"] * 15 + ["warm"]), title=TITLE, source=SOURCE,
                    out_stem=tmp_path / "x")
    with pytest.raises(InputError, match=r"lacks column.*class"):
        hotspot_map(grid(), title=TITLE, source=SOURCE, out_stem=tmp_path / "x")


def test_errors_name_the_problem_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty: there is nothing to map"):
        draw(tmp_path, frame=grid().iloc[:0])
    with pytest.raises(InputError, match=r"lacks column.*per_1000.*area_code, area_name, rate"):
        choropleth(grid(), "per_1000", title=TITLE, source=SOURCE, out_stem=tmp_path / "x",
                   legend_title="x")
    with pytest.raises(InputError, match=r"no CRS.*set_crs\('EPSG:4326'\)"):
        draw(tmp_path, frame=grid(crs=None))
    lines = grid().set_geometry([LineString([(0, 52), (0.1, 52.1)])] * 16)
    with pytest.raises(InputError, match="must be polygons; 16 rows are LineString"):
        draw(tmp_path, frame=lines)
    points = grid().set_geometry([Point(0.1, 52.2)] * 16)
    with pytest.raises(InputError, match="Point"):
        draw(tmp_path, frame=points)
    with pytest.raises(InputError, match="every value in 'rate' is missing"):
        draw(tmp_path, frame=grid([float("nan")] * 16))
    with pytest.raises(InputError, match="scheme 'equal'"):
        draw(tmp_path, scheme="equal")
    with pytest.raises(InputError, match="k=12"):
        draw(tmp_path, k=12)
    with pytest.raises(InputError, match="must hold numbers"):
        draw(tmp_path, frame=grid().assign(rate=["1,2"] * 16))
    with pytest.raises(InputError, match="not a GeoDataFrame"):
        draw(tmp_path, frame=pd.DataFrame(grid().drop(columns="geometry")))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="outline"):
        draw(tmp_path, outline=district().set_crs(None, allow_override=True))


@pytest.mark.skipif(not SHARED_DATA.is_dir(),
                    reason="../shared/data is not present: the real-data map needs the ONS "
                           "ward and district boundaries beside the checkout")
def test_real_cambridge_wards_choropleth(tmp_path: Path) -> None:
    geography = SHARED_DATA / "geography"
    wards = gpd.read_file(geography / "wards22_boundaries.geojson")
    districts = gpd.read_file(geography / "ltla24_boundaries.geojson")
    cambridge = districts[districts["ltla24_code"] == "E07000008"]
    assert len(cambridge) == 1
    inside = wards.representative_point().within(cambridge.geometry.iloc[0])
    areas = (wards[inside.to_numpy()]
             .rename(columns={"ward22_code": "area_code", "ward22_name": "area_name"})
             .sort_values("area_code").reset_index(drop=True))
    assert len(areas) == 14
    assert areas["area_code"].str.startswith("E050130").all()
    # made-up rates; Newnham without a population
    areas["rate"] = [31.2, 44.8, 27.5, 19.4, 22.1, 35.6, 48.3, 96.7, np.nan, 29.9, 12.8,
                     40.2, 17.6, 24.3]
    out_stem = tmp_path / "cambridge_wards"
    result = choropleth(
        areas, "rate", title="Anti-social behaviour incidents per 1,000 residents, "
        "Cambridge wards, April 2024 to March 2025",
        source="Source: police.uk street-level data, Cambridgeshire Constabulary; ONS "
        "boundaries and mid-year population estimates; commsafe (illustrative values)",
        out_stem=out_stem, legend_title="ASB incidents per 1,000 residents",
        outline=cambridge, outline_label="Cambridge district", quality_note=NOTE,
        label_top=3)
    np.testing.assert_allclose(result.breaks, mapclassify.Quantiles(
        areas["rate"].dropna().to_numpy(), k=5).bins)
    texts = svg_text(result.paths[1])
    assert {"No population (1 area)", "Cambridge district", "Market", NOTE} <= set(texts)
    image = mpimg.imread(result.paths[0])
    assert image.shape[1] == 1600
