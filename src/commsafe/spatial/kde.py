"""Kernel density of events on a square grid (British National Grid metres).

Quartic (biweight) kernel ``K(d) ∝ (1 − d²/h²)²`` for ``d < h`` (the kernel of sfhotspot's
``SpatialKDE::kde`` and of most crime-mapping desktop tools), applied to the events binned
into cells (each event at its cell's centre) by FFT convolution. The discrete kernel is
normalised to sum to one, and the grid is padded by the bandwidth (plus a cell) on every side,
so the surface integrates exactly to the number of events: ``density.sum() × cell area`` =
events. Density is in events per km².

Default bandwidth (``h``, the kernel radius) is sfhotspot's rule of thumb: MASS's
``bandwidth.nrd``, ``4 × 1.06 × min(sd, IQR / 1.34) × n^(−1/5)``, averaged over the x and y
coordinates (sfhotspot intends that mean; its R code in fact keeps the x value only), rounded
to whole metres. Default cell size as :func:`~commsafe.spatial.grid.auto_cell_size`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.signal import fftconvolve

from commsafe.errors import InputError
from commsafe.spatial.grid import (
    BNG,
    MAX_CELLS,
    MIN_EVENTS,
    WGS84,
    as_points,
    auto_cell_size,
    check_enough_events,
    check_extent,
    check_projected,
    format_km,
    format_m,
    make_grid,
    to_bng,
    to_lonlat,
)

__all__ = ["KdeResult", "kde_change", "kde_surface", "nrd_bandwidth"]


@dataclass
class KdeResult:
    """Density (events per km²) as ``density[row, col]``, row 0 at the south edge."""

    density: np.ndarray
    x_edges: np.ndarray
    y_edges: np.ndarray
    notes: list[str]
    bandwidth: float
    cell_size: float
    n_events: int
    params: dict[str, object] = field(default_factory=dict)

    @property
    def cell_area_km2(self) -> float:
        return (self.cell_size / 1000) ** 2

    def total(self) -> float:
        """The surface's integral: the number of events it spreads."""
        return float(self.density.sum() * self.cell_area_km2)

    def to_frame(self) -> pd.DataFrame:
        """Cells with density > 0: ``x``, ``y`` (centre, EPSG:27700), ``lon``, ``lat``,
        ``density`` (events per km²)."""
        rows, cols = np.nonzero(self.density > 0)
        half = self.cell_size / 2
        x = self.x_edges[cols] + half
        y = self.y_edges[rows] + half
        lon, lat = to_lonlat(x, y)
        return pd.DataFrame({"x": x, "y": y, "lon": lon, "lat": lat,
                             "density": self.density[rows, cols]})


def nrd_bandwidth(points_xy: ArrayLike) -> float:
    """MASS ``bandwidth.nrd`` of x and of y, averaged (metres)."""
    pts = np.asarray(points_xy, dtype=float)
    n = len(pts)
    hs = []
    for v in (pts[:, 0], pts[:, 1]):
        sd = float(np.std(v, ddof=1)) if n > 1 else 0.0
        q1, q3 = np.quantile(v, [0.25, 0.75])
        iqr = float(q3 - q1) / 1.34
        spread = min(sd, iqr) if iqr > 0 else sd
        hs.append(4 * 1.06 * spread * n ** (-1 / 5))
    return float(np.mean(hs))


def kde_surface(points_xy: ArrayLike, *, cell_size: float | None = None,
                bandwidth: float | None = None, extent: Sequence[float] | None = None,
                crs: str = BNG, min_events: int = MIN_EVENTS,
                max_cells: int = MAX_CELLS,
                grid_points: ArrayLike | None = None) -> KdeResult:
    """Quartic-kernel density of events (events per km²) over ``extent`` or the events.

    ``points_xy`` is ``(n, 2)`` British National Grid metres (``crs='EPSG:4326'`` for
    longitude/latitude, projected for you). Events outside ``extent`` are left out (noted).
    ``grid_points`` (in ``crs``; e.g. the events of both periods compared) fix the grid
    instead of ``points_xy``: the extent (when none is given), the automatic cell size and
    the automatic bandwidth are theirs, so two surfaces made with the same ``grid_points``
    share one grid and one kernel (:func:`kde_change`).
    """
    pts, notes = as_points(points_xy, "events")
    crs_key = str(crs).upper()
    if crs_key not in (WGS84, BNG):
        raise InputError(f"crs must be 'EPSG:4326' (longitude/latitude) or 'EPSG:27700' "
                         f"(British National Grid metres); received {crs!r}.")
    if crs_key == WGS84:
        x, y = to_bng(pts[:, 0], pts[:, 1])
        pts = np.column_stack([x, y])
    check_projected(pts)
    shared: np.ndarray | None = None
    if grid_points is not None:
        shared, _ = as_points(grid_points, "events")
        if crs_key == WGS84:
            sx, sy = to_bng(shared[:, 0], shared[:, 1])
            shared = np.column_stack([sx, sy])
        check_projected(shared)
        shared = np.concatenate([shared, pts]) if len(shared) else pts
    if extent is not None:
        xmin, ymin, xmax, ymax = check_extent(extent)
        inside = ((pts[:, 0] >= xmin) & (pts[:, 0] <= xmax)
                  & (pts[:, 1] >= ymin) & (pts[:, 1] <= ymax))
        if not inside.all():
            notes.append(f"{int((~inside).sum()):,} of {len(pts):,} events lie outside the "
                         "extent and are left out")
            pts = pts[inside]
        area = "study area"
    check_enough_events(len(pts), min_events, "a density surface")
    if extent is None:
        box = pts if shared is None else shared
        xmin, ymin = (float(v) for v in box.min(axis=0))
        xmax, ymax = (float(v) for v in box.max(axis=0))
        area = "area covered by the events" + ("" if shared is None else " of both periods")
    both = "" if shared is None else " over both periods"

    if cell_size is None:
        cell_size, note = auto_cell_size(pts if shared is None else shared)
        notes.append(note.replace("events' extent", "events' extent" + both))
    size = float(cell_size)
    if not math.isfinite(size) or size <= 0:
        raise InputError(f"cell size must be a positive number of metres; received "
                         f"{cell_size!r}.")
    if size >= max(xmax - xmin, ymax - ymin):
        raise InputError(
            f"a {format_m(size)} cell is larger than the {area} ({format_km(xmax - xmin)} × "
            f"{format_km(ymax - ymin)}): the whole area would be one cell; choose a smaller "
            "--cell-size."
        )
    if bandwidth is None:
        h = float(round(nrd_bandwidth(pts if shared is None else shared)))
        if h <= 0:
            raise InputError("the events barely spread (rule-of-thumb bandwidth 0 m): give "
                             "--bandwidth in metres.")
        notes.append(f"bandwidth set to {format_m(h)} automatically (rule of thumb: "
                     "4 × 1.06 × min(sd, IQR/1.34) × n^(−1/5), averaged over x and y"
                     f"{both}, as sfhotspot does); quartic kernel of that radius")
    else:
        h = float(bandwidth)
        if not math.isfinite(h) or h <= 0:
            raise InputError(f"bandwidth must be a positive number of metres; received "
                             f"{bandwidth!r}.")
    if h < size:
        notes.append(f"the bandwidth ({format_m(h)}) is smaller than the cell size "
                     f"({format_m(size)}): the surface shows little more than the counts per "
                     "cell; choose a larger --bandwidth or a smaller --cell-size")

    reach = math.ceil(h / size)
    pad = (reach + 1) * size
    grid = make_grid(pts, size, extent=(xmin - pad, ymin - pad, xmax + pad, ymax + pad),
                     max_cells=max_cells)
    offs = np.arange(-reach, reach + 1) * size
    d2 = offs[None, :] ** 2 + offs[:, None] ** 2
    kernel = np.where(d2 < h * h, (1 - d2 / (h * h)) ** 2, 0.0)
    kernel /= kernel.sum()
    spread = fftconvolve(grid.counts.astype(float), kernel, mode="same")
    density = np.maximum(spread, 0.0) / ((size / 1000) ** 2)
    return KdeResult(
        density=density, x_edges=grid.x_edges, y_edges=grid.y_edges, notes=notes,
        bandwidth=h, cell_size=size, n_events=len(pts),
        params={"kernel": "quartic", "crs": BNG, "grid": grid.describe(),
                "extent": grid.extent, "bandwidth": h, "cell_size": size},
    )


def kde_change(first: KdeResult, second: KdeResult) -> pd.DataFrame:
    """The change in density per cell from ``first`` to ``second`` (the same grid and kernel).

    Columns: ``x``, ``y`` (centre, EPSG:27700), ``lon``, ``lat``, ``density_first``,
    ``density_second``, ``change`` (events per km², second − first), for the cells where
    either surface is above zero. Refuses surfaces on different grids or kernels.
    """
    g1, g2 = first.params.get("grid"), second.params.get("grid")
    if g1 != g2 or first.bandwidth != second.bandwidth:
        diff = (f"grid {g1} vs {g2}" if g1 != g2 else
                f"bandwidth {format_m(first.bandwidth)} vs {format_m(second.bandwidth)}")
        raise InputError(f"the two density surfaces are on different grids or kernels ({diff}): "
                         "make both with the same grid_points (or extent), cell size and "
                         "bandwidth.")
    rows, cols = np.nonzero((first.density > 0) | (second.density > 0))
    half = first.cell_size / 2
    x = first.x_edges[cols] + half
    y = first.y_edges[rows] + half
    lon, lat = to_lonlat(x, y)
    a = first.density[rows, cols]
    b = second.density[rows, cols]
    return pd.DataFrame({"x": x, "y": y, "lon": lon, "lat": lat, "density_first": a,
                         "density_second": b, "change": b - a})
