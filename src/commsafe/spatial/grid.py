"""Square grids of event counts on the British National Grid (EPSG:27700).

Distances are in metres, so points are projected from WGS84 longitude/latitude first
(:func:`to_bng`). A grid's cells are aligned on whole multiples of the cell size (a 250 m grid
has edges at 0, 250, 500 … m), so any two grids with one cell size share their cells.

Automatic cell size (:func:`auto_cell_size`) follows sfhotspot's ``set_cell_size()``: 1/50 of
the shorter side of the bounding box (of the study area when one is given, else of the
events), rounded *down* to a multiple of 100 m when that is at least 100 m. sfhotspot leaves
smaller sizes unrounded; commsafe rounds them down to a multiple of 10 m (or of 1 m below
10 m) so that the announced figure is tidy.

Guardrails, each an :class:`~commsafe.errors.InputError` that says how to fix it: points in
degrees given to a distance method, grids over ``max_cells`` cells, a cell larger than the
study area, and too few events (:func:`check_enough_events`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike
from pyproj import Transformer

from commsafe.errors import InputError

__all__ = [
    "BNG",
    "MAX_CELLS",
    "MIN_EVENTS",
    "WGS84",
    "Extent",
    "Grid",
    "as_points",
    "auto_cell_size",
    "check_enough_events",
    "check_extent",
    "check_projected",
    "format_km",
    "format_m",
    "make_grid",
    "to_bng",
    "to_lonlat",
]

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
#: largest grid made unless the caller raises the limit
MAX_CELLS = 2_000_000
#: fewest events a hotspot analysis accepts by default
MIN_EVENTS = 30

#: (xmin, ymin, xmax, ymax) in metres
Extent = tuple[float, float, float, float]


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude (degrees) to British National Grid x, y (metres)."""
    x, y = _transformer(WGS84, BNG).transform(np.asarray(lon, dtype=float),
                                              np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_lonlat(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid x, y (metres) back to WGS84 longitude/latitude (degrees)."""
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, dtype=float),
                                                  np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def format_m(value: float) -> str:
    """``250 m``, ``12.5 m``, ``1,200 m``."""
    return f"{value:,.1f}".removesuffix(".0") + " m"


def format_km(value_m: float) -> str:
    """Metres as kilometres for messages: ``40 km``, ``1.2 km``, ``0.35 km``."""
    km = value_m / 1000
    text = f"{km:,.1f}" if km >= 1 else f"{km:,.2f}"
    return text.rstrip("0").rstrip(".") + " km" if "." in text else text + " km"


def as_points(points: ArrayLike, what: str = "points") -> tuple[np.ndarray, list[str]]:
    """An ``(n, 2)`` float array of x, y; rows with a missing coordinate are dropped (noted)."""
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"{what} must be an array of shape (n, 2) holding x, y (or longitude, "
                         f"latitude) per row; received shape {arr.shape}.")
    notes: list[str] = []
    ok = np.isfinite(arr).all(axis=1)
    if not ok.all():
        notes.append(f"{int((~ok).sum()):,} of {len(arr):,} {what} have a missing coordinate "
                     "and are left out")
        arr = arr[ok]
    return arr, notes


def check_projected(points_xy: np.ndarray) -> None:
    """Refuse points that look like longitude/latitude when metres are needed."""
    if len(points_xy) == 0:
        return
    x, y = points_xy[:, 0], points_xy[:, 1]
    if (np.abs(x).max() <= 180) and (np.abs(y).max() <= 90):
        raise InputError(
            "these coordinates look like longitude/latitude (degrees); transform to British "
            "National Grid (EPSG:27700) first — commsafe does this for you when given events "
            "(or pass crs='EPSG:4326' to let it project them)."
        )


def check_enough_events(n: int, minimum: int = MIN_EVENTS,
                        what: str = "hotspot analysis") -> None:
    """Refuse fewer than ``minimum`` events."""
    if n < minimum:
        raise InputError(
            f"too few events for a stable result: {n:,}; {what} needs at least {minimum:,} — "
            "choose a longer period or a wider area."
        )


def _tidy_down(size: float) -> tuple[float, str]:
    if size >= 100:
        return math.floor(size / 100) * 100.0, "rounded down to a multiple of 100 m"
    if size >= 10:
        return math.floor(size / 10) * 10.0, "rounded down to a multiple of 10 m"
    return max(1.0, math.floor(size)), "rounded down to whole metres"


def auto_cell_size(points_xy: ArrayLike,
                   study_area_polygon_xy: shapely.Geometry | None = None) -> tuple[float, str]:
    """sfhotspot's rule: 1/50 of the shorter side of the bounding box, tidied (see module).

    The box is the study area's when given (British National Grid metres), else the points'.
    Returns the size in metres and a note announcing it.
    """
    if study_area_polygon_xy is not None:
        xmin, ymin, xmax, ymax = (float(v) for v in shapely.bounds(study_area_polygon_xy))
        whose = "study area"
    else:
        pts, _ = as_points(points_xy)
        if len(pts) == 0:
            raise InputError("no events to size a grid for: the selection is empty.")
        check_projected(pts)
        xmin, ymin = pts.min(axis=0)
        xmax, ymax = pts.max(axis=0)
        whose = "events' extent"
    width, height = float(xmax - xmin), float(ymax - ymin)
    check_projected(np.array([[xmin, ymin], [xmax, ymax]]))
    side = min(width, height)
    side_name = "shorter side"
    if side <= 0:
        side, side_name = max(width, height), "longer side (the other is zero)"
    if side <= 0:
        raise InputError("all events are at one place: a grid needs events spread over an "
                         "area; choose a wider selection or give --cell-size.")
    size, how = _tidy_down(side / 50)
    note = (f"cell size set to {format_m(size)} automatically (1/50 of the {side_name} of the "
            f"{whose}, {format_km(side)}, {how}, as sfhotspot does)")
    return size, note


@dataclass(frozen=True)
class Grid:
    """Counts of points in square cells; ``counts[row, col]``, row 0 at the south edge.

    Cell ``cell_id = row * ncols + col``, so ids are stable for one origin, size and shape.
    """

    x0: float
    y0: float
    cell_size: float
    ncols: int
    nrows: int
    counts: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        return self.ncols * self.nrows

    @property
    def extent(self) -> Extent:
        return (self.x0, self.y0, self.x0 + self.ncols * self.cell_size,
                self.y0 + self.nrows * self.cell_size)

    @property
    def x_edges(self) -> np.ndarray:
        return self.x0 + self.cell_size * np.arange(self.ncols + 1)

    @property
    def y_edges(self) -> np.ndarray:
        return self.y0 + self.cell_size * np.arange(self.nrows + 1)

    @property
    def flat_counts(self) -> np.ndarray:
        """Counts in ``cell_id`` order."""
        return self.counts.reshape(-1)

    def row_col(self, cell_ids: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        ids = np.arange(self.n_cells) if cell_ids is None else np.asarray(cell_ids)
        return ids // self.ncols, ids % self.ncols

    def centroids(self, cell_ids: ArrayLike | None = None) -> np.ndarray:
        """``(n, 2)`` cell centres (metres) for ``cell_ids`` (all cells when None)."""
        row, col = self.row_col(cell_ids)
        half = self.cell_size / 2
        return np.column_stack([self.x0 + col * self.cell_size + half,
                                self.y0 + row * self.cell_size + half])

    def polygons(self, cell_ids: ArrayLike | None = None) -> np.ndarray:
        """Shapely boxes (EPSG:27700) for ``cell_ids`` (all cells when None)."""
        row, col = self.row_col(cell_ids)
        x = self.x0 + col * self.cell_size
        y = self.y0 + row * self.cell_size
        return np.asarray(shapely.box(x, y, x + self.cell_size, y + self.cell_size))

    def describe(self) -> dict[str, Any]:
        """Origin, size and shape: two grids with equal descriptions have the same cells."""
        return {"x0": self.x0, "y0": self.y0, "cell_size": self.cell_size,
                "ncols": self.ncols, "nrows": self.nrows}


def _check_cell_size(cell_size: float) -> float:
    try:
        size = float(cell_size)
    except (TypeError, ValueError):
        raise InputError(f"cell size must be a number of metres; received {cell_size!r}.") from None
    if not math.isfinite(size) or size <= 0:
        raise InputError(f"cell size must be a positive number of metres; received {cell_size!r}.")
    return size


def check_extent(extent: Sequence[float]) -> tuple[float, float, float, float]:
    """``(xmin, ymin, xmax, ymax)`` in British National Grid metres, checked."""
    if len(extent) != 4:
        raise InputError(f"extent must be (xmin, ymin, xmax, ymax) in metres; received "
                         f"{extent!r}.")
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    if not (xmax > xmin and ymax > ymin):
        raise InputError(f"extent must be (xmin, ymin, xmax, ymax) with xmax > xmin and "
                         f"ymax > ymin; received {tuple(extent)!r}.")
    check_projected(np.array([[xmin, ymin], [xmax, ymax]]))
    return xmin, ymin, xmax, ymax


def make_grid(points_xy: ArrayLike, cell_size: float, *,
              extent: Sequence[float] | None = None,
              max_cells: int = MAX_CELLS) -> Grid:
    """Count points (British National Grid metres) in square cells of ``cell_size`` metres.

    The grid covers ``extent`` (xmin, ymin, xmax, ymax) or else the points' bounding box,
    widened to whole multiples of the cell size. Points outside ``extent`` are left out (noted).
    """
    size = _check_cell_size(cell_size)
    pts, notes = as_points(points_xy)
    check_projected(pts)
    if extent is not None:
        xmin, ymin, xmax, ymax = check_extent(extent)
        area = "study area"
    else:
        if len(pts) == 0:
            raise InputError("no events to grid: the selection is empty.")
        xmin, ymin = (float(v) for v in pts.min(axis=0))
        xmax, ymax = (float(v) for v in pts.max(axis=0))
        area = "area covered by the events"
    width, height = xmax - xmin, ymax - ymin
    if size >= max(width, height):
        raise InputError(
            f"a {format_m(size)} cell is larger than the {area} ({format_km(width)} × "
            f"{format_km(height)}): the whole area would be one cell; choose a smaller "
            "--cell-size."
        )
    x0 = math.floor(xmin / size) * size
    y0 = math.floor(ymin / size) * size
    ncols = max(1, math.ceil((xmax - x0) / size))
    nrows = max(1, math.ceil((ymax - y0) / size))
    n_cells = ncols * nrows
    if n_cells > max_cells:
        raise InputError(
            f"a {format_m(size)} grid over {format_km(ncols * size)} × "
            f"{format_km(nrows * size)} is {n_cells:,} cells (limit {max_cells:,}): choose a "
            "larger --cell-size."
        )
    x_edges = x0 + size * np.arange(ncols + 1)
    y_edges = y0 + size * np.arange(nrows + 1)
    hist, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=[x_edges, y_edges])
    counts = hist.T.astype(np.int64)
    outside = len(pts) - int(counts.sum())
    if outside:
        notes.append(f"{outside:,} of {len(pts):,} events lie outside the grid's extent and "
                     "are left out")
    return Grid(x0=x0, y0=y0, cell_size=size, ncols=ncols, nrows=nrows, counts=counts,
                notes=notes)
