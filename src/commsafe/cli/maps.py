"""Maps and hotspots."""


from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from commsafe.cli._common import (
    AreaOpt,
    AsbOnlyOpt,
    CategoryOpt,
    IncludeAsbOpt,
    LevelOpt,
    Scheme,
    StoreOpt,
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


@map_app.command("rates")
def map_rates(
    by: Annotated[str, typer.Option(help="Area level: ward or lsoa (or district, csp).")],
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
    from commsafe.measures.rates import rates_table
    from commsafe.outputs.maps import choropleth
    from commsafe.outputs.tables import to_csv
    from commsafe.reference.areas import AREA_LEVELS
    from commsafe.spatial.hotspots import store_polygons
    from commsafe.store import open_store

    if value not in ("rate_per_1000", "count"):
        raise CommsafeError(f"--value {value!r}: choose rate_per_1000 or count.")
    chosen = _periods.parse_period_range(period)
    if len(chosen) != 1:
        raise CommsafeError(f"--period {period!r}: give one period, e.g. 2024.")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        frame = rates_table(st, by, period=chosen[0], categories=category, within=within,
                            include_asb=include_asb, asb_only=asb_only)
        if frame["count"].sum() == 0:
            raise CommsafeError(f"no events in {chosen[0].label} for this selection: nothing "
                                "to map. Check --period, --category and --area.")
        shapes = store_polygons(st.con, AREA_LEVELS[by][1], list(frame["area_code"]))
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
    for note in [*frame.attrs.get("notes", []), *result.notes]:
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


def _run_hotspots(st: Any, method: HotspotMethod, period: Any, within: Any, study_area: Any,
                  category: list[str] | None, include_asb: bool, asb_only: bool,
                  cell_size: float | None, fdr: bool, permutations: int) -> Any:
    from commsafe.measures.rates import rates_table
    from commsafe.spatial.hotspots import gistar_grid, gistar_polygons, store_points, store_polygons

    if method is HotspotMethod.lsoa:
        frame = rates_table(st, "lsoa", period=period, categories=category, within=within,
                            include_asb=include_asb, asb_only=asb_only)
        shapes = store_polygons(st.con, "lsoa21", list(frame["area_code"]))
        counts = dict(zip(frame["area_code"], frame["count"].astype(int), strict=True))
        return gistar_polygons(shapes, counts, fdr=fdr, permutations=permutations)
    points, notes = store_points(st, _hotspot_selection(st, period, within, category,
                                                        include_asb, asb_only),
                                 include_asb=include_asb, asb_only=asb_only)
    result = gistar_grid(points, crs="EPSG:4326", cell_size=cell_size, fdr=fdr,
                         permutations=permutations, study_area=study_area)
    result.notes[:0] = notes
    return result


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
    from commsafe.spatial.hotspots import classify_periods, store_points
    from commsafe.spatial.kde import kde_surface
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
            points, notes = store_points(st, _hotspot_selection(st, first[0], within, category,
                                                                include_asb, asb_only),
                                         include_asb=include_asb, asb_only=asb_only)
            from commsafe.spatial.grid import to_bng

            x, y = to_bng(points[:, 0], points[:, 1])
            extent = (tuple(float(v) for v in outline.to_crs("EPSG:27700").total_bounds)
                      if outline is not None else None)
            kde = kde_surface(list(zip(x, y, strict=True)), cell_size=cell_size,
                              bandwidth=bandwidth, extent=extent)
            import geopandas as gpd
            import shapely

            frame = kde.to_frame()
            frame.to_csv(stem.with_suffix(".csv"), index=False)
            # the map: drop the FFT's numerical dust (< a millionth of the peak), keep the
            # cells whose centre is inside the area, and show densities to 0.1 per km²
            shown = frame[frame["density"] >= frame["density"].max() * 1e-6].copy()
            if outline is not None:
                inside = shapely.contains_xy(outline.union_all(), shown["lon"], shown["lat"])
                shown = shown[inside]
            shown["density"] = shown["density"].round(1)
            for n in [*notes, *kde.notes]:
                err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)

            half = kde.cell_size / 2
            cells = gpd.GeoDataFrame(
                shown.assign(area_code=[f"c{i}" for i in range(len(shown))], area_name=""),
                geometry=shapely.box(shown["x"] - half, shown["y"] - half, shown["x"] + half,
                                     shown["y"] + half), crs="EPSG:27700").to_crs("EPSG:4326")
            result = choropleth(cells, "density", title=f"{what}{place}: kernel density, "
                                f"{first[0].label}", source=source, out_stem=stem,
                                legend_title="Events per km²", outline=outline,
                                quality_note=quality.text)
            out.print(quality.text)
            out.print("wrote " + ", ".join(str(p) for p in
                                           [*result.paths, stem.with_suffix(".csv")]))
            return
        one = _run_hotspots(st, method, first[0], within, study_area, category, include_asb,
                            asb_only, cell_size, not no_fdr, permutations)
        two = None
        if second:
            size = one.params.get("cell_size") if method is HotspotMethod.grid else None
            two = _run_hotspots(st, method, second[0], within, study_area, category,
                                include_asb, asb_only, size or cell_size, not no_fdr,
                                permutations)
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
        both.drop(columns="geometry").to_csv(cstem.with_suffix(".csv"), index=False)
        written += [cstem.with_suffix(".csv"), *hotspot_map(
            both, title=f"{what}{place}: hotspots {first[0].label} → {second[0].label}",
            source=source, out_stem=cstem, outline=outline, quality_note=quality.text,
            unit=unit.rstrip("s")).paths]
        tally = both["change"].value_counts().to_dict()
        out.print(f"{first[0].label} → {second[0].label}: "
                  + ", ".join(f"{v:,} {k}" for k, v in sorted(tally.items())))
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in written))


