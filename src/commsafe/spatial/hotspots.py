"""Getis-Ord Gi* hotspots of events, on a square grid or on areas (e.g. LSOAs).

Choices (each default is announced in ``HotspotResult.notes``):

Statistic
    ``esda.G_Local(counts, w, transform="B", star=True)``: Gi* (the cell or area itself is
    one of its own neighbours) with binary weights, the form of Getis & Ord (1992) and
    Ord & Getis (1995) that sfhotspot uses (``spdep::localG`` with ``style = "B"``). Binary
    weights keep a hot cell with many neighbours comparable with one with few; esda's
    row-standardised Gi* would have to guess the self-weight.
Grid neighbours
    Cells whose centres lie within ``bandwidth`` metres; by default ``cell_size × √2``, i.e.
    the eight surrounding cells (queen contiguity of cells), as sfhotspot's ``nb_dist``.
Area neighbours
    Queen contiguity (areas sharing at least one boundary point), built with
    ``libpysal.graph.Graph.build_contiguity`` (the same neighbours as
    ``libpysal.weights.Queen.from_dataframe`` in about half the time: 1.2 s against 2.1 s for
    the 35,672 LSOAs of 2021, see ``docs/benchmarks-spatial.md``). Areas with no neighbour
    (islands) get no z-score and are 'not significant'. Area centres (``x``, ``y``, ``lon``,
    ``lat``) are centroids taken in degrees, within metres of the true ones at LSOA size.
p-values
    Two-sided: ``2 × esda p_norm`` from the analytical z when ``permutations=0`` (the default,
    fast); with permutations, ``min(1, 2 × p_sim)`` from esda's conditional randomisation
    (seeded, so a rerun gives the same figures).
Multiple testing
    Benjamini–Hochberg false discovery rate over every cell/area with a p-value
    (``scipy.stats.false_discovery_control``); a cell is 'hot' (z > 0) or 'cold' (z < 0) when
    its adjusted p (raw p when ``fdr=False``) is at most ``alpha`` (default 0.05).
Which grid cells
    With a study area, the cells that touch it; with an explicit extent, every cell in it;
    otherwise the cells that touch the convex hull of the events, as sfhotspot does — empty
    cells far outside the area would lower the mean and make ordinary places look hot.

Output columns (a contract): ``cell_id`` (grid) or ``area_code`` (areas), ``x``, ``y`` (centre,
EPSG:27700 metres), ``lon``, ``lat`` (the same point, WGS84), ``count``, ``gi_z``, ``p_value``,
``p_adjusted``, ``class`` ∈ {'hot', 'cold', 'not significant'}.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from esda import G_Local
from libpysal.graph import Graph
from numpy.typing import ArrayLike
from scipy import stats

from commsafe.errors import InputError, QueryError, ReferenceDataError
from commsafe.spatial.grid import (
    BNG,
    MAX_CELLS,
    MIN_EVENTS,
    WGS84,
    Grid,
    as_points,
    auto_cell_size,
    check_enough_events,
    check_projected,
    format_m,
    make_grid,
    to_bng,
    to_lonlat,
)
from commsafe.store import shapes

__all__ = [
    "AREA_COLUMNS",
    "CHANGE_CLASSES",
    "CLASSES",
    "GRID_COLUMNS",
    "HotspotResult",
    "benjamini_hochberg",
    "classify_periods",
    "gistar_grid",
    "gistar_polygons",
    "store_points",
    "store_polygons",
]

CLASSES = ("hot", "cold", "not significant")
CHANGE_CLASSES = ("new", "persistent", "intensifying", "diminishing", "former", "not a hotspot")
_STAT_COLUMNS = ["x", "y", "lon", "lat", "count", "gi_z", "p_value", "p_adjusted", "class"]
GRID_COLUMNS = ["cell_id", *_STAT_COLUMNS]
AREA_COLUMNS = ["area_code", *_STAT_COLUMNS]

#: boundary files that load each area type (for messages)
_BOUNDARY_FILES = {
    "lsoa21": "lsoa21_boundaries.geojson",
    "lsoa11": "lsoa11_boundaries.geojson",
    "ward": "wards22_boundaries.geojson",
    "district": "ltla24_boundaries.geojson",
    "pfa": "pfa20_boundaries.geojson",
}


# --- result ---------------------------------------------------------------------------------

@dataclass
class HotspotResult:
    """Gi* per grid cell or area: ``frame`` (see module for columns), ``notes``, ``params``.

    ``geometry`` holds one shapely polygon per row of ``frame``, in EPSG:4326 (made on first
    use for grids).
    """

    frame: pd.DataFrame
    notes: list[str]
    params: dict[str, Any]
    _make_geometry: Callable[[], np.ndarray] | None = field(default=None, repr=False,
                                                            compare=False)
    _geometry: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """``grid`` or ``areas``."""
        return str(self.params["kind"])

    @property
    def id_column(self) -> str:
        return "cell_id" if self.kind == "grid" else "area_code"

    @property
    def geometry(self) -> np.ndarray:
        if self._geometry is None:
            if self._make_geometry is None:
                raise InputError("this result carries no geometry: it cannot be written as "
                                 "GeoJSON; use to_csv().")
            self._geometry = self._make_geometry()
        return self._geometry

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The frame with its polygons (EPSG:4326)."""
        return gpd.GeoDataFrame(self.frame.copy(), geometry=list(self.geometry), crs=WGS84)

    def to_geojson(self, path: str | Path) -> Path:
        """Write an RFC 7946 GeoJSON FeatureCollection (EPSG:4326) with the frame's columns."""
        path = Path(path)
        geoms = shapely.to_geojson(self.geometry)
        records = self.frame.to_dict("records")
        parts = []
        for rec, geom in zip(records, geoms, strict=True):
            props = json.dumps({k: _jsonable(v) for k, v in rec.items()}, allow_nan=False)
            parts.append(f'{{"type":"Feature","properties":{props},"geometry":{geom}}}')
        path.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(parts)
                        + "\n]}\n", encoding="utf-8")
        return path

    def to_csv(self, path: str | Path) -> Path:
        """Write the frame (no geometry) as CSV."""
        from commsafe.outputs.tables import frame_to_csv

        return frame_to_csv(self.frame, path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


# --- the statistic --------------------------------------------------------------------------

def benjamini_hochberg(p: ArrayLike) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values; NaN stays NaN and is not counted as a test."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def _check_options(alpha: float, permutations: int) -> None:
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise InputError(f"alpha must be a significance level between 0 and 1 (e.g. 0.05); "
                         f"received {alpha!r}.")
    if not isinstance(permutations, int | np.integer) or permutations < 0:
        raise InputError(f"permutations must be 0 (analytical p-values) or a positive whole "
                         f"number such as 999; received {permutations!r}.")


def _gistar(y: np.ndarray, graph: Graph, isolated: np.ndarray, *, permutations: int,
            seed: int, alpha: float, fdr: bool) -> tuple[pd.DataFrame, list[str]]:
    """gi_z, p_value, p_adjusted and class per observation, and notes."""
    notes: list[str] = []
    n = len(y)
    if np.all(y == y[0]):
        z = np.full(n, np.nan)
        p = np.full(n, np.nan)
        notes.append(f"every unit has the same count ({y[0]:g}): no hot or cold spot can be "
                     "told apart, so none is reported")
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gl = G_Local(y, graph, transform="B", star=True, permutations=int(permutations),
                         seed=seed, n_jobs=1, keep_simulations=False)
        for w in caught:
            text = str(w.message)
            # esda's notice that its default alternative hypothesis will change: commsafe
            # makes the p-value two-sided itself, so it does not apply
            if "alternative hypothesis" in text:
                continue
            notes.append(f"esda: {' '.join(text.split())}")
        z = np.asarray(gl.Zs, dtype=float).copy()
        if permutations:
            p = np.minimum(1.0, 2.0 * np.asarray(gl.p_sim, dtype=float))
        else:
            p = 2.0 * np.asarray(gl.p_norm, dtype=float)
    z[isolated] = np.nan
    p[isolated] = np.nan
    p_adj = benjamini_hochberg(p)
    used = p_adj if fdr else p
    cls = np.full(n, "not significant", dtype=object)
    sig = np.isfinite(used) & (used <= alpha)
    cls[sig & (z > 0)] = "hot"
    cls[sig & (z < 0)] = "cold"
    tested = int(np.isfinite(p).sum())
    if permutations:
        notes.append(f"p-values from {permutations:,} conditional permutations (seed {seed}), "
                     "two-sided")
        floor = min(1.0, 2.0 / (permutations + 1))
        if fdr and tested and floor * tested > alpha:
            need = math.ceil(floor * tested / alpha)
            enough = math.ceil(2 * tested / alpha) - 1
            notes.append(
                f"with {permutations:,} permutations no p-value falls below {floor:.2g}: "
                f"after the false discovery rate over {tested:,} tests a cell is significant "
                f"only when at least {need:,} share that floor; use permutations=0 "
                f"(analytical) or at least {enough:,} permutations")
    else:
        notes.append("p-values two-sided from the normal approximation of Gi* "
                     "(permutations=0)")
    if fdr:
        notes.append(f"p-values adjusted for {tested:,} tests with the Benjamini–Hochberg "
                     f"false discovery rate; hot/cold where the adjusted p ≤ {alpha:g}")
    else:
        notes.append(f"p-values not adjusted for multiple testing (fdr=False); hot/cold where "
                     f"p ≤ {alpha:g} — expect about {alpha:g} × {tested:,} false hotspots")
    frame = pd.DataFrame({"gi_z": z, "p_value": p, "p_adjusted": p_adj,
                          "class": pd.Series(cls, dtype=object).astype(str)})
    return frame, notes


# --- grid -----------------------------------------------------------------------------------

def _project_input(points: ArrayLike, crs: str,
                   study_area: shapely.Geometry | None
                   ) -> tuple[np.ndarray, shapely.Geometry | None, list[str]]:
    pts, notes = as_points(points, "events")
    crs_key = str(crs).upper()
    if crs_key == WGS84:
        if len(pts) and ((np.abs(pts[:, 0]).max() > 180) or (np.abs(pts[:, 1]).max() > 90)):
            raise InputError(
                "crs='EPSG:4326' was given but these coordinates are not longitude/latitude "
                f"(x up to {np.abs(pts[:, 0]).max():,.0f}): pass crs='EPSG:27700' for British "
                "National Grid metres."
            )
        x, y = to_bng(pts[:, 0], pts[:, 1])
        pts = np.column_stack([x, y])
        if study_area is not None:
            study_area = shapely.transform(study_area, lambda a, b: to_bng(a, b),
                                           interleaved=False)
    elif crs_key == BNG:
        check_projected(pts)
    else:
        raise InputError(f"crs must be 'EPSG:4326' (longitude/latitude) or 'EPSG:27700' "
                         f"(British National Grid metres); received {crs!r}.")
    return pts, study_area, notes


def _cells_touching(grid: Grid, area: shapely.Geometry) -> np.ndarray:
    """Which cells touch ``area`` (``shapely.intersects`` of each cell box, made fast).

    A cell touches a polygon when its centre lies inside it or its box meets the boundary;
    only cells near a boundary segment are tested as boxes.
    """
    if shapely.area(area) <= 0:  # a line or point (e.g. the hull of collinear events)
        return np.asarray(shapely.intersects(grid.polygons(), area))
    centres = grid.centroids()
    keep = np.asarray(shapely.contains_xy(area, centres[:, 0], centres[:, 1]))
    rings = shapely.get_parts(shapely.boundary(area))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    if len(a) == 0:
        return keep
    cs = grid.cell_size
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    c0 = np.clip(np.floor((lo[:, 0] - grid.x0) / cs).astype(np.int64) - 1, 0, grid.ncols - 1)
    c1 = np.clip(np.floor((hi[:, 0] - grid.x0) / cs).astype(np.int64) + 1, 0, grid.ncols - 1)
    r0 = np.clip(np.floor((lo[:, 1] - grid.y0) / cs).astype(np.int64) - 1, 0, grid.nrows - 1)
    r1 = np.clip(np.floor((hi[:, 1] - grid.y0) / cs).astype(np.int64) + 1, 0, grid.nrows - 1)
    width = c1 - c0 + 1
    sizes = width * (r1 - r0 + 1)
    seg = np.repeat(np.arange(len(a)), sizes)
    local = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    cand = (r0[seg] + local // width[seg]) * grid.ncols + c0[seg] + local % width[seg]
    segments = shapely.linestrings(np.stack([a, b], axis=1))
    hit = shapely.intersects(grid.polygons(cand), segments[seg])
    keep[cand[hit]] = True
    return keep


def _grid_graph(grid: Grid, kept_ids: np.ndarray, radius: float) -> tuple[Graph, np.ndarray]:
    """Binary distance-band graph among ``kept_ids`` cells, self-weights 1 included, and which
    cells have no neighbour but themselves."""
    m = len(kept_ids)
    pos = np.full(grid.n_cells, -1, dtype=np.int64)
    pos[kept_ids] = np.arange(m)
    rows, cols = grid.row_col(kept_ids)
    reach = math.floor(radius / grid.cell_size + 1e-9)
    limit = (radius / grid.cell_size) ** 2 + 1e-9
    focal_parts, neigh_parts = [], []
    for dr in range(-reach, reach + 1):
        for dc in range(-reach, reach + 1):
            if (dr == 0 and dc == 0) or dr * dr + dc * dc > limit:
                continue
            r2, c2 = rows + dr, cols + dc
            inside = (r2 >= 0) & (r2 < grid.nrows) & (c2 >= 0) & (c2 < grid.ncols)
            src = np.flatnonzero(inside)
            dst = pos[r2[inside] * grid.ncols + c2[inside]]
            ok = dst >= 0
            focal_parts.append(src[ok])
            neigh_parts.append(dst[ok])
    focal = np.concatenate(focal_parts) if focal_parts else np.empty(0, np.int64)
    neigh = np.concatenate(neigh_parts) if neigh_parts else np.empty(0, np.int64)
    lonely = np.bincount(focal, minlength=m) == 0
    # every cell is its own neighbour with weight 1 (Gi*): given here, esda uses it as is
    # instead of copying the graph to add it
    selves = np.arange(m)
    focal = np.concatenate([focal, selves])
    neigh = np.concatenate([neigh, selves])
    order = np.lexsort((neigh, focal))
    graph = Graph.from_arrays(focal[order], neigh[order], np.ones(len(focal)))
    return graph, lonely


def gistar_grid(points: ArrayLike, *, crs: str = BNG, cell_size: float | None = None,
                bandwidth: float | None = None, permutations: int = 0, alpha: float = 0.05,
                fdr: bool = True, extent: Sequence[float] | None = None,
                study_area: shapely.Geometry | None = None, min_events: int = MIN_EVENTS,
                max_cells: int = MAX_CELLS, seed: int = 0,
                grid_points: ArrayLike | None = None) -> HotspotResult:
    """Getis-Ord Gi* on counts of events in square cells.

    ``points`` is an ``(n, 2)`` array in ``crs``: British National Grid metres (default) or
    ``'EPSG:4326'`` longitude/latitude, which is projected for you. ``bandwidth`` is the
    neighbour distance in metres; ``extent`` (metres) and ``study_area`` (a polygon in ``crs``)
    fix the grid, which two results must share to be compared (:func:`classify_periods`).
    Without either, ``grid_points`` (in ``crs``; e.g. the events of both periods compared)
    fix it instead of ``points``: the automatic cell size, the extent and the convex hull of
    the cells analysed are theirs, so two periods run with the same ``grid_points`` share
    one grid.
    """
    _check_options(alpha, permutations)
    pts, study_area, notes = _project_input(points, crs, study_area)
    check_enough_events(len(pts), min_events)
    shared: np.ndarray | None = None
    if grid_points is not None and study_area is None and extent is None:
        shared, _, _ = _project_input(grid_points, crs, None)
        shared = np.concatenate([shared, pts]) if len(shared) else pts
    if cell_size is None:
        cell_size, note = auto_cell_size(pts if shared is None else shared, study_area)
        if shared is not None:
            note = note.replace("the events' extent", "the events' extent over both periods")
        notes.append(note)
    grid_extent = extent
    if grid_extent is None and study_area is not None:
        grid_extent = tuple(float(v) for v in shapely.bounds(study_area))
    if grid_extent is None and shared is not None:
        grid_extent = (*(float(v) for v in shared.min(axis=0)),
                       *(float(v) for v in shared.max(axis=0)))
    grid = make_grid(pts, cell_size, extent=grid_extent, max_cells=max_cells)
    notes.extend(grid.notes)
    size = grid.cell_size

    if study_area is not None:
        keep = _cells_touching(grid, study_area)
        cells = "the cells that touch the study area"
    elif extent is not None:
        keep = np.ones(grid.n_cells, dtype=bool)
        cells = "every cell of the given extent"
    elif shared is not None:
        keep = _cells_touching(grid, shapely.convex_hull(shapely.multipoints(shared)))
        cells = ("the cells that touch the convex hull of the events of both periods (one "
                 "grid for both, so that they can be compared)")
    else:
        keep = _cells_touching(grid, shapely.convex_hull(shapely.multipoints(pts)))
        cells = "the cells that touch the convex hull of the events"
    kept_ids = np.flatnonzero(keep)
    counts = grid.flat_counts[kept_ids]
    left_out = int(grid.flat_counts.sum() - counts.sum())
    if left_out:
        notes.append(f"{left_out:,} events lie in cells outside the study area and are left out")
    check_enough_events(int(counts.sum()), min_events)
    notes.append(f"analysed {len(kept_ids):,} cells of {format_m(size)}: {cells}"
                 + (" (as sfhotspot does; no study area was given, so a few events filed far "
                    "outside the area stretch the grid — give the partnership's boundary as "
                    "the study area to leave them out)"
                    if study_area is None and extent is None else ""))

    if bandwidth is None:
        radius = size * math.sqrt(2)
        notes.append(f"neighbour distance set to {format_m(round(radius, 1))} automatically "
                     "(cell size × √2: the 8 surrounding cells, as sfhotspot does); each cell "
                     "also counts itself (Gi*), binary weights")
    else:
        radius = float(bandwidth)
        if not math.isfinite(radius) or radius < size:
            raise InputError(
                f"a neighbour distance of {bandwidth!r} m is less than the cell size "
                f"({format_m(size)}): no cell would have a neighbour; use at least "
                f"{format_m(size)} (default: cell size × √2)."
            )
    graph, isolated = _grid_graph(grid, kept_ids, radius)
    if isolated.any():
        notes.append(f"{int(isolated.sum()):,} cells have no neighbouring cell in the analysis: "
                     "no z-score, class 'not significant'")
    stat, stat_notes = _gistar(counts.astype(float), graph, isolated,
                               permutations=permutations, seed=seed, alpha=alpha, fdr=fdr)
    notes.extend(stat_notes)
    xy = grid.centroids(kept_ids)
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
    frame = pd.DataFrame({"cell_id": kept_ids.astype(np.int64), "x": xy[:, 0], "y": xy[:, 1],
                          "lon": lon, "lat": lat, "count": counts.astype(np.int64)})
    frame = pd.concat([frame, stat], axis=1)[GRID_COLUMNS]

    def make_geometry() -> np.ndarray:
        return np.asarray(shapely.transform(grid.polygons(kept_ids),
                                            lambda a, b: to_lonlat(a, b), interleaved=False))

    params: dict[str, Any] = {
        "kind": "grid", "crs": BNG, "grid": grid.describe(), "cell_size": size,
        "extent": grid.extent, "cells": cells, "neighbour_distance": radius,
        "weights": "distance band, binary, self included (Gi*)", "transform": "B",
        "star": True, "permutations": int(permutations), "seed": seed, "alpha": alpha,
        "fdr": fdr, "n_events": int(counts.sum()), "n_cells": len(kept_ids),
    }
    return HotspotResult(frame=frame, notes=notes, params=params, _make_geometry=make_geometry)


# --- areas ----------------------------------------------------------------------------------

def gistar_polygons(polygons: gpd.GeoDataFrame, counts: Mapping[str, int], *,
                    contiguity: str = "queen", permutations: int = 0, alpha: float = 0.05,
                    fdr: bool = True, min_events: int = MIN_EVENTS, seed: int = 0,
                    code_column: str = "area_code") -> HotspotResult:
    """Getis-Ord Gi* on event counts per area (e.g. 2021 LSOAs), contiguity neighbours.

    ``polygons`` (EPSG:4326) has one row per area with its code in ``code_column``;
    ``counts`` maps area code → events (areas it does not name count 0).
    """
    _check_options(alpha, permutations)
    if contiguity not in ("queen", "rook"):
        raise InputError(f"contiguity must be 'queen' (areas sharing a boundary point) or "
                         f"'rook' (sharing an edge); received {contiguity!r}.")
    if code_column not in polygons.columns:
        raise InputError(f"the polygons have no {code_column!r} column (columns: "
                         f"{', '.join(map(str, polygons.columns))}); pass "
                         "code_column='<name>'.")
    gdf = polygons.reset_index(drop=True)
    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    codes = gdf[code_column].astype(str).to_numpy()
    dup = pd.Index(codes)[pd.Index(codes).duplicated()].unique()
    if len(dup):
        raise InputError(f"area codes appear more than once in the polygons: "
                         f"{', '.join(dup[:5])}{' …' if len(dup) > 5 else ''}; give one row "
                         "(a multipolygon) per area.")
    if len(gdf) < 2:
        raise InputError(f"Gi* needs at least 2 areas; received {len(gdf)}.")
    geoms = np.asarray(gdf.geometry.values)
    if gdf.crs is None:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90:
            raise InputError("the polygons have no CRS and are not in longitude/latitude; set "
                             "their CRS (e.g. gdf.set_crs('EPSG:27700')).")

    notes: list[str] = []
    count_map = {str(k): v for k, v in counts.items()}
    y = np.zeros(len(codes), dtype=np.int64)
    for i, code in enumerate(codes):
        v = count_map.get(code, 0)
        if v is None or isinstance(v, bool) or not float(v).is_integer() or v < 0:
            raise InputError(f"counts[{code!r}] must be a whole number of events ≥ 0; "
                             f"received {v!r}.")
        y[i] = int(v)
    unknown = set(count_map) - set(codes)
    if unknown:
        lost = sum(int(count_map[c]) for c in unknown)
        shown = ", ".join(sorted(unknown)[:5]) + (" …" if len(unknown) > 5 else "")
        notes.append(f"{len(unknown):,} counted areas have no boundary and are left out "
                     f"({lost:,} events): {shown}")
    zero = int((y == 0).sum())
    if zero:
        notes.append(f"{zero:,} of {len(y):,} areas have no events and count as 0")
    check_enough_events(int(y.sum()), min_events)

    graph = Graph.build_contiguity(gdf.geometry, rook=contiguity == "rook")
    isolated = np.zeros(len(codes), dtype=bool)
    isolated[np.asarray(graph.isolates, dtype=np.int64)] = True
    notes.append(f"neighbours: {contiguity} contiguity (areas sharing "
                 f"{'a boundary point' if contiguity == 'queen' else 'an edge'}); each area "
                 "also counts itself (Gi*), binary weights")
    if isolated.any():
        isl = codes[isolated]
        shown = ", ".join(sorted(isl)[:5]) + (" …" if len(isl) > 5 else "")
        notes.append(f"{len(isl):,} {'area has' if len(isl) == 1 else 'areas have'} no "
                     f"neighbour (islands): {shown} — no z-score, class 'not significant'")
    n_comp = int(graph.n_components)
    groups = n_comp - int(isolated.sum())
    if groups > 1:
        notes.append(f"the areas form {groups:,} groups that share no boundary with each other "
                     "(e.g. islands); each area is still compared with the mean of all areas")
    stat, stat_notes = _gistar(y.astype(float), graph, isolated, permutations=permutations,
                               seed=seed, alpha=alpha, fdr=fdr)
    notes.extend(stat_notes)

    cen = shapely.centroid(geoms)
    lon, lat = shapely.get_x(cen), shapely.get_y(cen)
    x, yy = to_bng(lon, lat)
    frame = pd.DataFrame({"area_code": pd.Series(codes, dtype=object).astype(str),
                          "x": x, "y": yy, "lon": lon, "lat": lat, "count": y})
    frame = pd.concat([frame, stat], axis=1)[AREA_COLUMNS]
    params: dict[str, Any] = {
        "kind": "areas", "crs": WGS84, "contiguity": contiguity,
        "weights": f"{contiguity} contiguity, binary, self included (Gi*)", "transform": "B",
        "star": True, "permutations": int(permutations), "seed": seed, "alpha": alpha,
        "fdr": fdr, "n_events": int(y.sum()), "n_areas": len(codes),
        "islands": [str(c) for c in codes[isolated]],
    }
    return HotspotResult(frame=frame, notes=notes, params=params, _geometry=geoms)


# --- two periods ----------------------------------------------------------------------------

def classify_periods(first: HotspotResult, second: HotspotResult, *,
                     z_change: float = 1.0) -> pd.DataFrame:
    """Two-period class of each cell/area: how hotspots moved from ``first`` to ``second``.

    ``new`` hot in the second only; ``former`` hot in the first only; hot in both is
    ``intensifying`` when gi_z rose by more than ``z_change`` (default 1, i.e. one standard
    error of Gi*), ``diminishing`` when it fell by more than that, else ``persistent``;
    everything else ``not a hotspot``. Both results must be on the same grid (cell size,
    origin, extent, cells) or the same areas. Notes are in ``frame.attrs["notes"]``.
    """
    if first.kind != second.kind:
        raise InputError(f"cannot compare a {first.kind} result with an {second.kind} result: "
                         "run both periods the same way.")
    key = first.id_column
    if first.kind == "grid":
        g1, g2 = first.params["grid"], second.params["grid"]
        if g1 != g2:
            diff = "; ".join(f"{k} {g1[k]:g} vs {g2[k]:g}" for k in g1 if g1[k] != g2[k])
            raise InputError(f"the two periods are on different grids ({diff}): run both with "
                             "the same --cell-size and the same extent or study area.")
    a, b = first.frame, second.frame
    ids1, ids2 = set(a[key]), set(b[key])
    if ids1 != ids2:
        what = "cells" if first.kind == "grid" else "areas"
        raise InputError(
            f"the two periods cover different {what} ({len(ids1 - ids2):,} only in the first, "
            f"{len(ids2 - ids1):,} only in the second): run both with the same extent or "
            "study area (or the same boundaries)."
        )
    z_change = float(z_change)
    if not (math.isfinite(z_change) and z_change >= 0):
        raise InputError(f"z_change must be a number ≥ 0; received {z_change!r}.")
    cols = [key, "x", "y", "lon", "lat", "count", "gi_z", "class"]
    m = a[cols].merge(b[[key, "count", "gi_z", "class"]], on=key, suffixes=("_first",
                                                                           "_second"))
    hot1 = (m["class_first"] == "hot").to_numpy()
    hot2 = (m["class_second"] == "hot").to_numpy()
    dz = (m["gi_z_second"] - m["gi_z_first"]).to_numpy(dtype=float)
    change = np.full(len(m), "not a hotspot", dtype=object)
    change[hot2 & ~hot1] = "new"
    change[hot1 & ~hot2] = "former"
    both = hot1 & hot2
    change[both] = "persistent"
    change[both & (dz > z_change)] = "intensifying"
    change[both & (dz < -z_change)] = "diminishing"
    m["z_change"] = dz
    m["change"] = pd.Series(change, index=m.index, dtype=object).astype(str)
    notes = [f"hot in both periods: 'intensifying' when Gi* z rose by more than {z_change:g}, "
             f"'diminishing' when it fell by more than {z_change:g}, else 'persistent'"]
    if first.params.get("alpha") != second.params.get("alpha") or \
            first.params.get("fdr") != second.params.get("fdr"):
        notes.append("the two periods used different significance settings (alpha/fdr): "
                     "their classes are not strictly comparable")
    m.attrs["notes"] = notes
    return m


# --- the store ------------------------------------------------------------------------------

def _connection(con: Any) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection from a connection or a :class:`commsafe.store.Store`."""
    found: duckdb.DuckDBPyConnection = getattr(con, "con", con)
    return found


def store_points(con: Any, where_sql: str | None = None, *, include_asb: bool = False,
                 asb_only: bool = False) -> tuple[np.ndarray, list[str]]:
    """Longitude/latitude ``(n, 2)`` of the selected events that have a location, and notes.

    ``where_sql`` uses the names of ``--where`` elsewhere (``category``, ``ward``,
    ``month_start`` …; see :mod:`commsafe.measures.counts`). Crime only unless
    ``include_asb`` / ``asb_only``.
    """
    from commsafe.measures.counts import events_view_sql, where_error

    if include_asb and asb_only:
        raise QueryError("--include-asb and --asb-only contradict each other. Give one.")
    conds = ["is_asb"] if asb_only else ([] if include_asb else ["NOT is_asb"])
    if where_sql:
        conds.append(f"({where_sql})")
    cond = " AND ".join(conds) or "TRUE"
    sql = (f"SELECT longitude, latitude FROM ({events_view_sql()}) v WHERE {cond}")
    try:
        tbl = _connection(con).sql(sql).fetchnumpy()
    except duckdb.Error as exc:
        raise where_error(where_sql, exc) from None
    # NULLs arrive as masked entries: make them NaN
    lon = np.ma.filled(np.ma.asarray(tbl["longitude"]).astype(float), np.nan)
    lat = np.ma.filled(np.ma.asarray(tbl["latitude"]).astype(float), np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    notes = []
    if not include_asb and not asb_only:
        notes.append("crime only: anti-social behaviour left out (include it with "
                     "--include-asb)")
    if (~ok).any():
        notes.append(f"{int((~ok).sum()):,} of {len(lon):,} selected events have no location "
                     "and are left out of the map analysis")
    return np.column_stack([lon[ok], lat[ok]]), notes


def store_polygons(con: Any, area_type: str,
                   codes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Boundaries of ``area_type`` from the store: ``area_code``, ``area_name``, geometry.

    EPSG:4326; the newest vintage when a code has several. ``codes`` limits the areas;
    those without a boundary are listed in ``gdf.attrs["notes"]``.
    """
    wanted = None if codes is None else sorted({str(c) for c in codes})
    if wanted == []:
        raise InputError(f"no {area_type} codes given: pass None for every area, or some codes.")
    params: dict[str, Any] = {"t": area_type}
    pick = ""
    if wanted is not None:
        pick = "AND list_contains($codes, area_code)"
        params["codes"] = wanted
    tbl = _connection(con).sql(f"""
        SELECT area_code, area_name, geometry FROM boundaries
        WHERE area_type = $t {pick}
        QUALIFY row_number() OVER (PARTITION BY area_code
                                   ORDER BY vintage DESC NULLS LAST, load_id DESC) = 1
        ORDER BY area_code
    """, params=params).to_arrow_table()
    if tbl.num_rows == 0:
        file = _BOUNDARY_FILES.get(area_type, f"a {area_type} boundaries file")
        if wanted is None:
            raise ReferenceDataError(f"no {area_type} boundaries loaded: load {file} with "
                                     "'commsafe reference load'")
        raise ReferenceDataError(
            f"none of the {len(wanted):,} {area_type} areas asked for has a boundary in the "
            f"store (e.g. {wanted[0]}): load {file} with 'commsafe reference load'")
    geoms = shapes.decode(tbl.column("geometry").to_pylist())
    gdf = gpd.GeoDataFrame({"area_code": tbl.column("area_code").to_pylist(),
                            "area_name": tbl.column("area_name").to_pylist()},
                           geometry=list(geoms), crs=WGS84)
    notes: list[str] = []
    if wanted is not None and len(gdf) < len(wanted):
        missing = sorted(set(wanted) - set(gdf["area_code"]))
        notes.append(f"{len(missing):,} of {len(wanted):,} {area_type} areas have no boundary "
                     f"in the store and are left out: {', '.join(missing[:5])}"
                     + (" …" if len(missing) > 5 else ""))
    gdf.attrs["notes"] = notes
    return gdf


def district_outline(con: Any, within: Any) -> gpd.GeoDataFrame | None:
    """Boundaries of the districts inside ``within`` (an Area: CSP, district or PFA), or None
    when there is no such area or no district boundary is loaded."""
    from commsafe.errors import CommsafeError

    if within is None or within.level not in ("csp", "district", "pfa"):
        return None
    from commsafe.reference.areas import districts_within

    codes = districts_within(_connection(con), within)
    try:
        outline = store_polygons(con, "district", codes)
    except CommsafeError:
        return None
    return outline if len(outline) else None
