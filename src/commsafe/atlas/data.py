"""The atlas payload (see :mod:`commsafe.atlas`) from the store, disclosure control applied.

For each level (ward, LSOA) of the partnership area, each indicator (all crime, every
police.uk crime type with events, ASB, and partner data sets placed in areas) and each period
(the period assessed and those before it with data, up to five): the count, the rate per
1,000 residents, the % change on the previous period with its exact test, and the rank.
Counts are read once per level (area × category × month) and summed here.

Disclosure: an indicator in a protected category (``DisclosureRules``) has its small area
counts suppressed as in the published tables (:func:`commsafe.report.publish.disclose`:
primary "<5", secondary "[c]" so no hidden area can be worked out from the area's total) and
every rate, change and rank computed from them removed; its monthly series by area are left
out unless no month is a small count. Suppressed values are not in the payload at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from commsafe import __version__, periods
from commsafe.disclosure import DisclosureRules
from commsafe.errors import InputError
from commsafe.measures.areas import area_names
from commsafe.measures.counts import events_view_sql
from commsafe.measures.indicators import AreaMonthly
from commsafe.measures.intervals import rounded_rate
from commsafe.measures.rounding import whole_pct_change
from commsafe.measures.significance import change_test
from commsafe.periods import Period
from commsafe.reference.areas import AREA_LEVELS, Area
from commsafe.report.publish import slug
from commsafe.store import Store
from commsafe.taxonomy import ASB, CRIME_TYPES

__all__ = ["LEVELS", "PAYLOAD_VERSION", "atlas_payload", "indicator_id", "spec_payload",
           "svg_path"]

PAYLOAD_VERSION = 1
LEVELS = {"ward": "Wards", "lsoa": "LSOAs", "lsoa11": "LSOAs (2011)"}
ALL_CRIME = "All crime"
MAX_PERIODS = 5
#: simplification tolerance in metres, by level (invisible at the atlas's scale)
TOLERANCE = {"ward": 8.0, "lsoa": 4.0, "lsoa11": 4.0}
MEASURES = [{"id": "count", "label": "Count", "unit": ""},
            {"id": "rate", "label": "Rate per 1,000 residents", "unit": "per 1,000"},
            {"id": "change", "label": "% change on the previous period", "unit": "%"}]


def indicator_id(categories: Sequence[str], name: str = "") -> str:
    """The atlas's id of the indicator counting ``categories`` (one crime type: its slug;
    several: ``group-`` and the slug of their ``name``, e.g. a priority's)."""
    if list(categories) == [ASB]:
        return "asb"
    return slug(categories[0]) if len(categories) == 1 else f"group-{slug(name)}"


def svg_path(geom: Any) -> str:
    """An SVG path for a (multi)polygon in British National Grid metres: x east, y = −north
    (SVG's y runs down), whole metres, every ring closed."""
    parts: list[str] = []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) < 3:
                continue
            pts = [f"{round(x)} {round(-y)}" for x, y in xy]
            parts.append("M" + "L".join(pts) + "Z")
    return "".join(parts)


@dataclass
class _Level:
    level: str
    codes: list[str]
    names: list[str]
    districts: list[str]
    paths: list[str]
    view_box: list[int]
    population: dict[str, float | None]


def _level(store: Store, area: Area, level: str, year: int,
           notes: list[str]) -> _Level | None:
    """The areas of ``level`` inside ``area``, with shapes, districts and population (its
    notes are added to ``notes`` only when the level can be drawn)."""
    mine: list[str] = []
    found = _level_areas(store, area, level, year, mine)
    if found is not None:
        notes.extend(mine)
    return found


def _level_areas(store: Store, area: Area, level: str, year: int,
                 notes: list[str]) -> _Level | None:
    from commsafe.measures.rates import areas_within, store_population
    from commsafe.reference.areas import districts_within

    if level == "lsoa11":  # events placed only by a 2011 LSOA code (older lookups)
        rows = store.con.execute(
            "SELECT lsoa_code, any_value(district_code) FROM events WHERE lsoa_vintage = 2011 "
            "AND list_contains(?, district_code) GROUP BY 1",
            [districts_within(store.con, area)]).fetchall()
        district = {str(c): str(d) for c, d in rows}
        pops = store.con.execute(
            "SELECT area_code, arg_min(population, abs(year - ?)) FROM population "
            "WHERE area_type = 'lsoa11' AND sex = 'persons' AND age_band = 'all' GROUP BY 1",
            [year]).fetchall()
        population: dict[str, float | None] = {str(c): float(v) for c, v in pops}
        if population:
            notes.append(f"{LEVELS[level]}: population of the nearest year loaded to {year}")
    else:
        district = dict(store.con.sql(
            "SELECT from_code, arg_max(to_code, coalesce(vintage, 0)) FROM area_links "
            "WHERE from_type = $t AND to_type = 'district' GROUP BY 1",
            params={"t": AREA_LEVELS[level][1]}).fetchall())
        pop = store_population(store, level, year)
        if pop.note:
            notes.append(f"{LEVELS[level]}: {pop.note}")
        codes_in = [str(c) for c in areas_within(store, level, area)["area_code"]]
        population = {c: pop.get(c) for c in codes_in}
    codes = sorted(population if level != "lsoa11" else district)
    if not codes:
        notes.append(f"no {LEVELS[level].lower()} found inside {area.name}")
        return None
    return _shapes(store, level, codes, district, population, notes)


def _shapes(store: Store, level: str, codes: list[str], district: dict[str, str],
            population: dict[str, float | None], notes: list[str]) -> _Level | None:
    from commsafe.spatial.hotspots import store_polygons

    area_type = "lsoa11" if level == "lsoa11" else AREA_LEVELS[level][1]
    try:
        shapes = store_polygons(store.con, area_type, codes)
    except InputError as exc:
        notes.append(f"{LEVELS[level]}: no boundaries ({exc})")
        return None
    notes.extend(shapes.attrs.get("notes", []))
    shapes = shapes.to_crs(27700)
    shapes["geometry"] = shapes.geometry.simplify(TOLERANCE[level], preserve_topology=True)
    minx, miny, maxx, maxy = shapes.total_bounds
    pad = 0.02 * max(maxx - minx, maxy - miny)
    names = [str(n or c) for n, c in zip(shapes["area_name"], shapes["area_code"], strict=True)]
    order = sorted(range(len(shapes)), key=lambda i: names[i].lower())
    shapes = shapes.iloc[order]
    return _Level(
        level=level,
        codes=[str(c) for c in shapes["area_code"]],
        names=[names[i] for i in order],
        districts=[str(district.get(c, "")) for c in shapes["area_code"]],
        paths=[svg_path(g) for g in shapes.geometry],
        view_box=[int(minx - pad), int(-maxy - pad), int(maxx - minx + 2 * pad),
                  int(maxy - miny + 2 * pad)],
        population={str(c): population.get(str(c)) for c in shapes["area_code"]},
    )


def _counts(store: Store, area: Area, level: str) -> pd.DataFrame:
    """area_code, category, month, count for the events of the area at ``level``."""
    if level == "lsoa11":
        from commsafe.reference.areas import districts_within

        frame = store.con.execute(
            "SELECT lsoa_code AS area_code, crime_type AS category, month, count(*) AS count "
            "FROM events WHERE lsoa_vintage = 2011 AND list_contains(?, district_code) "
            "GROUP BY ALL", [districts_within(store.con, area)]).df()
        frame["month"] = [periods.as_month(m) for m in frame["month"]]
        return frame
    frame = store.con.sql(
        f"SELECT {level} AS area_code, category, month_start AS month, count(*) AS count "
        f"FROM ({events_view_sql()}) v WHERE {area.level} = $code AND {level} IS NOT NULL "
        "GROUP BY ALL", params={"code": area.code}).df()
    frame["month"] = [periods.as_month(m) for m in frame["month"]]
    return frame


def _partner_counts(store: Store, dataset: str, area: Area, level: str) -> pd.DataFrame:
    column = {"ward": "ward_code", "lsoa": "lsoa_code", "lsoa11": "lsoa_code"}[level]
    from commsafe.reference.areas import districts_within

    districts = districts_within(store.con, area)
    frame = store.con.execute(
        f"SELECT {column} AS area_code, month, count(*) AS count FROM records "
        f"WHERE dataset = ? AND {column} IS NOT NULL AND month IS NOT NULL "
        "AND list_contains(?, district_code) GROUP BY ALL", [dataset, districts]).df()
    frame["month"] = [periods.as_month(m) for m in frame["month"]]
    return frame


def _value_block(counts: dict[str, int] | None, before: dict[str, int] | None,
                 lv: _Level, subject: str, rules: DisclosureRules,
                 min_base: int = 5) -> dict[str, Any]:
    """One indicator × period at one level: the payload's V (see the module docstring). The
    % change is left out ("No calc") where the earlier count is below ``min_base``, as in the
    document."""
    from commsafe.report.publish import disclose

    n = len(lv.codes)
    if counts is None:
        return {"count": [None] * n, "rate": [None] * n, "change": [None] * n,
                "change_words": [None] * n, "rank": [None] * n, "marks": {}}
    frame = pd.DataFrame({"area_code": lv.codes,
                          "count": [int(counts.get(c, 0)) for c in lv.codes]})
    if before is not None:
        frame["before"] = [int(before.get(c, 0)) for c in lv.codes]
    published, _ = disclose(frame, rules, value_columns=["count"], subject=subject)
    if before is not None:  # the earlier count is published too (as that period's count)
        earlier, _ = disclose(frame[["area_code", "before"]].rename(
            columns={"before": "count"}), rules, value_columns=["count"], subject=subject)
        hidden_before = [isinstance(v, str) for v in earlier["count"]]
    else:
        hidden_before = [False] * n
    out: dict[str, Any] = {"count": [], "rate": [], "change": [], "change_words": [],
                           "rank": [], "marks": {}}
    for i, code in enumerate(lv.codes):
        shown = published["count"].iloc[i]
        if isinstance(shown, str):
            out["marks"][str(i)] = shown
            out["count"].append(None)
            out["rate"].append(None)
        else:
            c = int(shown)
            out["count"].append(c)
            pop = lv.population.get(code)
            out["rate"].append(rounded_rate(c, pop))
        if before is None or isinstance(shown, str) or hidden_before[i]:
            out["change"].append(None)
            out["change_words"].append(None)
            continue
        a, b = int(frame["before"].iloc[i]), int(frame["count"].iloc[i])
        out["change"].append(None if a < min_base else whole_pct_change(a, b))
        out["change_words"].append(change_test(a, b).words)
    key = out["rate"] if any(r is not None for r in out["rate"]) else out["count"]
    ranked = sorted((v, i) for i, v in enumerate(key) if v is not None)
    rank: list[int | None] = [None] * n
    position = 0
    last: float | None = None
    for k, (v, i) in enumerate(sorted(ranked, key=lambda t: -t[0])):
        if v != last:
            position, last = k + 1, v
        rank[i] = position
    out["rank"] = rank
    return out


def _sum_by_area(frame: pd.DataFrame, months: Sequence[date],
                 categories: Sequence[str] | None) -> dict[str, int]:
    sel = frame["month"].isin(list(months))
    if categories is not None:
        sel &= frame["category"].isin(list(categories))
    elif "category" in frame.columns:
        sel &= frame["category"] != ASB
    return {str(k): int(v) for k, v in frame[sel].groupby("area_code")["count"].sum().items()}


def atlas_payload(store: Store, area: Area, *, period: Period, rules: DisclosureRules,
                  title: str, datasets: Sequence[tuple[str, str, bool]] = (),
                  levels: Sequence[str] = ("ward", "lsoa"),
                  pyramid_dataset: str | None = None,
                  groups: Sequence[tuple[str, Sequence[str]]] = (),
                  min_base: int = 5) -> dict[str, Any]:
    """The payload for ``area``, ending with ``period`` (and up to four periods of its kind
    before it with data). ``datasets`` are (name, title, synthetic) of partner data sets to
    add as indicators; ``pyramid_dataset`` a police extract for the pyramids; ``groups``
    (name, crime types) indicators of their own, such as priorities spanning several
    types. ``min_base``: the earlier count below which a % change is "No calc" (the spec's)."""
    from commsafe.measures.areas import months_with_data, source_line
    from commsafe.spatial.hotspots import district_outline

    notes: list[str] = []
    covered = months_with_data(store, within=area)
    chosen = [period]
    while len(chosen) < MAX_PERIODS:
        p = periods.previous_period(chosen[0])
        if not all(m in covered for m in p.months()):
            break
        chosen.insert(0, p)
    if not all(m in covered for m in period.months()):
        offsets = [k for k, m in enumerate(period.months()) if m in covered]
        if not offsets:
            raise InputError(f"{period.label} has no data for {area.name}: nothing to map.")
        notes.append(f"{period.label}: only {len(offsets)} of its {len(period)} months have "
                     "data; counts cover those months")
    lvs = [lv for name in levels if (lv := _level(store, area, name, period.start.year, notes))]
    if not lvs:  # no 2021 geography: the 2011 LSOAs the events were placed by, if any
        fallback = _level(store, area, "lsoa11", period.start.year, notes)
        lvs = [fallback] if fallback else []
    if not lvs:
        raise InputError(f"no wards or LSOAs with boundaries inside {area.name}: load the "
                         "boundaries with 'commsafe reference load'")
    frames = {lv.level: _counts(store, area, lv.level) for lv in lvs}
    present = set().union(*(set(f["category"]) for f in frames.values()))
    indicators: list[dict[str, Any]] = [{"id": "all-crime", "label": ALL_CRIME,
                                         "group": "Crime", "categories": None}]
    indicators += [{"id": indicator_id([c]), "label": c, "group": "Crime", "categories": [c]}
                   for c in CRIME_TYPES if c in present]
    for name, members in groups:
        indicators.append({"id": indicator_id(members, name), "label": name,
                           "group": "Priorities",
                           "categories": list(members)})
    if ASB in present:
        indicators.append({"id": indicator_id([ASB]), "label": "Anti-social behaviour",
                           "group": "ASB",
                           "categories": [ASB]})
    partner: dict[str, dict[str, pd.DataFrame]] = {}
    # a data set's own months (its first to last record): a period outside them is "no
    # data", never 0 in every area
    partner_months: dict[str, set[date]] = {}
    synthetic = False
    for name, label, is_synthetic in datasets:
        got = {lv.level: _partner_counts(store, name, area, lv.level) for lv in lvs}
        if all(f.empty for f in got.values()):
            notes.append(f"{label}: no records placed in a ward or LSOA of {area.name}")
            continue
        partner[name] = got
        partner_months[name] = AreaMonthly.for_dataset(store, name, area).covered
        synthetic = synthetic or is_synthetic
        indicators.append({"id": f"data-{slug(name)}", "label": label, "group": label,
                           "categories": None, "dataset": name})
    values: dict[str, Any] = {}
    monthly: dict[str, Any] = {}
    months_all = sorted(covered)
    for lv in lvs:
        values[lv.level] = {}
        monthly[lv.level] = {}
        for ind in indicators:
            frame = (partner[ind["dataset"]][lv.level] if "dataset" in ind
                     else frames[lv.level])
            cats: list[str] | None = None if "dataset" in ind else ind["categories"]
            # a group with a protected member is protected as a whole
            subject = next((c for c in cats or [] if rules.is_protected(c)), ind["label"])
            per: dict[str, Any] = {}
            previous: dict[str, int] | None = None
            have = partner_months[ind["dataset"]] if "dataset" in ind else covered
            for p in chosen:
                months = [m for m in p.months() if m in have]
                counts = _sum_by_area(frame, months, cats) if months else None
                per[p.label] = _value_block(counts, previous, lv, subject, rules, min_base)
                previous = counts
            values[lv.level][ind["id"]] = per
            monthly[lv.level][ind["id"]] = _monthly(frame, cats, lv, months_all, subject,
                                                    rules)
    outline = district_outline(store.con, area)
    out_lines = []
    if outline is not None:
        outline = outline.to_crs(27700)
        outline["geometry"] = outline.geometry.simplify(10.0, preserve_topology=True)
        out_lines = [{"code": str(c), "name": str(n), "path": svg_path(g)}
                     for c, n, g in zip(outline["area_code"], outline["area_name"],
                                        outline.geometry, strict=True)]
    # named from the reference areas, so that a district without a boundary loaded (the
    # package-index sample) shows its name, not its code
    district_names = {**area_names(store, "district"),
                      **{o["code"]: o["name"] for o in out_lines if o["name"]}}
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "meta": {
            "title": title,
            "subtitle": f"{area.name} ({area.code}): crime and disorder by "
                        + " and ".join(LEVELS[lv.level].split(" ")[0].rstrip("s").lower()
                                       .replace("lsoa", "LSOA") for lv in lvs),
            "area": {"code": area.code, "name": area.name, "level": area.level},
            "data_to": f"{max(covered):%B %Y}" if covered else "",
            "source": source_line(store, f"{area.level} = '{area.code}'")
            + f"; ONS boundaries and population; commsafe {__version__}",
            "disclosure": rules.rule_text(),
            "notes": notes,
            "synthetic": synthetic,
        },
        "levels": {lv.level: {
            "label": LEVELS[lv.level], "view_box": lv.view_box,
            "areas": [{"code": c, "name": n, "district": d,
                       "district_name": district_names.get(d, d), "path": p}
                      for c, n, d, p in zip(lv.codes, lv.names, lv.districts, lv.paths,
                                            strict=True)]} for lv in lvs},
        "outline": out_lines,
        "periods": [{"id": p.label, "label": p.name} for p in chosen],
        "indicators": [{"id": i["id"], "label": i["label"], "group": i["group"]}
                       for i in indicators],
        "measures": MEASURES,
        "values": values,
        "monthly": monthly,
        "pyramids": (_pyramids(store, area, pyramid_dataset, period, district_names)
                     if pyramid_dataset else None),
    }
    return payload


def _monthly(frame: pd.DataFrame, cats: list[str] | None, lv: _Level, months: list[date],
             subject: str, rules: DisclosureRules) -> dict[str, Any]:
    sel = pd.Series(True, index=frame.index)
    if cats is not None:
        sel &= frame["category"].isin(cats)
    elif "category" in frame.columns:
        sel &= frame["category"] != ASB
    got = frame[sel].groupby(["area_code", "month"])["count"].sum()
    table = {(str(a), m): int(v) for (a, m), v in got.items()}
    series: list[list[int | None]] = [[table.get((c, m), 0) for m in months]
                                      for c in lv.codes]
    if rules.is_protected(subject) and any(v is not None and 0 < v < rules.threshold
                                           for s in series for v in s):
        series = [[None] * len(months) for _ in lv.codes]  # small monthly counts: left out
    return {"months": [f"{m:%Y-%m}" for m in months], "counts": series}


def _pyramids(store: Store, area: Area, dataset: str, period: Period,
              district_names: dict[str, str]) -> dict[str, Any] | None:
    from commsafe.profiles.pyramids import BANDS, people, pyramid, record_people

    try:
        _, inside = record_people(store, dataset, within=area, period=period)
    except InputError:
        return None
    if inside.empty:
        return None
    groups = [{"id": "all", "name": area.name or area.code}]
    data: dict[str, Any] = {}

    def block(frame: pd.DataFrame) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for who in ("victim", "offender"):
            table = pyramid(people(frame, who))
            cells = {(str(b), str(x)): int(n) for b, x, n in
                     zip(table["age_band"], table["sex"], table["count"], strict=True)}
            out[f"{who}s"] = {sex: [cells.get((b, sex), 0) for b in BANDS]
                              for sex in ("male", "female")}
        return out

    data["all"] = block(inside)
    for code in sorted(set(inside["district_code"].dropna())):
        part = inside[inside["district_code"] == code]
        if len(part):
            groups.append({"id": str(code), "name": district_names.get(str(code), str(code))})
            data[str(code)] = block(part)
    title = store.con.execute("SELECT title FROM datasets WHERE dataset = ?",
                              [dataset]).fetchall()
    return {"bands": list(BANDS), "groups": groups, "data": data, "value": "count",
            "source": f"{title[0][0] if title and title[0][0] else dataset}; commsafe"}


def spec_payload(store: Store, spec: Any) -> dict[str, Any]:
    """The atlas payload for an assessment spec: its area and period, its disclosure rules,
    its partner data sets as indicators and its first police extract for the pyramids."""
    from commsafe.sources.mapped import read_mapping
    from commsafe.spec import resolve_area

    area = resolve_area(spec, store.con)
    datasets: list[tuple[str, str, bool]] = []
    pyramid_dataset = None
    for ds in spec.datasets:
        m = read_mapping(ds.mapping)
        datasets.append((m.name, m.title or m.name, m.synthetic))
        if m.kind == "police_extract" and pyramid_dataset is None:
            pyramid_dataset = m.name
    rules = DisclosureRules(threshold=spec.suppression, protected=spec.protected)
    groups = [(pr.name, pr.categories) for pr in spec.priorities if len(pr.categories) > 1]
    return atlas_payload(store, area, period=spec.assessed, rules=rules,
                         title=f"{spec.partnership_name}: community safety atlas",
                         datasets=datasets, pyramid_dataset=pyramid_dataset, groups=groups,
                         min_base=spec.min_base)
