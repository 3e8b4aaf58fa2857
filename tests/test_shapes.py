"""The store's boundary codec: compact, and every coordinate back bit for bit (WKB compared)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from commsafe.store import shapes


def _same(geoms: list[shapely.Geometry | None]) -> None:
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    back = shapes.decode(shapes.encode(arr))
    assert len(back) == len(geoms)
    for g, b in zip(geoms, back, strict=True):
        assert shapely.to_wkb(b) == shapely.to_wkb(g)


def _ring(cx: float, cy: float, r: float, n: int, decimals: int | None) -> list[tuple[float,
                                                                                       float]]:
    pts = []
    for t in np.linspace(0, 2 * np.pi, n, endpoint=False):
        x, y = cx + r * np.cos(t), cy + r * np.sin(t)
        if decimals is not None:
            x, y = round(x, decimals), round(y, decimals)
        pts.append((x, y))
    return [*pts, pts[0]]


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Geometry:
    decimals = draw(st.one_of(st.none(), st.integers(0, 9)))
    cx = draw(st.floats(-180, 180))
    cy = draw(st.floats(-90, 90))
    r = draw(st.floats(0.001, 5))
    n = draw(st.integers(3, 60))
    shell = _ring(cx, cy, r, n, decimals)
    holes = [_ring(cx, cy, r / 3, 5, decimals)] if draw(st.booleans()) else []
    poly = shapely.Polygon(shell, holes)
    if draw(st.booleans()):
        other = shapely.Polygon(_ring(cx + 3 * r, cy, r / 2, 7, decimals))
        return shapely.MultiPolygon([poly, other])
    return poly


@settings(max_examples=150, deadline=None)
@given(st.lists(polygons(), min_size=1, max_size=8))
def test_any_polygons_come_back_bit_for_bit(geoms: list[shapely.Geometry]) -> None:
    _same(geoms)


def test_decimal_coordinates_are_stored_compactly_and_others_as_wkb() -> None:
    six = shapely.Polygon(_ring(-1.5, 53.8, 0.01, 40, 6))
    # reprojected-looking coordinates: no decimal count reproduces them
    raw = shapely.Polygon(_ring(-1.5 + 1e-13, 53.8 + 1e-13, 0.0123456789123, 40, None))
    a, b = shapes.encode([six, raw])
    assert a.startswith(shapes.MAGIC) and a[5] == 6
    assert len(a) < len(shapely.to_wkb(six)) / 3
    assert b == shapely.to_wkb(raw)
    _same([six, raw])


def test_z_empty_and_none_are_kept() -> None:
    z = shapely.Polygon([(0, 0, 1), (1, 0, 2), (1, 1, 3), (0, 0, 1)])
    empty = shapely.Polygon()
    blobs = shapes.encode([z, empty])
    assert not any(b.startswith(shapes.MAGIC) for b in blobs)  # WKB: Z and empties
    back = shapes.decode([*blobs, None])
    assert shapely.to_wkb(back[0]) == shapely.to_wkb(z)
    assert back[1].is_empty and back[2] is None


def test_old_wkb_rows_decode_beside_new_ones() -> None:
    square = shapely.box(0.1, 52.2, 0.11, 52.21)
    (new,) = shapes.encode([square])
    back = shapes.decode([shapely.to_wkb(square), new])
    assert shapely.to_wkb(back[0]) == shapely.to_wkb(back[1]) == shapely.to_wkb(square)


def test_real_lsoa_boundaries_round_trip_and_shrink(shared_data: Path) -> None:
    path = shared_data / "geography" / "lsoa21_boundaries.geojson"
    if not path.exists():
        pytest.skip("../shared/data/geography/lsoa21_boundaries.geojson is needed")
    _, table = pyogrio.read_arrow(path)
    wkb = table.column("wkb_geometry").to_pylist()
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
    blobs = shapes.encode(geoms)
    assert len(blobs) == 35_672
    assert all(b.startswith(shapes.MAGIC) for b in blobs)  # ONS: 6 decimals everywhere
    back = shapely.to_wkb(shapes.decode(blobs))
    plain = shapely.to_wkb(geoms)
    assert all(bytes(x) == bytes(y) for x, y in zip(back, plain, strict=True))
    stored, wkb_bytes = sum(map(len, blobs)), sum(map(len, plain))
    assert stored < 0.45 * wkb_bytes, (stored, wkb_bytes)
