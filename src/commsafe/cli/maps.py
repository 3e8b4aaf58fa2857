"""Maps and hotspots."""


from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from commsafe.cli._common import (
    AreaOpt,
    AsbOnlyOpt,
    CategoryOpt,
    IncludeAsbOpt,
    LevelOpt,
    Scheme,
    StoreOpt,
    _area_level,
    _ensure_dir,
    _outline,
    _source_line,
    _store_path,
    _within,
    app,
    err,
    map_app,
    out,
)
from commsafe.errors import CommsafeError
from commsafe.outputs.tables import frame_to_csv


@map_app.command("rates")
def map_rates(
    by: Annotated[str, typer.Option(
        help="Area level: ward or lsoa (or lsoa11 for 2011 LSOAs, district, csp).")],
    period: Annotated[str, typer.Option(help="One period: 2024/25, 2024, 2024 Q1 …")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    value: Annotated[str, typer.Option(help="rate_per_1000 (default) or count.")] =
    "rate_per_1000",
    scheme: Annotated[Scheme, typer.Option(help="Class breaks.")] = Scheme.quantiles,
    classes: Annotated[int, typer.Option("--classes", help="Number of classes.")] = 5,
    label_top: Annotated[int, typer.Option(help="Label the N highest areas.")] = 3,
    name: Annotated[str | None, typer.Option(help="File name stem.")] = None,
    store: StoreOpt = None,
) -> None:
    """A choropleth of counts or rates per 1,000 by ward or LSOA, with class breaks
    (announced), the district outline, the share of events without location, and a source
    line. Writes the table behind it as CSV beside the map."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import data_quality
    from commsafe.measures.rates import area_type_of, rates_table
    from commsafe.outputs.maps import choropleth
    from commsafe.outputs.tables import to_csv
    from commsafe.spatial.hotspots import store_polygons
    from commsafe.store import open_store

    if value not in ("rate_per_1000", "count"):
        raise CommsafeError(f"--value {value!r}: choose rate_per_1000 or count.")
    chosen = _periods.parse_period_range(period)
    if len(chosen) != 1:
        raise CommsafeError(f"--period {period!r}: give one period, e.g. 2024.")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        by, level_notes = _area_level(st, by)
        frame = rates_table(st, by, period=chosen[0], categories=category, within=within,
                            include_asb=include_asb, asb_only=asb_only)
        if frame["count"].sum() == 0:
            unplaced = [n for n in frame.attrs.get("notes", []) if "could not be placed" in n]
            raise CommsafeError(f"no events placed in a {by} in {chosen[0].label} for this "
                                "selection: nothing to map"
                                + "".join(f" ({n})" for n in unplaced)
                                + ". Check --period, --category and --area.")
        shapes = store_polygons(st.con, area_type_of(by), list(frame["area_code"]))
        outline = _outline(st, within)
        quality = data_quality(st, period=chosen[0], categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, f"{within.level} = '{within.code}'" if within else None)
    geo = shapes[["area_code", "geometry"]].merge(frame, on="area_code", how="inner")
    missing = sorted(set(frame["area_code"]) - set(shapes["area_code"]))
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    place = f", {within.name}" if within else ""
    label = "per 1,000 residents" if value == "rate_per_1000" else "count"
    stem = out_dir / (name or f"map_{by}_{value}")
    _ensure_dir(out_dir)
    result = choropleth(geo, value, title=f"{what} {label}{place}, {chosen[0].label}",
                        source=f"{source}; ONS boundaries and population", out_stem=stem,
                        legend_title=f"{what} {label}", scheme=scheme.value, k=classes,
                        outline=outline, quality_note=quality.text, label_top=label_top)
    stem.with_suffix(".csv").write_text(to_csv(frame), encoding="utf-8")
    for note in [*level_notes, *frame.attrs.get("notes", []), *result.notes]:
        err.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
    if missing:
        err.print(f"[dim]note:[/dim] {len(missing)} area(s) have no boundary loaded and are "
                  f"not drawn: {', '.join(missing[:5])}", soft_wrap=True)
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in [*result.paths, stem.with_suffix('.csv')]))


@map_app.command("points")
def map_points(
    period: Annotated[str, typer.Option(help="The period: 2024, 2024 Q1, 2024 H1 …")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    name: Annotated[str, typer.Option(help="File name stem.")] = "map_points",
    store: StoreOpt = None,
) -> None:
    """A points map of events (their police.uk snap points) over the area's wards, with the
    district outline and the share of events without location."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import data_quality
    from commsafe.outputs.maps import points_map
    from commsafe.spatial.hotspots import store_points, store_polygons
    from commsafe.store import open_store

    chosen = _periods.span(period)
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        points, notes = store_points(st, _hotspot_selection(st, chosen, within, category,
                                                            include_asb, asb_only),
                                     include_asb=include_asb, asb_only=asb_only)
        if len(points) == 0:
            raise CommsafeError(f"no located events in {chosen.label} for this selection: "
                                "nothing to map. Check --period, --category and --area.")
        outline = _outline(st, within)
        wards = None
        if within is not None:
            from commsafe.measures.rates import areas_within

            codes = list(areas_within(st, "ward", within)["area_code"])
            try:
                wards = store_polygons(st.con, "ward", codes)
            except CommsafeError:
                wards = None
        quality = data_quality(st, period=chosen, categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, f"{within.level} = '{within.code}'" if within else None)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    place = f", {within.name}" if within else ""
    _ensure_dir(out_dir)
    result = points_map(points, title=f"{what}{place}, {chosen.label}: {len(points):,} events",
                        source=source, out_stem=out_dir / name, areas=wards, outline=outline,
                        quality_note=quality.text)
    for n in [*notes, *result.notes]:
        err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in result.paths))


# --- hotspots ------------------------------------------------------------------------------

class HotspotMethod(StrEnum):
    grid = "grid"
    lsoa = "lsoa"
    kde = "kde"


def _hotspot_selection(st: Any, period: Any, within: Any, category: list[str] | None,
                       include_asb: bool, asb_only: bool) -> str:
    from commsafe.measures.rates import category_filter

    cond = [category_filter(category, include_asb=include_asb, asb_only=asb_only),
            f"month_start BETWEEN DATE '{period.start}' AND DATE '{period.end}'"]
    if within is not None:
        cond.append(f"{within.level} = '{within.code}'")
    return " AND ".join(cond)


def _period_points(st: Any, period: Any, within: Any, category: list[str] | None,
                   include_asb: bool, asb_only: bool) -> tuple[Any, list[str]]:
    """Longitude/latitude of the period's located events, and notes."""
    from commsafe.spatial.hotspots import store_points

    return store_points(st, _hotspot_selection(st, period, within, category, include_asb,
                                               asb_only),
                        include_asb=include_asb, asb_only=asb_only)


def _run_hotspots(st: Any, method: HotspotMethod, period: Any, within: Any, study_area: Any,
                  category: list[str] | None, include_asb: bool, asb_only: bool,
                  cell_size: float | None, fdr: bool, permutations: int,
                  grid_points: Any = None) -> Any:
    from commsafe.measures.rates import area_type_of, rates_table
    from commsafe.spatial.hotspots import gistar_grid, gistar_polygons, store_polygons

    if method is HotspotMethod.lsoa:
        by, notes = _area_level(st, "lsoa")
        frame = rates_table(st, by, period=period, categories=category, within=within,
                            include_asb=include_asb, asb_only=asb_only)
        if len(frame) == 0:
            raise CommsafeError(f"no {'2011 ' if by == 'lsoa11' else ''}LSOAs found for this "
                                "selection: check --area, or load the LSOA lookups with "
                                "'commsafe reference load'.")
        shapes = store_polygons(st.con, area_type_of(by), list(frame["area_code"]))
        counts = dict(zip(frame["area_code"], frame["count"].astype(int), strict=True))
        result = gistar_polygons(shapes, counts, fdr=fdr, permutations=permutations)
        result.notes[:0] = [*notes, *shapes.attrs.get("notes", [])]
        return result
    points, notes = _period_points(st, period, within, category, include_asb, asb_only)
    result = gistar_grid(points, crs="EPSG:4326", cell_size=cell_size, fdr=fdr,
                         permutations=permutations, study_area=study_area,
                         grid_points=grid_points)
    result.notes[:0] = notes
    return result


def _kde_cells(shown: Any, column: str, cell_size: float, outline: Any) -> Any:
    """KDE cells as squares (EPSG:4326) for a choropleth: those whose centre is inside the
    area, ``column`` shown to 0.1 per km²."""
    import geopandas as gpd
    import shapely

    shown = shown.copy()
    if outline is not None:
        shown = shown[shapely.contains_xy(outline.union_all(), shown["lon"], shown["lat"])]
    shown[column] = shown[column].round(1)
    half = cell_size / 2
    return gpd.GeoDataFrame(
        shown.assign(area_code=[f"c{i}" for i in range(len(shown))], area_name=""),
        geometry=shapely.box(shown["x"] - half, shown["y"] - half, shown["x"] + half,
                             shown["y"] + half), crs="EPSG:27700").to_crs("EPSG:4326")


@app.command()
def hotspots(
    period: Annotated[str, typer.Option(
        help="The period: 2024, 2024 Q1, 2024/25, 2024 H1, 2024 Q1:2024 Q2 …")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for GeoJSON, CSV and map.")],
    method: Annotated[HotspotMethod, typer.Option(
        help="grid (Gi* on square cells, default), lsoa (Gi* on LSOA polygons) or kde.")] =
    HotspotMethod.grid,
    compare_period: Annotated[str | None, typer.Option(
        "--compare-period", help="A later period: classify hotspots as new, persistent, "
                                 "intensifying, diminishing or former.")] = None,
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    cell_size: Annotated[float | None, typer.Option(
        "--cell-size", help="Grid cell size in metres (default: chosen and announced).")] =
    None,
    bandwidth: Annotated[float | None, typer.Option(
        help="KDE bandwidth in metres (default: chosen and announced).")] = None,
    permutations: Annotated[int, typer.Option(
        help="Permutations for Gi* p-values (default 0: the normal approximation).")] = 0,
    no_fdr: Annotated[bool, typer.Option(
        "--no-fdr", help="Do not correct p-values for the false discovery rate.")] = False,
    name: Annotated[str | None, typer.Option(help="File name stem.")] = None,
    store: StoreOpt = None,
) -> None:
    """Hotspots: Gi* on a grid or on LSOAs (with FDR), or kernel density.

    Getis-Ord Gi* on a British National Grid grid or on LSOA polygons, with
    false-discovery-rate correction (hot / cold / not significant per cell or area), or a
    kernel density surface; optionally classified between two periods. Writes GeoJSON, CSV
    and a map (PNG, SVG); every default chosen is announced."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import data_quality
    from commsafe.outputs.maps import choropleth, hotspot_map
    from commsafe.spatial.hotspots import classify_periods
    from commsafe.spatial.kde import kde_change, kde_surface
    from commsafe.store import open_store

    first = [_periods.span(period)]
    second = [_periods.span(compare_period)] if compare_period else None
    _ensure_dir(out_dir)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    stem = out_dir / (name or f"hotspots_{method.value}")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        outline = _outline(st, within)
        study_area = None  # in WGS84, like the points given to gistar_grid
        if outline is not None and method is not HotspotMethod.lsoa:
            study_area = outline.union_all()
        place = f", {within.name}" if within else ""
        quality = data_quality(st, period=first[0], categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, f"{within.level} = '{within.code}'" if within else None)
        if method is HotspotMethod.kde:
            points, notes = _period_points(st, first[0], within, category, include_asb,
                                           asb_only)
            later = None
            if second:
                later, later_notes = _period_points(st, second[0], within, category,
                                                    include_asb, asb_only)
                notes += [f"{second[0].label}: {n}" for n in later_notes
                          if not n.startswith("crime only")]
            extent = (tuple(float(v) for v in outline.to_crs("EPSG:27700").total_bounds)
                      if outline is not None else None)
            # two periods: one grid and one kernel for both (extent, cell size and bandwidth
            # from the events of both), so that the surfaces can be subtracted cell by cell
            kde = kde_surface(points, crs="EPSG:4326", cell_size=cell_size,
                              bandwidth=bandwidth, extent=extent, grid_points=later)
            kde2 = None
            if later is not None:
                assert second is not None
                kde2 = kde_surface(later, crs="EPSG:4326", cell_size=kde.cell_size,
                                   bandwidth=kde.bandwidth, extent=extent, grid_points=points)
                notes += [f"{second[0].label}: {n}" for n in kde2.notes
                          if "automatically" not in n]
            frame = kde.to_frame()
            frame_to_csv(frame, stem.with_suffix(".csv"))
            for n in [*notes, *kde.notes]:
                err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
            # the map: drop the FFT's numerical dust (< a millionth of the peak), keep the
            # cells whose centre is inside the area, and show densities to 0.1 per km²
            shown = frame[frame["density"] >= frame["density"].max() * 1e-6].copy()
            result = choropleth(_kde_cells(shown, "density", kde.cell_size, outline),
                                "density", title=f"{what}{place}: kernel density, "
                                f"{first[0].label}", source=source, out_stem=stem,
                                legend_title="Events per km²", outline=outline,
                                quality_note=quality.text)
            written = [*result.paths, stem.with_suffix(".csv")]
            if kde2 is not None:
                assert second is not None
                change = kde_change(kde, kde2)
                cstem = stem.with_name(stem.name + "_change")
                frame_to_csv(change, cstem.with_suffix(".csv"))
                peak = max(float(change["density_first"].max()),
                           float(change["density_second"].max()))
                moved = change[change["change"].abs() >= peak * 1e-6].copy()
                if len(moved):
                    written += choropleth(
                        _kde_cells(moved, "change", kde.cell_size, outline), "change",
                        title=f"{what}{place}: change in kernel density, {first[0].label} → "
                              f"{second[0].label}", source=source, out_stem=cstem,
                        legend_title="Change in events per km²", outline=outline,
                        quality_note=quality.text).paths
                written.append(cstem.with_suffix(".csv"))
                out.print(f"{first[0].label} → {second[0].label}: one grid for both "
                          f"({len(kde.x_edges) - 1:,} × {len(kde.y_edges) - 1:,} cells of "
                          f"{kde.cell_size:,.0f} m, bandwidth {kde.bandwidth:,.0f} m); "
                          f"{kde.n_events:,} events → {kde2.n_events:,}")
            out.print(quality.text)
            out.print("wrote " + ", ".join(str(p) for p in written))
            return
        grid_points = None
        if second and method is HotspotMethod.grid and study_area is None:
            # no study area: both periods on one grid over the events of both, or their
            # grids (each from its own events' extent) could not be compared
            grid_points = np.concatenate([
                _period_points(st, p, within, category, include_asb, asb_only)[0]
                for p in (first[0], second[0])])
        one = _run_hotspots(st, method, first[0], within, study_area, category, include_asb,
                            asb_only, cell_size, not no_fdr, permutations,
                            grid_points=grid_points)
        two = None
        if second:
            size = one.params.get("cell_size") if method is HotspotMethod.grid else None
            two = _run_hotspots(st, method, second[0], within, study_area, category,
                                include_asb, asb_only, size or cell_size, not no_fdr,
                                permutations, grid_points=grid_points)
    for n in one.notes:
        err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
    one.to_geojson(stem.with_suffix(".geojson"))
    one.to_csv(stem.with_suffix(".csv"))
    cells = one.to_geodataframe()
    counts = cells["class"].value_counts().to_dict()
    unit = "cells" if method is HotspotMethod.grid else "LSOAs"
    title = f"{what}{place}: Gi* hotspots ({unit}), {first[0].label}"
    paths = hotspot_map(cells, title=title, source=source, out_stem=stem, outline=outline,
                        quality_note=quality.text, unit=unit.rstrip("s")).paths
    written = [stem.with_suffix(".geojson"), stem.with_suffix(".csv"), *paths]
    out.print(f"{first[0].label}: " + ", ".join(f"{v:,} {k}" for k, v in sorted(counts.items()))
              + f" ({unit}; p adjusted for the false discovery rate: {not no_fdr})")
    if two is not None:
        assert second is not None
        change = classify_periods(one, two)
        for n in change.attrs.get("notes", []):
            err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
        both = one.to_geodataframe()[[one.frame.columns[0], "geometry"]].merge(
            change, on=one.frame.columns[0])
        both["class"] = both["change"]
        cstem = stem.with_name(stem.name + "_change")
        frame_to_csv(both.drop(columns="geometry"), cstem.with_suffix(".csv"))
        written += [cstem.with_suffix(".csv"), *hotspot_map(
            both, title=f"{what}{place}: hotspots {first[0].label} → {second[0].label}",
            source=source, out_stem=cstem, outline=outline, quality_note=quality.text,
            unit=unit.rstrip("s")).paths]
        tally = both["change"].value_counts().to_dict()
        out.print(f"{first[0].label} → {second[0].label}: "
                  + ", ".join(f"{v:,} {k}" for k, v in sorted(tally.items())))
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in written))


