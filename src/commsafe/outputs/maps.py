"""Maps in the house style: choropleths, dot maps and hotspot maps. They compute no statistics.

The numbers drawn (rates, counts, hotspot classes) come from ``commsafe.measures`` and
``commsafe.spatial``; only class breaks are chosen here, because they are presentation.

Every map is drawn on the British National Grid (EPSG:27700): inputs in lon/lat (or any CRS
that has been declared) are projected for drawing, so that distances and shapes are true and
the scale bar is right. A map has its title left-aligned at the top, the map on the left, the
legend to its right, then an optional data-quality line (for example the share of incidents
that have no location and cannot be mapped) and the source line under it. There are no axes
or ticks; a small north arrow and scale bar (km, or m for small areas) sit under the
legend, outside the map, so they never hide an area.

Palettes (all colour-blind safe):

* sequential classes: ``viridis`` reversed, light yellow (low) → dark purple (high):
  perceptually uniform, readable with any colour vision and monotonic in lightness, so it
  still reads in greyscale print;
* diverging classes (change, centred on 0): ColorBrewer ``PuOr``, purple for falls and orange
  for rises, a near-white class around zero when the number of classes is odd;
* hotspots: Okabe–Ito vermillion/orange (hot) and blue/sky blue (cold) from
  :data:`~commsafe.outputs.charts.OKABE_ITO`;
* areas without a value: light grey, hatched, and named in the legend (never a class colour).

Files are written as in :mod:`commsafe.outputs.charts`: ``<out_stem>.png`` (200 dpi, 1600
pixels wide; the height follows the shape of the area) and ``<out_stem>.svg`` (text kept as
text, byte-for-byte reproducible). Figures use :class:`matplotlib.figure.Figure` and the Agg
backend, never ``pyplot``.

Each function returns a :class:`MapResult`: the paths written, the class breaks (upper bounds,
as ``mapclassify``'s ``bins``) and ``notes`` announcing every choice made (scheme and number
of classes, palette, areas without a value, points dropped).
"""

from __future__ import annotations

import itertools
import math
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib import patheffects as pe
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from pyproj import Transformer

from commsafe.errors import InputError
from commsafe.measures.rounding import format_number
from commsafe.outputs.charts import (
    HOUSE,
    OKABE_ITO,
    SOURCE_WRAP,
    TITLE_WRAP,
    figure_renderer,
    house_style,
    require_columns,
    save_figure,
)

__all__ = [
    "BNG",
    "DIVERGING_CMAP",
    "HOTSPOT_CLASSES",
    "MAP_WIDTH",
    "SEQUENTIAL_CMAP",
    "TREND_HOTSPOT_CLASSES",
    "MapResult",
    "choropleth",
    "hotspot_map",
    "points_map",
]

#: the projection maps are drawn in: British National Grid (metres)
BNG: Final = "EPSG:27700"
#: figure width in inches (1600 pixels at 200 dpi); the height follows the area's shape
MAP_WIDTH: Final = 8.0
#: sequential palette: viridis reversed (light = low, dark = high), colour-blind safe
SEQUENTIAL_CMAP: Final = "viridis_r"
#: diverging palette: ColorBrewer PuOr reversed (purple = fall, orange = rise), CVD safe
DIVERGING_CMAP: Final = "PuOr_r"

#: single-period hotspot classes → (legend label, fill colour or None for transparent)
HOTSPOT_CLASSES: Final[dict[str, tuple[str, str | None]]] = {
    "hot": ("Hot spot", OKABE_ITO["vermillion"]),
    "cold": ("Cold spot", OKABE_ITO["blue"]),
    "not significant": ("Not significant", None),
}
#: two-period hotspot classes → (legend label, fill colour or None for transparent)
TREND_HOTSPOT_CLASSES: Final[dict[str, tuple[str, str | None]]] = {
    "intensifying": ("Intensifying hotspot", OKABE_ITO["vermillion"]),
    "persistent": ("Persistent hotspot", OKABE_ITO["orange"]),
    "new": ("New hotspot", OKABE_ITO["reddish_purple"]),
    "diminishing": ("Diminishing hotspot", OKABE_ITO["sky_blue"]),
    "former": ("Former hotspot", OKABE_ITO["blue"]),
    "not a hotspot": ("Not a hotspot", None),
}

_TEXT: Final = str(HOUSE["text.color"])
_MUTED: Final = str(HOUSE["xtick.color"])
_MISSING_FILL: Final = "#E3E3E3"
_MISSING_HATCH: Final = "#9A9A9A"
_BACKGROUND_FILL: Final = "#F0F0F0"
_BACKGROUND_EDGE: Final = "#BDBDBD"
_OUTLINE: Final = "#222222"
_DIVERGING_EDGE: Final = "#A0A0A0"
_NOT_SIGNIFICANT_EDGE: Final = "#D0D0D0"
_DOT: Final = OKABE_ITO["blue"]

_PAD: Final = 0.15  # inches round the edge of the figure
_GAP: Final = 0.12  # inches between blocks (title, map, legend, notes)
_MAP_MIN_HEIGHT: Final = 3.6  # inches
_MAP_MAX_HEIGHT: Final = 8.0
_MARGIN: Final = 0.05  # share of the area's extent left empty round it
_NOTE_WRAP: Final = 118
_LEGEND_TITLE_WRAP: Final = 26
_MAX_CLASSES: Final = 9
_JENKS_MAX_VALUES: Final = 2000  # Fisher–Jenks is O(k n²) without numba
_SCHEMES: Final = ("quantiles", "jenks")

_SCALE_SHARE: Final = 1.1  # inches: the scale bar's length is at most this
_FURNITURE_HEIGHT: Final = 1.0  # inches under the legend for the north arrow and scale bar

PointsInput: TypeAlias = pd.DataFrame | np.ndarray | tuple[Sequence[float], Sequence[float]]


@dataclass(frozen=True)
class MapResult:
    """What a map function wrote and chose.

    ``paths`` is ``[png, svg]``. ``breaks`` are the class upper bounds, lowest class first, as
    ``mapclassify``'s ``bins`` (the lowest class starts at the smallest value; for a
    diverging map at minus the largest absolute value); empty for maps without classes.
    ``notes`` announce every choice made, e.g. ``"class breaks: quantiles, 5 classes"``.
    """

    paths: list[Path]
    breaks: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- input checks ---------------------------------------------------------------------------

def _check_polygons(frame: object, what: str, fix: str) -> gpd.GeoDataFrame:
    """``frame`` as a non-empty polygon GeoDataFrame with a CRS, in British National Grid."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{what} is a {type(frame).__name__}, not a GeoDataFrame. {fix}")
    if frame.empty:
        raise InputError(f"{what} is empty: there is nothing to map. Check the selection "
                         "(area, period, categories) that produced it.")
    if frame.crs is None:
        raise InputError(f"{what} has no CRS, so it cannot be placed on the map. Fix: declare "
                         "it, e.g. frame.set_crs('EPSG:4326') for longitude/latitude.")
    geoms = frame.geometry
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        raise InputError(f"{what}: {int(missing.sum())} of {len(frame)} rows have no geometry "
                         f"(first at row {_row_name(frame, missing)}). Drop them or supply "
                         "their boundaries.")
    kinds = geoms.geom_type
    wrong = ~kinds.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        found = ", ".join(sorted(set(kinds[wrong])))
        raise InputError(f"{what}: geometry must be polygons; {int(wrong.sum())} rows are "
                         f"{found} (first at row {_row_name(frame, wrong)}). {fix}")
    return frame.to_crs(BNG)


def _row_name(frame: pd.DataFrame, mask: pd.Series) -> str:
    index = frame.index[mask.to_numpy()][0]
    for column in ("area_code", "area_name"):
        if column in frame.columns:
            return f"{index} ({column} {frame.loc[index, column]!r})"
    return str(index)


def _numeric(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    try:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype="float64",
                                                                        na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: column {column!r} must hold numbers ({exc}). Fix: pass the "
                         "measure's numeric column, not a formatted one.") from None
    if np.isinf(values).any():
        raise InputError(f"{what}: column {column!r} has infinite values (a rate with a zero "
                         "population?). Fix: make them missing (NaN) so they are drawn as "
                         "'no value'.")
    return values


# --- drawing helpers ------------------------------------------------------------------------

def _paths(geoms: gpd.GeoSeries) -> list[MplPath]:
    """One compound matplotlib path per (multi)polygon, holes wound the other way."""
    out = []
    for geom in shapely.orient_polygons(np.asarray(geoms.to_numpy(), dtype=object)):
        parts = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
        vertices: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        for part in parts:
            for ring in [part.exterior, *part.interiors]:
                xy = np.asarray(ring.coords)[:, :2]
                code = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
                code[0], code[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
                vertices.append(xy)
                codes.append(code)
        out.append(MplPath(np.concatenate(vertices), np.concatenate(codes)))
    return out


def _polygons(ax: Axes, geoms: gpd.GeoSeries, **style: Any) -> PathCollection:
    collection = PathCollection(_paths(geoms), **style)
    ax.add_collection(collection, autolim=False)
    return collection


def _outline(ax: Axes, outline: gpd.GeoDataFrame | None) -> list[Any]:
    """Draw the district/CSP boundary on top; returns its legend handle (if any)."""
    if outline is None:
        return []
    _polygons(ax, outline.geometry, facecolors="none", edgecolors=_OUTLINE, linewidths=1.0,
              zorder=5)
    return [Line2D([], [], color=_OUTLINE, linewidth=1.0)]


def _new_map() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(MAP_WIDTH, 6.0))
    FigureCanvasAgg(fig)  # render with Agg; measuring text needs its renderer
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    return fig, ax


def _halo_text(ax: Axes, x: float, y: float, text: str, **style: Any) -> Text:
    """``text`` with a white halo so it reads over any fill.

    The halo is a second, white copy drawn underneath (a path in the SVG); the text itself
    carries no path effect, so it stays text in the SVG (searchable, editable).
    """
    ax.text(x, y, text, **{**style, "color": "white", "zorder": style.get("zorder", 6) - 0.1},
            path_effects=[pe.Stroke(linewidth=2.4, foreground="white")])
    return ax.text(x, y, text, **style)


def _nice_length(target_m: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``target_m``."""
    exponent = math.floor(math.log10(target_m))
    best = 10.0**exponent
    for step in (1, 2, 5):
        if step * 10.0**exponent <= target_m:
            best = step * 10.0**exponent
    return best


def _scale_bar_and_north(fig: Figure, *, left: float, bottom: float,
                         metres_per_inch: float, longest: float) -> None:
    """A small scale bar (km or m) and a north arrow, in the column under the legend.

    ``left``, ``bottom`` and ``longest`` (the longest bar allowed) are in inches; outside
    the map, so they never hide an area. The bar is about a fifth of the map's width.
    """
    width, height = (float(v) for v in fig.get_size_inches())

    def at(x: float, y: float) -> tuple[float, float]:
        return x / width, y / height

    length = _nice_length(min(longest, _SCALE_SHARE) * metres_per_inch)
    bar = length / metres_per_inch
    y = bottom + 0.04
    (x0, y0), (x1, y1) = at(left, y), at(left + bar, y)
    tick = 0.05 / height
    style: dict[str, Any] = {"transform": fig.transFigure, "color": _TEXT}
    fig.add_artist(Line2D([x0, x1], [y0, y1], linewidth=1.4, solid_capstyle="butt", **style))
    for x in (x0, x1):
        fig.add_artist(Line2D([x, x], [y0, y0 + tick], linewidth=0.9, **style))
    label = (f"{format_number(length / 1000)} km" if length >= 1000
             else f"{format_number(length)} m")
    fig.text(*at(left + bar / 2, y + 0.08), label, ha="center", va="bottom", fontsize=7,
             color=_TEXT)
    fig.add_artist(FancyArrowPatch(at(left + 0.06, y + 0.38), at(left + 0.06, y + 0.66),
                                   arrowstyle="-|>", mutation_scale=9, linewidth=1.0,
                                   shrinkA=0, shrinkB=0, **style))
    fig.text(*at(left + 0.06, y + 0.68), "N", ha="center", va="bottom", fontsize=8,
             fontweight="bold", color=_TEXT)


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(b) for b in frame.total_bounds)
    return minx, miny, maxx, maxy


def _height_in(artist: Text | Legend, fig: Figure) -> float:
    return float(artist.get_window_extent(figure_renderer(fig)).height) / fig.dpi


def _width_in(artist: Text | Legend, fig: Figure) -> float:
    return float(artist.get_window_extent(figure_renderer(fig)).width) / fig.dpi


def _compose(fig: Figure, ax: Axes, *, bounds: tuple[float, float, float, float],
             title: str, source: str, quality_note: str | None, handles: list[Any],
             labels: list[str], legend_title: str | None) -> None:
    """Lay the map out: title on top, map left, legend right, quality note and source under.

    Sizes of text are measured in inches (they do not depend on the figure's height), then
    the figure's height is chosen so that the map keeps the area's shape.
    """
    title_text = fig.text(0, 1, textwrap.fill(title, TITLE_WRAP), ha="left", va="top",
                          fontsize=12, fontweight="bold", color=_TEXT)
    source_text = fig.text(0, 0, textwrap.fill(source, SOURCE_WRAP), ha="left",
                           va="bottom", fontsize=7.5, color=_MUTED, multialignment="left")
    note_text = None
    if quality_note:
        note_text = fig.text(0, 0, textwrap.fill(quality_note, _NOTE_WRAP), ha="left",
                             va="bottom", fontsize=8, color=_TEXT, multialignment="left")
    legend = fig.legend(
        handles=handles, labels=labels, loc="upper left",
        title=textwrap.fill(legend_title, _LEGEND_TITLE_WRAP) if legend_title else None,
        alignment="left", title_fontproperties={"weight": "bold", "size": 9},
        handlelength=1.6, handleheight=1.1, labelspacing=0.45, borderaxespad=0.0,
        borderpad=0.0)

    title_h = _height_in(title_text, fig)
    source_h = _height_in(source_text, fig)
    note_h = _height_in(note_text, fig) + _GAP / 2 if note_text is not None else 0.0
    legend_w, legend_h = _width_in(legend, fig), _height_in(legend, fig)

    minx, miny, maxx, maxy = bounds
    span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    map_w = MAP_WIDTH - 2 * _PAD - legend_w - 2 * _GAP
    map_h = min(max(map_w * span_y / span_x, _MAP_MIN_HEIGHT, legend_h + _FURNITURE_HEIGHT),
                _MAP_MAX_HEIGHT)
    height = _PAD + title_h + 1.5 * _GAP + map_h + _GAP + note_h + source_h + _PAD
    fig.set_size_inches(MAP_WIDTH, height)

    def fx(inches: float) -> float:
        return inches / MAP_WIDTH

    def fy(inches: float) -> float:
        return inches / height

    title_text.set_position((fx(_PAD), fy(height - _PAD)))
    source_text.set_position((fx(_PAD), fy(_PAD)))
    if note_text is not None:
        note_text.set_position((fx(_PAD), fy(_PAD + source_h + _GAP / 2)))
    map_bottom = _PAD + source_h + note_h + _GAP
    ax.set_position((fx(_PAD), fy(map_bottom), fx(map_w), fy(map_h)))
    legend.set_bbox_to_anchor((fx(_PAD + map_w + 2 * _GAP), fy(map_bottom + map_h)),
                              transform=fig.transFigure)

    # the area's extent with a margin, widened in one direction to fill the map's box
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_x, half_y = span_x * (0.5 + _MARGIN), span_y * (0.5 + _MARGIN)
    box = map_h / map_w
    if half_y / half_x < box:
        half_y = half_x * box
    else:
        half_x = half_y / box
    ax.set_xlim(cx - half_x, cx + half_x)
    ax.set_ylim(cy - half_y, cy + half_y)
    ax.set_aspect("equal", adjustable="datalim")
    column = _PAD + map_w + 2 * _GAP
    _scale_bar_and_north(fig, left=column, bottom=map_bottom,
                         metres_per_inch=2 * half_x / map_w,
                         longest=MAP_WIDTH - _PAD - column - 0.2)


# --- class breaks ---------------------------------------------------------------------------

def _classify(values: np.ndarray, scheme: str, k: int, notes: list[str]) -> list[float]:
    """Class upper bounds of ``values`` by ``scheme`` (at most ``k`` classes, fewer when
    there are fewer distinct values); what was done is added to ``notes``."""
    distinct = len(np.unique(values))
    k_used = min(k, distinct)
    if k_used < k:
        notes.append(f"only {distinct} distinct value{'s' if distinct != 1 else ''}: "
                     f"{k_used} class{'es' if k_used != 1 else ''} instead of {k}")
    if k_used == 1:
        return [float(values.max())]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="Numba not installed")
        if scheme == "quantiles":
            bins = mapclassify.Quantiles(values, k=k_used).bins
        else:
            sample = values
            if len(values) > _JENKS_MAX_VALUES:
                ordered = np.sort(values)
                sample = ordered[np.linspace(0, len(ordered) - 1,
                                             _JENKS_MAX_VALUES).round().astype(int)]
                notes.append(f"jenks breaks found on {format_number(_JENKS_MAX_VALUES)} "
                             f"evenly spaced values of {format_number(len(values))} "
                             "(Fisher–Jenks is slow on more)")
            bins = mapclassify.FisherJenks(sample, k=k_used).bins
    notes.extend(f"mapclassify: {w.message}" for w in caught)
    return [float(b) for b in bins]


def _diverging(values: np.ndarray, scheme: str, k: int,
               notes: list[str]) -> tuple[float, list[float]]:
    """Breaks symmetric around 0: classes of the absolute values mirrored onto both sides.

    With an odd ``k`` the middle class straddles 0 (from minus to plus the first break of
    the absolute values); with an even ``k`` 0 is a break. Returns (lower edge, bins).
    """
    magnitudes = np.abs(values)
    if float(magnitudes.max()) == 0.0:
        notes.append("every value is 0: one class")
        return 0.0, [0.0]
    side = k // 2 + 1 if k % 2 else k // 2
    upper = _classify(magnitudes, scheme, side, notes)
    if k % 2:
        edges = [-b for b in reversed(upper)] + upper
        if upper[0] == 0.0:  # the middle class is exactly 0: keep one 0 edge
            edges = [-b for b in reversed(upper[1:])] + upper
    else:
        edges = [-b for b in reversed(upper)] + [0.0] + upper
    edges = [e + 0.0 for e in edges]  # no negative zero
    return edges[0], edges[1:]


def _decimals(edges: list[float]) -> int:
    """Decimals that show each break distinctly: none for whole numbers or wide classes,
    one for classes 0.1 to 10 wide (rates), more for narrower ones."""
    if all(float(e).is_integer() for e in edges):
        return 0
    gaps = [b - a for a, b in itertools.pairwise(edges) if b > a]
    narrowest = min(gaps) if gaps else abs(edges[0])
    dp = 0 if narrowest >= 10 else 1 if narrowest >= 0.1 else 2 if narrowest >= 0.01 else 3
    while dp < 6 and len({format_number(e, dp) for e in edges}) < len(set(edges)):
        dp += 1
    return dp


def _range_labels(lower: float, bins: list[float]) -> list[str]:
    """'0.0–12.5', '12.5–40.1' …; '-12.5 to -3.0' … when any break is negative (a dash
    between minus signs would read as a range of negatives)."""
    edges = [lower, *bins]
    dp = _decimals(edges)
    joint = " to " if min(edges) < 0 else "–"
    labels = []
    for low, high in itertools.pairwise(edges):
        a, b = format_number(low, dp), format_number(high, dp)
        labels.append(a if a == b else f"{a}{joint}{b}")
    return labels


def _class_colours(cmap: str, n: int) -> list[str]:
    colours = colormaps[cmap]
    if n == 1:
        return [to_hex(colours(0.5))]
    lo, hi = (0.1, 0.9) if cmap == DIVERGING_CMAP else (0.0, 0.92)
    return [to_hex(colours(x)) for x in np.linspace(lo, hi, n)]


def _plural(n: int, word: str) -> str:
    return f"{format_number(n)} {word}{'' if n == 1 else 's'}"


# --- the maps -------------------------------------------------------------------------------

def choropleth(areas: gpd.GeoDataFrame, value: str, *, title: str, source: str,
               out_stem: Path, legend_title: str,
               scheme: Literal["quantiles", "jenks"] = "quantiles", k: int = 5,
               outline: gpd.GeoDataFrame | None = None,
               outline_label: str = "District boundary",
               quality_note: str | None = None, label_top: int = 0,
               missing_label: str = "No population", diverging: bool = False) -> MapResult:
    """Areas shaded by ``value`` in ``k`` classes; writes ``out_stem.png`` and ``.svg``.

    ``areas`` has polygon geometry in a declared CRS (EPSG:4326 as read from ONS boundaries),
    ``area_code``, ``area_name`` and the ``value`` column (a count, rate or change computed
    elsewhere). Breaks are ``mapclassify`` Quantiles (``scheme="quantiles"``) or FisherJenks
    (``scheme="jenks"``, the deterministic Jenks natural breaks). ``diverging=True`` is for
    change centred on 0: breaks symmetric around 0 and the PuOr palette. Areas whose value is
    missing (NaN) are hatched grey and named ``missing_label`` in the legend. ``outline``
    (the district or CSP boundary) is drawn on top in a thin dark line. ``label_top`` names
    the N areas with the highest values on the map. ``quality_note`` is printed under the map,
    above the source line.
    """
    what = f"choropleth {title!r}: areas"
    drawn = _check_polygons(areas, what, "Pass area boundaries (wards, LSOAs), not points.")
    require_columns(areas, (value,), what, f"Name the column to map as value= (got {value!r}).")
    if label_top:
        require_columns(areas, ("area_name",), what, "label_top needs area names to write.")
    if scheme not in _SCHEMES:
        raise InputError(f"choropleth {title!r}: scheme {scheme!r} is not one of "
                         f"{', '.join(_SCHEMES)}. Fix: pass scheme='quantiles' or 'jenks'.")
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= _MAX_CLASSES:
        raise InputError(f"choropleth {title!r}: k={k!r} classes; pass a whole number from 2 "
                         f"to {_MAX_CLASSES} (more classes cannot be told apart by colour).")
    if isinstance(label_top, bool) or not isinstance(label_top, int) or label_top < 0:
        raise InputError(f"choropleth {title!r}: label_top={label_top!r}; pass a whole "
                         "number ≥ 0 (0 labels nothing).")
    border = (_check_polygons(outline, f"choropleth {title!r}: outline",
                              "Pass the district or CSP boundary polygons.")
              if outline is not None else None)
    values = _numeric(areas, value, what)
    present = ~np.isnan(values)
    if not present.any():
        raise InputError(f"{what}: every value in {value!r} is missing, so there is nothing "
                         "to shade. Check that the measure was computed for these areas.")

    notes: list[str] = []
    if diverging:
        lower, bins = _diverging(values[present], scheme, k, notes)
        cmap = DIVERGING_CMAP
        notes.insert(0, f"class breaks: {scheme}, {len(bins)} classes, symmetric around 0")
        notes.append("palette: ColorBrewer PuOr (purple = fall, orange = rise), "
                     "colour-blind safe")
    else:
        bins = _classify(values[present], scheme, k, notes)
        lower = float(values[present].min())
        cmap = SEQUENTIAL_CMAP
        notes.insert(0, f"class breaks: {scheme}, {len(bins)} classes")
        notes.append("palette: viridis reversed (light = low, dark = high), "
                     "colour-blind safe")
    colours = _class_colours(cmap, len(bins))
    # class i holds bins[i-1] < v <= bins[i] (the lowest class from its lower edge), as
    # mapclassify assigns them
    classes = np.minimum(np.searchsorted(np.asarray(bins), values[present], side="left"),
                         len(bins) - 1)

    handles: list[Any] = [Patch(facecolor=c, edgecolor="none") for c in colours]
    labels = _range_labels(lower, bins)
    with house_style():
        fig, ax = _new_map()
        shaded = drawn.geometry[present]
        # white edges between areas; grey on a diverging map, whose middle class is
        # near-white and would otherwise merge with the page
        _polygons(ax, shaded, facecolors=[colours[c] for c in classes],
                  edgecolors=_DIVERGING_EDGE if diverging else "white",
                  linewidths=0.4 if diverging else 0.5, zorder=2)
        n_missing = int((~present).sum())
        if n_missing:
            _polygons(ax, drawn.geometry[~present], facecolors=_MISSING_FILL,
                      edgecolors="white", hatchcolor=_MISSING_HATCH, hatch="////",
                      linewidths=0.5, zorder=2)
            handles.append(Patch(facecolor=_MISSING_FILL, edgecolor="none", hatch="////",
                                 hatchcolor=_MISSING_HATCH))
            labels.append(f"{missing_label} ({_plural(n_missing, 'area')})")
            names = [str(x) for x in (areas.loc[~present, "area_name"]
                                      if "area_name" in areas.columns
                                      else areas.index[~present])]
            notes.append(f"no value for {_plural(n_missing, 'area')}, hatched as "
                         f"{missing_label!r}: {', '.join(names[:10])}"
                         + (" …" if len(names) > 10 else ""))
        if border is not None:
            handles += _outline(ax, border)
            labels.append(outline_label)
        if label_top:
            order = pd.DataFrame({"name": areas["area_name"].astype(str).to_numpy(),
                                  "value": values}).dropna()
            top = order.sort_values(["value", "name"], ascending=[False, True],
                                    kind="stable").head(label_top)
            points = drawn.geometry.representative_point()
            for i in top.index:
                point = points.iloc[i]
                _halo_text(ax, point.x, point.y, textwrap.fill(top.loc[i, "name"], 16),
                           ha="center", va="center", fontsize=7, color="black", zorder=6,
                           multialignment="center")
            notes.append(f"labelled the {_plural(len(top), 'area')} with the highest "
                         f"{value}: {', '.join(top['name'])}")
        _compose(fig, ax, bounds=_bounds(border if border is not None else drawn),
                 title=title, source=source,
                 quality_note=quality_note, handles=handles, labels=labels,
                 legend_title=legend_title)
        return MapResult(paths=save_figure(fig, out_stem), breaks=bins, notes=notes)


def _lonlat(points: PointsInput, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude arrays from a DataFrame, an (n, 2) array or a pair of arrays."""
    if isinstance(points, pd.DataFrame):
        for lon_col, lat_col in (("longitude", "latitude"), ("Longitude", "Latitude"),
                                 ("lon", "lat")):
            if lon_col in points.columns and lat_col in points.columns:
                lon, lat = points[lon_col], points[lat_col]
                break
        else:
            raise InputError(f"{what}: the table lacks longitude/latitude columns; it has "
                             f"{', '.join(map(str, points.columns)) or 'none'}. Fix: name "
                             "them longitude and latitude (or lon and lat).")
    elif isinstance(points, np.ndarray):
        if points.ndim != 2 or points.shape[1] != 2:
            raise InputError(f"{what}: an array of points must have shape (n, 2) as "
                             f"(longitude, latitude); got {points.shape}.")
        lon, lat = points[:, 0], points[:, 1]
    elif isinstance(points, tuple | list) and len(points) == 2:
        lon, lat = points
    else:
        raise InputError(f"{what}: pass a DataFrame with longitude and latitude, an (n, 2) "
                         f"array or a (longitudes, latitudes) pair; got "
                         f"{type(points).__name__}.")
    try:
        x = np.asarray(pd.to_numeric(pd.Series(lon), errors="raise"), dtype="float64")
        y = np.asarray(pd.to_numeric(pd.Series(lat), errors="raise"), dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: coordinates must be numbers ({exc}).") from None
    if len(x) != len(y):
        raise InputError(f"{what}: {len(x)} longitudes but {len(y)} latitudes.")
    return x, y


def points_map(points_lonlat: PointsInput, *, title: str, source: str, out_stem: Path,
               areas: gpd.GeoDataFrame | None = None, outline: gpd.GeoDataFrame | None = None,
               outline_label: str = "District boundary", quality_note: str | None = None,
               label: str = "Incident", max_points: int = 200_000) -> MapResult:
    """Each point (longitude, latitude in WGS84) as a small semi-transparent dot.

    ``areas`` (wards, LSOAs) are drawn as a light background with their outlines and
    ``outline`` on top. Points without coordinates are not drawn (said in ``notes``; the
    share of records with no location belongs in ``quality_note``). More than
    ``max_points`` points are refused: at that density a dot map shows only ink.
    """
    what = f"points_map {title!r}"
    lon, lat = _lonlat(points_lonlat, what)
    if len(lon) > max_points:
        raise InputError(f"{what}: {format_number(len(lon))} points is more than max_points="
                         f"{format_number(max_points)}; a dot map that dense shows only ink. "
                         "Fix: map a shorter period or one category, draw a hotspot map, or "
                         "raise max_points.")
    finite = np.isfinite(lon) & np.isfinite(lat)
    notes: list[str] = []
    if not finite.all():
        notes.append(f"{_plural(int((~finite).sum()), 'point')} without coordinates not "
                     "drawn")
    lon, lat = lon[finite], lat[finite]
    if not len(lon):
        raise InputError(f"{what}: no point has coordinates, so there is nothing to map. "
                         "Check the selection and that the data has locations.")
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        raise InputError(f"{what}: coordinates outside longitude −180…180 / latitude −90…90 "
                         "(projected metres, or longitude and latitude swapped?). Fix: pass "
                         "WGS84 longitude and latitude.")
    if 49 <= float(np.median(lon)) <= 61 and -9 <= float(np.median(lat)) <= 2:
        raise InputError(f"{what}: longitudes look like latitudes (median {np.median(lon):.2f})"
                         " and latitudes like longitudes: are they swapped? Fix: pass "
                         "(longitude, latitude).")
    background = (_check_polygons(areas, f"{what}: areas", "Pass area boundaries.")
                  if areas is not None else None)
    border = (_check_polygons(outline, f"{what}: outline",
                              "Pass the district or CSP boundary polygons.")
              if outline is not None else None)
    x, y = Transformer.from_crs("EPSG:4326", BNG, always_xy=True).transform(lon, lat)
    n = len(x)
    size, alpha = (7.0, 0.6) if n <= 1_000 else (3.0, 0.4) if n <= 10_000 else (1.0, 0.25)
    notes.append(f"{_plural(n, 'point')} drawn as dots (size {size:g}, opacity {alpha:g})")

    handles: list[Any] = [Line2D([], [], linestyle="none", marker="o", markersize=4,
                                 markerfacecolor=_DOT, markeredgecolor="none", alpha=0.8)]
    labels = [f"{label} ({format_number(n)})"]
    with house_style():
        fig, ax = _new_map()
        if background is not None:
            _polygons(ax, background.geometry, facecolors=_BACKGROUND_FILL,
                      edgecolors=_BACKGROUND_EDGE, linewidths=0.4, zorder=1)
        ax.scatter(x, y, s=size, c=_DOT, alpha=alpha, linewidths=0, zorder=3,
                   rasterized=n > 2_000)  # keep the SVG small: thousands of dots as an image
        if border is not None:
            handles += _outline(ax, border)
            labels.append(outline_label)
        extent = border if border is not None else background
        bounds = (_bounds(extent) if extent is not None else
                  (float(x.min()), float(y.min()), float(x.max()), float(y.max())))
        _compose(fig, ax, bounds=bounds, title=title, source=source,
                 quality_note=quality_note, handles=handles, labels=labels,
                 legend_title=None)
        return MapResult(paths=save_figure(fig, out_stem), notes=notes)


def hotspot_map(cells: gpd.GeoDataFrame, *, title: str, source: str, out_stem: Path,
                outline: gpd.GeoDataFrame | None = None,
                outline_label: str = "District boundary",
                quality_note: str | None = None, unit: str = "cell") -> MapResult:
    """Grid cells coloured by their hotspot class, with the number of cells in each.

    ``cells`` are polygons with a ``class`` column, either single-period
    (:data:`HOTSPOT_CLASSES`: hot, cold, not significant) or two-period
    (:data:`TREND_HOTSPOT_CLASSES`: new, persistent, intensifying, diminishing, former,
    not a hotspot). Hot classes are warm, cold ones cool (Okabe–Ito), the rest transparent
    with a faint edge so the study area shows.
    """
    what = f"hotspot_map {title!r}: cells"
    drawn = _check_polygons(cells, what, "Pass the grid cells' polygons.")
    require_columns(cells, ("class",), what, "Classify the cells first (a hotspot statistic).")
    found = set(cells["class"].astype(str))
    for vocabulary in (HOTSPOT_CLASSES, TREND_HOTSPOT_CLASSES):
        if found <= set(vocabulary):
            break
    else:
        raise InputError(
            f"{what}: class values {', '.join(sorted(map(repr, found)))} are not all from "
            f"one set: either {', '.join(HOTSPOT_CLASSES)} or "
            f"{', '.join(TREND_HOTSPOT_CLASSES)}.")
    border = (_check_polygons(outline, f"hotspot_map {title!r}: outline",
                              "Pass the district or CSP boundary polygons.")
              if outline is not None else None)
    classes = cells["class"].astype(str).to_numpy()
    handles: list[Any] = []
    labels: list[str] = []
    notes = [f"{_plural(len(cells), unit)}: " + ", ".join(
        f"{int((classes == c).sum())} {c}" for c in vocabulary)]
    with house_style():
        fig, ax = _new_map()
        for name, (text, colour) in vocabulary.items():
            mask = classes == name
            if mask.any():
                if colour is None:
                    _polygons(ax, drawn.geometry[mask], facecolors="none",
                              edgecolors=_NOT_SIGNIFICANT_EDGE, linewidths=0.3, zorder=2)
                else:
                    _polygons(ax, drawn.geometry[mask], facecolors=colour,
                              edgecolors=colour, linewidths=0.3, zorder=3)
            handles.append(Patch(facecolor=colour or "none",
                                 edgecolor=colour or _NOT_SIGNIFICANT_EDGE, linewidth=0.6))
            labels.append(f"{text} ({_plural(int(mask.sum()), unit)})")
        if border is not None:
            handles += _outline(ax, border)
            labels.append(outline_label)
        _compose(fig, ax, bounds=_bounds(border if border is not None else drawn),
                 title=title, source=source,
                 quality_note=quality_note, handles=handles, labels=labels,
                 legend_title="Hotspot class")
        return MapResult(paths=save_figure(fig, out_stem), notes=notes)
