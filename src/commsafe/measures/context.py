"""The countywide view: a partnership beside the other CSPs of its police force, and the force.

Funnel limits
    :func:`funnel_limits` gives, for a target (the force's) rate per ``per`` residents, the
    95% and 99.8% control limits of the rate an area of each population size would show by
    Poisson chance alone. With ``E = rate × population / per`` expected events, a limit is the
    exact Poisson ``p``-quantile of ``E`` (``scipy.stats.poisson.ppf`` at p = 0.025 / 0.975 for
    95% and 0.001 / 0.999 for 99.8%), smoothed between whole counts by Spiegelhalter's (2005,
    appendix A.1.1) interpolation ``r_p − α`` with ``α = (F(r_p) − p) / (F(r_p) − F(r_p − 1))``
    (``F`` the Poisson distribution function, ``r_p`` the quantile), and turned back into a
    rate (``× per / population``). The curves are thus smooth, and a count is outside a limit
    when it lies strictly beyond that interpolated count, as the chart shows it: a count equal
    to the quantile ``r_p`` is outside whenever α > 0, which is a little less conservative
    than an exact one-sided Poisson test (close to a mid-p test).

    Over-dispersed data (areas differing by more than chance, as CSPs of one force usually
    do) make most areas fall outside Poisson limits. With ``overdispersion`` φ (> 1) the limits
    are instead ``target ± z × √φ × se`` with the normal approximation ``se = √E / population
    × per`` and z = 1.960 (95%) or 3.090 (99.8%), the lower limit never below 0: the
    multiplicative (scale) approach of Spiegelhalter (2005), section 5.
:func:`estimate_overdispersion`
    φ = Σ z_i² / (n − 1), z_i = (O_i − E_i) / √E_i. The caller decides whether to use it; the
    convention followed by :func:`context_table` is φ > :data:`PHI_THRESHOLD` (1.5) with at
    least :data:`MIN_UNITS` (5) areas. Winsorising z at the 10th / 90th percentiles
    (``winsorise=0.1``) is optional and off by default.
:func:`context_table`
    columns (a contract) ``level, area_code, area_name, category, period, count, residents,
    rate_per_1000, rank, funnel``: for every police force area (PFA) covering the
    partnership, one ``pfa`` row for the force area and one ``csp`` row per CSP inside it, for
    every category asked ("All crime" — ASB never included —, "Anti-social behaviour" and the
    police.uk crime types). Counts are of events placed (resolved) in the area over exactly
    the months given; ``residents`` is the population loaded for the year of the first month
    (or the nearest year loaded); ``rank`` 1 is the highest rate among the CSPs of that force
    for that category (equal rates share a rank; no population, no rank); ``funnel`` is the
    :func:`funnel_class` of a CSP against its force's rate, blank for the ``pfa`` row and for a
    CSP without population. ``frame.attrs['overdispersion']`` maps ``(pfa_code, category)`` to
    the φ used (only where used), for :func:`commsafe.outputs.charts.funnel_chart`.
:func:`recorded_context_table`
    the same table from the Home Office police recorded crime table by CSP
    (:mod:`commsafe.sources.home_office`) for one financial year, sharing the rate, rank,
    over-dispersion and funnel code of :func:`context_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.stats import norm, poisson

from commsafe import periods, taxonomy
from commsafe.errors import InputError
from commsafe.measures.areas import forces_covering, months_with_data
from commsafe.measures.counts import events_view_sql
from commsafe.measures.rates import areas_within, store_population
from commsafe.reference.areas import Area, districts_within, find_area
from commsafe.store import Store

__all__ = [
    "ALL_CATEGORIES",
    "ALL_CRIME",
    "CONTEXT_COLUMNS",
    "FUNNEL_CLASSES",
    "MIN_UNITS",
    "PHI_THRESHOLD",
    "above_limit",
    "context_table",
    "estimate_overdispersion",
    "funnel_class",
    "funnel_limits",
    "recorded_context_table",
]

CONTEXT_COLUMNS: Final = ("level", "area_code", "area_name", "category", "period", "count",
                          "residents", "rate_per_1000", "rank", "funnel")
ALL_CRIME: Final = "All crime"
ALL_CATEGORIES: Final[tuple[str, ...]] = (ALL_CRIME, taxonomy.ASB, *taxonomy.CRIME_TYPES)
FUNNEL_CLASSES: Final = ("within", "above 95%", "above 99.8%", "below 95%", "below 99.8%")
#: use the over-dispersion φ when it exceeds this, with at least MIN_UNITS areas
PHI_THRESHOLD: Final = 1.5
MIN_UNITS: Final = 5

#: limit name → (lower tail probability, upper tail probability)
_TAILS: Final = {"95": (0.025, 0.975), "998": (0.001, 0.999)}


def _interpolated_quantile(p: float, expected: np.ndarray) -> np.ndarray:
    """Spiegelhalter's smoothed Poisson ``p``-quantile of ``expected`` (0 where E = 0)."""
    mu = np.where(expected > 0, expected, 1.0)
    r = poisson.ppf(p, mu)
    f_r = poisson.cdf(r, mu)
    f_before = poisson.cdf(r - 1, mu)
    step = f_r - f_before
    alpha = np.where(step > 0, (f_r - p) / np.where(step > 0, step, 1.0), 0.0)
    return np.where(expected > 0, np.maximum(r - alpha, 0.0), 0.0)


def funnel_limits(rate: float, population: np.ndarray | float, *, per: float = 1000.0,
                  overdispersion: float | None = None) -> dict[str, Any]:
    """Control limits of a rate per ``per`` around the target ``rate``, by population size.

    Returns ``population`` and ``target`` (the rate) and ``lower_95, upper_95, lower_998,
    upper_998``: numpy arrays of ``population``'s shape (0-d for a single number) of rates per
    ``per``, plus ``overdispersion`` (the φ used, or None). Exact (interpolated) Poisson
    limits without ``overdispersion``, or with φ ≤ 1; the widened normal limits above it (see
    the module docstring). A population ≤ 0 has NaN limits.
    """
    if not math.isfinite(rate) or rate < 0:
        raise InputError(f"funnel_limits: rate {rate!r} is not a rate ≥ 0.")
    if per <= 0:
        raise InputError(f"funnel_limits: per {per!r} must be > 0.")
    if overdispersion is not None and (not math.isfinite(overdispersion) or overdispersion <= 0):
        raise InputError(f"funnel_limits: overdispersion {overdispersion!r} must be a number > 0.")
    pop = np.asarray(population, dtype=float)
    valid = pop > 0
    safe = np.where(valid, pop, 1.0)
    expected = rate * safe / per
    out: dict[str, Any] = {"population": pop, "target": rate,
                           "overdispersion": overdispersion}
    widen = overdispersion is not None and overdispersion > 1
    for name, (lo, hi) in _TAILS.items():
        if widen:
            assert overdispersion is not None
            z = float(norm.ppf(hi))
            se = np.sqrt(expected) / safe * per
            lower = np.maximum(rate - z * math.sqrt(overdispersion) * se, 0.0)
            upper = rate + z * math.sqrt(overdispersion) * se
        else:
            lower = _interpolated_quantile(lo, expected) / safe * per
            upper = _interpolated_quantile(hi, expected) / safe * per
        out[f"lower_{name}"] = np.where(valid, lower, np.nan)
        out[f"upper_{name}"] = np.where(valid, upper, np.nan)
    return out


def estimate_overdispersion(counts: Sequence[float] | np.ndarray,
                            populations: Sequence[float] | np.ndarray, rate: float, *,
                            per: float = 1000.0, winsorise: float | None = None) -> float:
    """Spiegelhalter's (2005) over-dispersion φ = Σ z_i² / (n − 1), z_i = (O_i − E_i) / √E_i.

    ``E_i = rate × population_i / per``; areas with no (or zero) population are left out. With
    ``winsorise`` (e.g. 0.1), z is first clipped at its ``winsorise`` and ``1 − winsorise``
    quantiles. Returns φ (1 means Poisson variation only); needs two areas or more.
    """
    obs = np.asarray(counts, dtype=float)
    pop = np.asarray(populations, dtype=float)
    if obs.shape != pop.shape:
        raise InputError(f"estimate_overdispersion: {obs.size} counts but {pop.size} "
                         "populations; give one of each per area.")
    keep = np.isfinite(pop) & (pop > 0) & np.isfinite(obs)
    expected = rate * pop[keep] / per
    obs = obs[keep]
    if len(obs) < 2:
        raise InputError("estimate_overdispersion: needs at least 2 areas with population.")
    if not np.all(expected > 0):
        raise InputError(f"estimate_overdispersion: rate {rate!r} gives no expected events.")
    z = (obs - expected) / np.sqrt(expected)
    if winsorise:
        low, high = np.quantile(z, [winsorise, 1 - winsorise])
        z = np.clip(z, low, high)
    return float(np.sum(z ** 2) / (len(z) - 1))


def funnel_class(count: float, population: float, rate: float, phi: float | None = None, *,
                 per: float = 1000.0) -> str:
    """Where ``count`` in ``population`` falls against the target ``rate``: one of
    :data:`FUNNEL_CLASSES` (``within``, ``above 95%``, ``above 99.8%``, ``below 95%``,
    ``below 99.8%``). Outside means strictly beyond the limit of :func:`funnel_limits`."""
    if not population or population <= 0:
        raise InputError(f"funnel_class: population {population!r} must be > 0.")
    lim = funnel_limits(rate, population, per=per, overdispersion=phi)
    observed = count / population * per
    if observed > float(lim["upper_998"]):
        return "above 99.8%"
    if observed > float(lim["upper_95"]):
        return "above 95%"
    if observed < float(lim["lower_998"]):
        return "below 99.8%"
    if observed < float(lim["lower_95"]):
        return "below 95%"
    return "within"


def _check_categories(categories: Sequence[str] | None) -> list[str]:
    if categories is None:
        return list(ALL_CATEGORIES)
    if isinstance(categories, str):
        raise InputError(f"categories={categories!r} is a single string; give a list, e.g. "
                         f"[{categories!r}].")
    out = []
    for c in categories:
        name = ALL_CRIME if c.strip().lower() == ALL_CRIME.lower() else taxonomy.standard_name(c)
        if name != ALL_CRIME and not taxonomy.is_known(name):
            raise InputError(f"category {c!r}: choose from {', '.join(ALL_CATEGORIES)}.")
        out.append(name)
    return out


def _pfas_of(store: Store, area: Area) -> list[Area]:
    if area.level == "pfa":
        return [area]
    if area.level not in ("csp", "district"):
        raise InputError(f"{area.name or area.code}: the countywide view needs a CSP, district "
                         f"or police force area, not a {area.level}.")
    districts = districts_within(store.con, area)
    rows = store.con.execute(
        "SELECT DISTINCT l.to_code, (SELECT any_value(a.area_name) FROM areas a WHERE "
        "a.area_type = 'pfa' AND a.area_code = l.to_code) FROM area_links l WHERE "
        "l.from_type = 'district' AND l.to_type = 'pfa' AND list_contains(?, l.from_code) "
        "ORDER BY 1", [districts]).fetchall()
    if not rows:
        raise InputError(f"{area.name or area.code}: no police force area is linked to it in "
                         "the reference data; load the LTLA → CSP → PFA lookup.")
    return [Area("pfa", str(code), None if name is None else str(name)) for code, name in rows]


def _csp_code(store: Store, area: Area) -> str:
    """The code of the area's own row among the CSPs: a district that is (or lies in) one CSP
    takes that CSP's code; any other area keeps its own."""
    if area.level != "district":
        return area.code
    rows = store.con.execute(
        "SELECT DISTINCT to_code FROM area_links WHERE from_type = 'district' AND "
        "to_type = 'csp' AND from_code = ?", [area.code]).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else area.code


def _counts(store: Store, level: str, codes: list[str], months: list[date]) -> pd.DataFrame:
    """``area_code, category, is_asb, n`` for events placed in ``codes`` in ``months``."""
    return store.con.execute(
        f"SELECT {level} AS area_code, category, is_asb, count(*) AS n "
        f"FROM ({events_view_sql()}) v WHERE list_contains(?, {level}) "
        "AND list_contains(?, month_start) GROUP BY ALL", [codes, months]).df()


def _count_of(counts: pd.DataFrame, code: str, category: str) -> int:
    sel = counts[counts["area_code"] == code]
    sel = sel[~sel["is_asb"]] if category == ALL_CRIME else sel[sel["category"] == category]
    return int(sel["n"].sum())


def _rank(rates: list[float | None]) -> list[int | None]:
    """1 for the highest rate; equal rates share a rank (1, 2, 2, 4); None without a rate."""
    present = [r for r in rates if r is not None]
    return [None if r is None else 1 + sum(1 for o in present if o > r) for r in rates]


def _category_rows(pfa: Area, cat: str, label: str, force_n: int, force_res: float | None,
                   codes: Sequence[str], names: dict[str, Any], ns: Sequence[int],
                   residents: dict[str, Any],
                   used_phi: dict[tuple[str, str], float],
                   widened: dict[tuple[str, int], list[str]]) -> list[dict[str, Any]]:
    """The ``pfa`` row and one ``csp`` row per code of ``codes`` (counts ``ns``) for one
    category: rates, ranks and funnel classes against the force's rate, with the
    over-dispersion φ where it exceeds :data:`PHI_THRESHOLD` over at least :data:`MIN_UNITS`
    CSPs (recorded in ``used_phi`` and ``widened``). Shared by :func:`context_table` and
    :func:`recorded_context_table`."""
    force_rate = force_n * 1000 / force_res if force_res else None
    rates = [n * 1000 / residents[c] if residents[c] else None
             for n, c in zip(ns, codes, strict=True)]
    phi: float | None = None
    with_pop = [(n, residents[c]) for n, c in zip(ns, codes, strict=True)
                if residents[c]]
    if force_rate and len(with_pop) >= MIN_UNITS:
        est = estimate_overdispersion([n for n, _ in with_pop],
                                      [p for _, p in with_pop], force_rate)
        if est > PHI_THRESHOLD:
            phi = est
            used_phi[(pfa.code, cat)] = est
            widened.setdefault((pfa.name or pfa.code, len(with_pop)), []).append(
                f"{cat} {est:.1f}")
    rows: list[dict[str, Any]] = [
        {"level": "pfa", "area_code": pfa.code, "area_name": pfa.name, "category": cat,
         "period": label, "count": force_n, "residents": force_res,
         "rate_per_1000": force_rate, "rank": None, "funnel": ""}]
    for c, n, r, rank in zip(codes, ns, rates, _rank(rates), strict=True):
        res = residents[c]
        cls = (funnel_class(n, res, force_rate, phi)
               if res and force_rate is not None else "")
        rows.append({"level": "csp", "area_code": c, "area_name": names[c],
                     "category": cat, "period": label, "count": n, "residents": res,
                     "rate_per_1000": r, "rank": rank, "funnel": cls})
    return rows


def context_table(store: Store, area_code: str, *, period_months: Sequence[date],
                  categories: Sequence[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The partnership ``area_code`` (code or name of a CSP, district or PFA) beside the other
    CSPs of the police force area(s) covering it and the force area itself (columns
    :data:`CONTEXT_COLUMNS`, see the module docstring), and the notes: the over-dispersion φ
    per category where the limits use it, CSPs without population, months without data and
    the force's events that are in none of its CSPs. ``categories`` None means
    :data:`ALL_CATEGORIES`."""
    cats = _check_categories(categories)
    months = sorted({periods.as_month(m) for m in period_months})
    if not months:
        raise InputError("period_months is empty; give the months to count, e.g. "
                         "2022-03 … 2023-02.")
    area = find_area(store.con, area_code)
    pfas = _pfas_of(store, area)
    label = periods.months_text(months)
    year = months[0].year
    csp_pop = store_population(store, "csp", year)
    pfa_pop = store_population(store, "pfa", year)
    notes: list[str] = []
    if csp_pop.note:
        notes.append(csp_pop.note)
    have = months_with_data(store, within=area)
    lacking = [m for m in months if m not in have]
    if lacking:
        notes.append(f"no data for {periods.months_text(lacking)} from the force(s) covering "
                     f"{area.name or area.code}: those months count nothing")
    rows: list[dict[str, Any]] = []
    used_phi: dict[tuple[str, str], float] = {}
    widened: dict[tuple[str, int], list[str]] = {}
    for pfa in pfas:
        csps = areas_within(store, "csp", pfa).sort_values("area_code")
        codes = [str(c) for c in csps["area_code"]]
        names = dict(zip(codes, csps["area_name"], strict=True))
        csp_counts = _counts(store, "csp", codes, months)
        pfa_counts = _counts(store, "pfa", [pfa.code], months)
        residents = {c: csp_pop.get(c) for c in codes}
        for c in codes:
            if residents[c] is None or not residents[c]:
                notes.append(f"{names[c] or c} ({c}): no population loaded for {year}, so no "
                             "rate, rank or funnel class")
        force_res = pfa_pop.get(pfa.code)
        if not force_res:
            notes.append(f"{pfa.name or pfa.code}: no population loaded, so no force rate and "
                         "no funnel classes")
        for cat in cats:
            rows.extend(_category_rows(
                pfa, cat, label, _count_of(pfa_counts, pfa.code, cat), force_res, codes,
                names, [_count_of(csp_counts, c, cat) for c in codes], residents, used_phi,
                widened))
        forces = forces_covering(store, pfa)
        if forces:
            outside = store.con.execute(
                f"SELECT count(*) FROM ({events_view_sql()}) v WHERE list_contains(?, force) "
                "AND list_contains(?, month_start) AND (csp IS NULL OR NOT list_contains(?, "
                "csp))", [forces, months, codes]).fetchone()
            if outside and outside[0]:
                notes.append(f"{int(outside[0]):,} event(s) (crime and ASB) recorded by "
                             f"{', '.join(forces)} in these months are in none of the CSPs of "
                             f"{pfa.name or pfa.code} (no location, unresolved, or placed "
                             "outside the force area) and are in no row")
    frame = pd.DataFrame(rows, columns=list(CONTEXT_COLUMNS))
    frame = frame.astype({"count": "int64", "residents": "float64",
                          "rate_per_1000": "float64", "rank": "Int64"})
    for (force_name, units), phis in widened.items():
        notes.append(f"The {units} CSPs of {force_name} differ by more than chance alone "
                     f"would give, so the funnel limits are widened by √φ (overdispersion φ: "
                     f"{'; '.join(phis)}).")
    frame.attrs.update(notes=notes, overdispersion=used_phi, population_year=csp_pop.year,
                       area=_csp_code(store, area))
    return frame, notes


def above_limit(frame: pd.DataFrame, limit: str = "above 99.8%", *, area_code: str) -> list[str]:
    """The categories in which ``area_code`` (code or name) is ``limit`` in a
    :func:`context_table` frame, in the frame's order. ``above 95%`` includes ``above 99.8%``
    and ``below 95%`` includes ``below 99.8%`` (beyond the outer limit is beyond the inner)."""
    if limit not in FUNNEL_CLASSES:
        raise InputError(f"limit {limit!r}: choose from {', '.join(FUNNEL_CLASSES)}.")
    wanted = {limit}
    if limit == "above 95%":
        wanted.add("above 99.8%")
    elif limit == "below 95%":
        wanted.add("below 99.8%")
    key = area_code.strip().lower()
    rows = frame[(frame["level"] == "csp")
                 & ((frame["area_code"].str.lower() == key)
                    | (frame["area_name"].fillna("").str.lower() == key))]
    if rows.empty:
        raise InputError(f"above_limit: {area_code!r} is not a CSP row of the table.")
    return [str(c) for c in rows.loc[rows["funnel"].isin(wanted), "category"]]


def recorded_context_table(store: Store, data: Any, csp: str, *, year: str,
                           by: str = "police_uk",
                           categories: Sequence[str] | None = None,
                           ) -> tuple[pd.DataFrame, list[str]]:
    """:func:`context_table` from Home Office police recorded crime instead of police.uk
    events: the CSP ``csp`` (its Home Office or ONS name) beside the other CSPs of its force
    and the force, in financial ``year`` (``2018/19``), with the same columns
    (:data:`CONTEXT_COLUMNS`), funnel limits and over-dispersion rule.

    ``data`` is a :class:`commsafe.sources.home_office.RecordedCrime` table by CSP. Categories
    are All crime and the police.uk crime types (``by='police_uk'``) or the offence groups
    (``by='group'``), those with offences in the force; ``categories`` keeps only the names
    given. Home Office CSP names are matched to the store's CSPs for their codes and
    population (:func:`commsafe.sources.home_office.map_csp_names`); a CSP that cannot be
    matched keeps its row, with the Home Office name, an empty code and no rate, and a note
    suggesting the ONS name. The force's count includes its 'Unassigned' rows (in no CSP's);
    its population is the store's for the police force area of the CSP.
    """
    from commsafe import hierarchy
    from commsafe.sources import home_office as ho

    if by not in ("police_uk", "group"):
        raise InputError(f"by={by!r}: the countywide view compares CSPs by police_uk crime "
                         "type or by offence group.")
    force, csp_name = ho.find_csp(data, csp)
    label = periods.parse_period("financial_year", year).label
    csps, force_counts = ho.csp_counts(data, force, label, by=by)
    names_ho = list(dict.fromkeys(csps["csp"]))
    mapping = ho.map_csp_names(store.con, names_ho)
    if csp_name not in mapping.mapped:
        hint = mapping.unmapped.get(csp_name)
        raise InputError(
            f"{data.path}: CSP {csp_name!r} matches no CSP in the store"
            + (f" (did you mean {hint!r}?)" if hint else "")
            + ". Fix: load the LTLA → CSP → PFA lookup with 'commsafe reference load', or "
            "give the CSP by its ONS name.")
    code, ons_name = mapping.mapped[csp_name]
    pfas = _pfas_of(store, Area("csp", code, ons_name))
    force_key = hierarchy.normalise(force).removesuffix(" police")
    pfa = next((p for p in pfas if p.name and hierarchy.normalise(p.name)
                .removesuffix(" police") == force_key), pfas[0])
    start_year = periods.parse_period("financial_year", label).start.year
    csp_pop = store_population(store, "csp", start_year)
    pfa_pop = store_population(store, "pfa", start_year)
    notes: list[str] = [f"Home Office police recorded crime, {data.path.name}, {label}; "
                        f"{csp_name} among the CSPs of {force}"]
    if csp_pop.note:
        notes.append(csp_pop.note)
    notes.extend(mapping.notes())
    keys = [mapping.mapped[n][0] if n in mapping.mapped else n for n in names_ho]
    if len(set(keys)) != len(keys):
        raise InputError(f"{data.path}: several Home Office CSPs of {force} match one CSP of "
                         "the store. Fix: load the CSP lookup of the table's year.")
    names = {k: (mapping.mapped[n][1] if n in mapping.mapped else n)
             for k, n in zip(keys, names_ho, strict=True)}
    residents = {k: (csp_pop.get(k) if n in mapping.mapped else None)
                 for k, n in zip(keys, names_ho, strict=True)}
    for k, n in zip(keys, names_ho, strict=True):
        if n in mapping.mapped and not residents[k]:
            notes.append(f"{names[k]} ({k}): no population loaded for {start_year}, so no "
                         "rate, rank or funnel class")
    in_store = areas_within(store, "csp", pfa)
    absent = [str(n) for c, n in zip(in_store["area_code"], in_store["area_name"],
                                     strict=True) if c not in keys]
    if absent:
        notes.append(f"CSPs of {pfa.name or pfa.code} in the store with no rows in the Home "
                     f"Office table for {label}: {', '.join(absent)}")
    force_res = pfa_pop.get(pfa.code)
    if not force_res:
        notes.append(f"{pfa.name or pfa.code}: no population loaded, so no force rate and "
                     "no funnel classes")
    unassigned = data.unassigned
    unassigned = unassigned[(unassigned["force"] == force) & (unassigned["year"] == label)]
    if not unassigned.empty:
        notes.append(f"{int(unassigned['count'].sum()):,} offences of {force} in {label} are in "
                     "'Unassigned' CSP rows: in the force's count, in no CSP's")
    notes.extend(data.notes)
    cats = [str(c) for c in force_counts["category"]]
    if categories is not None:
        wanted = {hierarchy.normalise(c) for c in categories}
        cats = [c for c in cats if hierarchy.normalise(c) in wanted]
        if not cats:
            raise InputError(f"categories {list(categories)!r}: none has offences in {force}; "
                             f"choose from {', '.join(map(str, force_counts['category']))}.")
    cats = [r.name for r in hierarchy.order_categories(cats)]
    force_n = dict(zip(force_counts["category"], force_counts["count"], strict=True))
    by_csp = {(str(r.csp), str(r.category)): int(r.count) for r in csps.itertuples()}
    rows: list[dict[str, Any]] = []
    used_phi: dict[tuple[str, str], float] = {}
    widened: dict[tuple[str, int], list[str]] = {}
    for cat in cats:
        ns = [by_csp.get((n, cat), 0) for n in names_ho]
        rows.extend(_category_rows(pfa, cat, label, int(force_n[cat]), force_res, keys, names,
                                   ns, residents, used_phi, widened))
    unmapped = set(mapping.unmapped)
    for row in rows:
        if row["level"] == "csp" and row["area_code"] in unmapped:
            row["area_code"] = ""
    frame = pd.DataFrame(rows, columns=list(CONTEXT_COLUMNS))
    frame = frame.astype({"count": "int64", "residents": "float64",
                          "rate_per_1000": "float64", "rank": "Int64"})
    for (force_name, units), phis in widened.items():
        notes.append(f"The {units} CSPs of {force_name} differ by more than chance alone "
                     f"would give, so the funnel limits are widened by √φ (overdispersion φ: "
                     f"{'; '.join(phis)}).")
    frame.attrs.update(notes=notes, overdispersion=used_phi, population_year=csp_pop.year,
                       area=code)
    return frame, notes
