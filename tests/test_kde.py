"""Kernel density: integrates to the events, peaks at the cluster, announces its bandwidth."""

from __future__ import annotations

import numpy as np
import pytest

from commsafe.errors import InputError
from commsafe.spatial import kde as kde_mod
from commsafe.spatial.grid import to_lonlat
from commsafe.spatial.kde import KdeResult, kde_surface, nrd_bandwidth

X0, Y0 = 500_000.0, 200_000.0


def planted(seed: int = 3) -> np.ndarray:
    """2,000 uniform points over 5 km × 5 km plus 500 around (502,150, 202,650)."""
    rng = np.random.default_rng(seed)
    bg = np.column_stack([rng.uniform(X0, X0 + 5_000, 2_000), rng.uniform(Y0, Y0 + 5_000, 2_000)])
    cluster = rng.normal([X0 + 2_150, Y0 + 2_650], 60, (500, 2))
    return np.vstack([bg, cluster])


@pytest.mark.parametrize(("cell", "bandwidth"), [(100, 400), (50, 1_000), (100, 60),
                                                 (250, None)])
def test_integrates_to_the_event_count(cell: float, bandwidth: float | None) -> None:
    r = kde_surface(planted(), cell_size=cell, bandwidth=bandwidth)
    assert isinstance(r, KdeResult)
    assert r.total() == pytest.approx(2_500, rel=1e-9)
    assert r.density.min() >= 0
    assert r.density.shape == (len(r.y_edges) - 1, len(r.x_edges) - 1)
    assert np.allclose(np.diff(r.x_edges), cell) and np.allclose(np.diff(r.y_edges), cell)


def test_peak_at_the_cluster() -> None:
    r = kde_surface(planted(), cell_size=50, bandwidth=300)
    row, col = np.unravel_index(np.argmax(r.density), r.density.shape)
    cx, cy = r.x_edges[col] + 25, r.y_edges[row] + 25
    assert abs(cx - (X0 + 2_150)) <= 75 and abs(cy - (Y0 + 2_650)) <= 75
    # density is per km²: the peak is far above the background's 2,000 / 25 km² = 80
    assert r.density.max() > 10 * 80


def test_single_point_kernel_is_centred_and_symmetric() -> None:
    pts = np.array([[X0 + 1_050, Y0 + 1_050]] * 30 + [[X0, Y0], [X0 + 2_000, Y0 + 2_000]])
    r = kde_surface(pts, cell_size=100, bandwidth=300)
    row, col = np.unravel_index(np.argmax(r.density), r.density.shape)
    assert r.x_edges[col] == X0 + 1_000 and r.y_edges[row] == Y0 + 1_000
    window = r.density[row - 3: row + 4, col - 3: col + 4]
    assert np.allclose(window, window.T) and np.allclose(window, window[::-1, ::-1])


def test_bandwidth_note_follows_the_rule_of_thumb() -> None:
    pts = planted()
    r = kde_surface(pts, cell_size=100)
    expected = round(nrd_bandwidth(pts))
    assert r.bandwidth == expected
    assert any(n.startswith(f"bandwidth set to {expected:,} m automatically (rule of thumb")
               for n in r.notes)
    # the rule by hand: 4 × 1.06 × min(sd, IQR/1.34) × n^(-1/5), mean over x and y
    hs = []
    for v in pts.T:
        q1, q3 = np.percentile(v, [25, 75])
        hs.append(4 * 1.06 * min(v.std(ddof=1), (q3 - q1) / 1.34) * len(v) ** -0.2)
    assert nrd_bandwidth(pts) == pytest.approx(np.mean(hs))


def test_cell_size_note_and_small_bandwidth_note() -> None:
    r = kde_surface(planted(), bandwidth=50)
    # the shorter side is just under 5 km: 1/50 is just under 100 m, so 90 m
    assert any(n.startswith("cell size set to 90 m automatically") for n in r.notes)
    assert any("smaller than the cell size" in n for n in r.notes)


def test_extent_leaves_out_events_outside() -> None:
    pts = planted()
    r = kde_surface(pts, cell_size=100, bandwidth=300,
                    extent=(X0, Y0, X0 + 2_500, Y0 + 5_000))
    inside = int((pts[:, 0] <= X0 + 2_500).sum())
    assert r.total() == pytest.approx(inside, rel=1e-9) and r.n_events == inside
    assert any("lie outside the extent" in n for n in r.notes)


def test_lonlat_input() -> None:
    pts = planted()
    lon, lat = to_lonlat(pts[:, 0], pts[:, 1])
    r = kde_surface(np.column_stack([lon, lat]), crs="EPSG:4326", cell_size=100,
                    bandwidth=300)
    assert r.total() == pytest.approx(2_500, rel=1e-9)
    frame = r.to_frame()
    assert list(frame.columns) == ["x", "y", "lon", "lat", "density"]
    assert (frame["density"] > 0).all()
    assert frame["density"].sum() * r.cell_area_km2 == pytest.approx(2_500, rel=1e-9)


def test_guardrails() -> None:
    pts = planted()
    lon, lat = to_lonlat(pts[:, 0], pts[:, 1])
    with pytest.raises(InputError, match="look like longitude/latitude"):
        kde_surface(np.column_stack([lon, lat]), cell_size=100)
    with pytest.raises(InputError, match="too few events for a stable result: 10; a density "
                                         "surface needs at least 30"):
        kde_surface(pts[:10], cell_size=100)
    with pytest.raises(InputError, match="larger than the area covered by the events"):
        kde_surface(pts, cell_size=10_000)
    with pytest.raises(InputError, match="bandwidth must be a positive"):
        kde_surface(pts, cell_size=100, bandwidth=-5)
    with pytest.raises(InputError, match="cells \\(limit 1,000\\)"):
        kde_surface(pts, cell_size=100, bandwidth=300, max_cells=1_000)


def test_module_exports() -> None:
    for name in kde_mod.__all__:
        assert hasattr(kde_mod, name), name
