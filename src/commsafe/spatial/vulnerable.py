"""Vulnerable locations: areas that stand out on several sources at once.

Each *layer* is one source's count per area (police.uk violence, ASB, needle finds, ambulance
callouts …). The method, announced in ``attrs['notes']``:

1. **Areas**: the union of the areas of every layer; an area a layer does not list has 0 there.
2. **Value**: the count, or with ``population`` the rate per 1,000 residents (an area without
   a population then has no rate and no score, and is ranked last).
3. **Standardised score**: the z-score of the value across the areas,
   ``(value − mean) / standard deviation``, with the standard deviation of the areas listed
   (``ddof = 0``: they are the whole set, not a sample). A layer equal in every area scores 0
   everywhere. Scores put layers of very different sizes on one scale: a ward one standard
   deviation above the mean on needle finds weighs as much as one a standard deviation above
   on violence.
4. **Composite**: the weighted mean of the layers' scores, ``Σ wᵢ zᵢ / Σ wᵢ`` (equal weights
   unless ``weights`` are given). ``rank`` is 1 for the highest composite; equal composites
   share a rank.
5. **Top decile**: an area is in a layer's top decile when its value is above 0 and at least
   the k-th highest, k = ⌈areas with a value / 10⌉ (areas tied with the k-th are all in).
   ``top_decile_layers`` counts the layers where that holds, and ``flag`` is True when it is at
   least ``min_layers`` (2): an area that is high on several sources, not just one.

Columns: ``area_code, area_name``, ``population`` (with ``population``), then per layer
``<layer> count``, ``<layer> rate_per_1000`` (with ``population``) and ``<layer> score``, then
``composite, rank, top_decile_layers, flag``, ordered by rank. Numbers are unrounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from commsafe.errors import InputError
from commsafe.periods import Period
from commsafe.reference.areas import Area
from commsafe.store import Store

__all__ = ["layers_from_store", "vulnerable_locations"]

_SPEC_KEYS = ("categories", "asb_only", "include_asb", "where")


def _layer(name: str, values: Any) -> pd.Series:
    if isinstance(values, Mapping) and not isinstance(values, pd.Series):
        values = pd.Series(dict(values), dtype=float)
    if not isinstance(values, pd.Series):
        raise InputError(f"layer {name!r}: give a pandas Series (area code → count), not "
                         f"{type(values).__name__}.")
    series = pd.to_numeric(values, errors="coerce").astype(float)
    series.index = [str(c) for c in series.index]
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise InputError(f"layer {name!r}: area {dup} is listed twice; give each area once.")
    bad = series[~np.isfinite(series.to_numpy()) | (series.to_numpy() < 0)]
    if len(bad):
        raise InputError(f"layer {name!r}: area {bad.index[0]} has {values[bad.index[0]]!r}; "
                         "counts must be numbers ≥ 0 (give 0 for none).")
    return series


def _weights(names: list[str], weights: Mapping[str, float] | None) -> dict[str, float]:
    if weights is None:
        return dict.fromkeys(names, 1.0)
    unknown = [k for k in weights if k not in names]
    missing = [n for n in names if n not in weights]
    if unknown or missing:
        raise InputError("weights must name every layer once: "
                         + "; ".join(filter(None, [
                             f"no layer called {', '.join(map(repr, unknown))}" if unknown
                             else "",
                             f"no weight for {', '.join(map(repr, missing))}" if missing
                             else ""])) + f". Layers: {', '.join(names)}.")
    out = {}
    for n in names:
        w = weights[n]
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) \
                or w < 0:
            raise InputError(f"weight for {n!r} is {w!r}; give a number ≥ 0.")
        out[n] = float(w)
    if sum(out.values()) <= 0:
        raise InputError("every weight is 0; give at least one layer a weight above 0.")
    return out


def _zscores(values: pd.Series) -> tuple[pd.Series, bool]:
    """z-scores (ddof 0) of the non-missing values; True when they are all equal."""
    valid = values.dropna()
    if valid.empty:
        return values * np.nan, True
    sd = float(valid.std(ddof=0))
    if sd == 0:
        return values.where(values.isna(), 0.0), True
    return (values - float(valid.mean())) / sd, False


def _top_decile(values: pd.Series) -> pd.Series:
    valid = values.dropna()
    if valid.empty:
        return pd.Series(False, index=values.index)
    k = math.ceil(len(valid) / 10)
    cut = float(valid.sort_values(ascending=False).iloc[k - 1])
    return (values > 0) & (values >= cut)


def vulnerable_locations(layers: Mapping[str, pd.Series], *,
                         weights: Mapping[str, float] | None = None,
                         names: Mapping[str, str] | None = None,
                         population: Mapping[str, float] | pd.Series | None = None,
                         min_layers: int = 2) -> pd.DataFrame:
    """Areas scored and flagged on several layers at once (see the module docstring)."""
    if not layers:
        raise InputError("layers is empty; give at least one source layer "
                         "(name → Series of counts by area code).")
    if isinstance(min_layers, bool) or not isinstance(min_layers, int) or min_layers < 1:
        raise InputError(f"min_layers {min_layers!r} must be a whole number ≥ 1 (e.g. 2).")
    series = {str(name): _layer(str(name), values) for name, values in layers.items()}
    layer_names = list(series)
    w = _weights(layer_names, weights)
    codes = sorted(set().union(*(set(s.index) for s in series.values())))
    frame = pd.DataFrame({"area_code": pd.Series(codes, dtype=object)})
    frame["area_name"] = pd.Series([names.get(c) if names else None for c in codes],
                                   dtype=object)
    notes: list[str] = []
    pop: pd.Series | None = None
    if population is not None:
        given = dict(population.items()) if isinstance(population, pd.Series) \
            else dict(population)
        pop = pd.Series([given.get(c) for c in codes], index=codes, dtype=float)
        pop = pop.where(pop > 0)
        frame["population"] = pop.to_numpy()
        lacking = [c for c in codes if pd.isna(pop[c])]
        if lacking:
            notes.append(f"no population for {len(lacking)} area(s) ({', '.join(lacking[:5])}"
                         f"{' …' if len(lacking) > 5 else ''}): no rate, no score, ranked last")
    scores = {}
    in_top = pd.Series(0, index=codes, dtype="int64")
    for name in layer_names:
        counts = series[name].reindex(codes, fill_value=0.0)
        whole = bool((counts == counts.round()).all())
        frame[f"{name} count"] = counts.astype("int64").to_numpy() if whole else counts.to_numpy()
        value = counts
        if pop is not None:
            value = counts * 1000 / pop
            frame[f"{name} rate_per_1000"] = value.to_numpy()
        z, flat = _zscores(value)
        if flat:
            notes.append(f"{name}: the same in every area, so it scores 0 everywhere and adds "
                         "nothing to the composite")
        scores[name] = z
        frame[f"{name} score"] = z.to_numpy()
        in_top += _top_decile(value).astype("int64")
    total_w = sum(w.values())
    composite = sum((scores[n] * (w[n] / total_w) for n in layer_names),
                    start=pd.Series(0.0, index=codes))
    frame["composite"] = composite.to_numpy()
    frame["top_decile_layers"] = in_top.to_numpy()
    frame["flag"] = frame["top_decile_layers"] >= min_layers
    frame = frame.sort_values(["composite", "area_code"], ascending=[False, True],
                              na_position="last").reset_index(drop=True)
    frame["rank"] = frame["composite"].rank(method="min", ascending=False).astype("Int64")
    measure = "rate per 1,000 residents" if pop is not None else "count"
    weight_text = ("equal weights" if weights is None or len(set(w.values())) == 1
                   else "weights " + ", ".join(f"{n} {w[n]:g}" for n in layer_names))
    notes[:0] = [
        f"each layer's {measure} is standardised as a z-score across the {len(codes)} areas "
        "(value minus the mean, divided by the standard deviation); an area a layer does not "
        "list counts 0 there",
        f"composite: the weighted mean of the layers' scores, {weight_text}",
        f"flag: in the top decile (the highest tenth of areas, ties kept, above 0) of at least "
        f"{min_layers} of the {len(layer_names)} layers",
    ]
    ordered = ["area_code", "area_name", *(["population"] if pop is not None else [])]
    for name in layer_names:
        ordered += [f"{name} count", *([f"{name} rate_per_1000"] if pop is not None else []),
                    f"{name} score"]
    ordered += ["composite", "rank", "top_decile_layers", "flag"]
    frame = frame[ordered]
    frame.attrs.update(notes=notes, layers=layer_names, weights=w, min_layers=min_layers,
                       measure=measure)
    return frame


def layers_from_store(store: Store, by: str, period: Period,
                      layer_spec: Mapping[str, Mapping[str, Any]],
                      within: Area | None = None) -> dict[str, pd.Series]:
    """Crime and ASB layers from the store: layer name → count per area of level ``by``.

    Each spec is a dict of ``categories`` (police.uk crime types), ``asb_only``,
    ``include_asb`` and ``where``, e.g. ``{"Violence and sexual offences": {"categories":
    ["Violence and sexual offences"]}, "ASB": {"asb_only": True}}``. Every area of the level
    (inside ``within``) is listed, with 0 where there is nothing.
    """
    from commsafe.measures.areas import count_by_area

    if not layer_spec:
        raise InputError("layer_spec is empty; name at least one layer.")
    out = {}
    for name, spec in layer_spec.items():
        unknown = [k for k in spec if k not in _SPEC_KEYS]
        if unknown:
            raise InputError(f"layer {name!r}: unknown setting(s) {', '.join(unknown)}; use "
                             f"{', '.join(_SPEC_KEYS)}.")
        out[str(name)] = count_by_area(
            store, by, period=period, categories=spec.get("categories"), within=within,
            where=spec.get("where"), include_asb=bool(spec.get("include_asb", False)),
            asb_only=bool(spec.get("asb_only", False)))
    return out
