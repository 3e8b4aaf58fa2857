"""Age and sex pyramids of the people involved (victims, offenders), with rates by age and sex.

Ages go into 5-year bands (:data:`BANDS`: ``0-4`` … ``85-89`` and ``90+``); sex is ``male`` or
``female`` (``M``/``F`` and any case are accepted). People whose age or sex is not known are
not drawn: they are counted in ``attrs['notes']`` so the caveat travels with the numbers.

* :func:`pyramid` counts people by band and sex, with each cell's share of the people of known
  age and sex and, given a population by band and sex, the rate per 1,000 residents.
* :func:`population_bands` reads that population from the store (summed over areas, single
  years of age put into bands). When only all-persons rows are loaded there is no split by sex:
  it returns no table, and says so.
* :func:`compare` puts two pyramids side by side (e.g. Cambridge and the whole force), for a
  comparison outline on the chart.

Numbers only: the chart is :func:`commsafe.outputs.pyramid_charts.pyramid_chart`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Final

import duckdb
import pandas as pd

from commsafe.errors import InputError
from commsafe.measures.intervals import rate_per_1000

__all__ = [
    "BANDS",
    "PYRAMID_COLUMNS",
    "SEXES",
    "PopulationBands",
    "age_band",
    "compare",
    "offence_codes_for",
    "people",
    "population_bands",
    "pyramid",
    "record_people",
]

#: 5-year age bands, youngest first: '0-4', '5-9', …, '85-89', '90+'
BANDS: Final[tuple[str, ...]] = (*(f"{a}-{a + 4}" for a in range(0, 90, 5)), "90+")
#: the sexes drawn, in the order of the table (male on the left of a pyramid)
SEXES: Final[tuple[str, ...]] = ("male", "female")
PYRAMID_COLUMNS: Final[tuple[str, ...]] = ("age_band", "sex", "count", "share", "population",
                                           "rate_per_1000")
MAX_AGE: Final = 120
NO_POPULATION: Final = "no population by age and sex loaded: counts and shares only"

_SEX_NAMES: Final[dict[str, str]] = {"m": "male", "male": "male", "f": "female",
                                     "female": "female"}
# single years of age as the store holds them: '0'…'89' and '90+'
_SINGLE_YEARS: Final[dict[str, str]] = {**{str(a): BANDS[a // 5] for a in range(90)},
                                        "90+": "90+"}


def age_band(age: object) -> str:
    """The 5-year band of an age in whole years: 4 → '0-4', 5 → '5-9', 89 → '85-89', 90 → '90+'.

    Floats are floored (4.9 is 4 years old). Raises InputError for a value that is not a
    number, or an age below 0 or above 120.
    """
    if isinstance(age, bool) or not isinstance(age, Real) or math.isnan(float(age)):
        raise InputError(f"age_band: age {age!r} is not a number. "
                         "Fix: pass the age in years (e.g. 34), or leave it out when unknown.")
    years = float(age)
    if not 0 <= years <= MAX_AGE:
        raise InputError(f"age_band: age {age!r} is out of range (0 to {MAX_AGE}). "
                         "Fix: correct the age, or leave it blank when it is not known.")
    whole = int(years)
    return "90+" if whole >= 90 else BANDS[whole // 5]


def _sexes(values: pd.Series) -> pd.Series:
    """'male', 'female' or NA for anything else (unknown, other, blank)."""
    text = values.astype("string").str.strip().str.lower()
    return text.map(_SEX_NAMES, na_action="ignore").astype("string")


def _bands_from_ages(ages: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(ages, errors="coerce")
    bad = numbers[(numbers < 0) | (numbers > MAX_AGE)]
    if len(bad):
        row = bad.index[0]
        raise InputError(
            f"pyramid: {len(bad)} age(s) out of range (0 to {MAX_AGE}), e.g. {bad.iloc[0]!r} "
            f"in row {row!r}. Fix: correct the ages, or leave them blank when not known.")
    return numbers.map(age_band, na_action="ignore").astype("string")


def _bands_given(bands: pd.Series) -> pd.Series:
    text = bands.astype("string").str.strip().replace("", pd.NA)
    unknown = text.notna() & ~text.isin(BANDS)
    if unknown.any():
        raise InputError(
            f"pyramid: age_band {text[unknown].iloc[0]!r} is not a 5-year band "
            f"({BANDS[0]}, {BANDS[1]}, …, {BANDS[-1]}). Fix: give 'age' in years instead, "
            "or bands in that scheme.")
    return text


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _grid() -> pd.DataFrame:
    return pd.DataFrame([(b, s) for b in BANDS for s in SEXES], columns=["age_band", "sex"])


def _population_table(population: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("sex", "age_band", "population") if c not in population.columns]
    if missing:
        raise InputError(f"pyramid: the population lacks column(s) {', '.join(missing)}. "
                         "Fix: pass population_bands(...).table (sex, age_band, population).")
    table = pd.DataFrame({"sex": _sexes(population["sex"]),
                          "age_band": _bands_given(population["age_band"]),
                          "population": pd.to_numeric(population["population"],
                                                      errors="coerce")})
    table = table.dropna(subset=["sex", "age_band"])
    return table.groupby(["age_band", "sex"], as_index=False)["population"].sum(min_count=1)


def pyramid(people: pd.DataFrame, *, population: pd.DataFrame | None = None) -> pd.DataFrame:
    """People counted by 5-year age band and sex: one row per band and sex, 0 where none.

    ``people`` has ``sex`` and ``age`` in years (or ``age_band`` already in :data:`BANDS`),
    one row a person. Columns of the result: ``age_band`` (youngest first), ``sex`` (male,
    female), ``count``, ``share`` (fraction of the people of known age and sex),
    ``population`` and ``rate_per_1000`` (per 1,000 residents of that band and sex; NaN
    without a population). ``attrs``: ``notes`` (people left out, missing population),
    ``people`` (all rows), ``shown`` (known age and sex) and ``left_out``.
    """
    if "sex" not in people.columns or not {"age", "age_band"} & set(people.columns):
        raise InputError(
            "pyramid: the people need columns 'sex' and 'age' (or 'age_band'); they have "
            f"{', '.join(map(str, people.columns)) or 'none'}. Fix: select those columns.")
    sex = _sexes(people["sex"])
    band = (_bands_from_ages(people["age"]) if "age" in people.columns
            else _bands_given(people["age_band"]))
    no_sex, no_age = sex.isna(), band.isna()
    known = ~(no_sex | no_age)
    counts = (pd.DataFrame({"age_band": band[known], "sex": sex[known]})
              .value_counts().rename("count").reset_index())
    table = _grid().merge(counts.astype({"age_band": "object", "sex": "object"}),
                          on=["age_band", "sex"], how="left")
    table["count"] = table["count"].fillna(0).astype("int64")
    shown = int(known.sum())
    table["share"] = table["count"] / shown if shown else math.nan
    notes: list[str] = []
    if no_sex.any():
        notes.append(f"{_plural(int(no_sex.sum()), 'person', 'people')} with unknown sex "
                     "(not recorded as male or female) left out")
    if no_age.any():
        notes.append(f"{_plural(int(no_age.sum()), 'person', 'people')} with unknown age "
                     "left out")
    if (no_sex & no_age).any():
        notes.append(f"{int((no_sex & no_age).sum()):,} of them with neither age nor sex")
    notes.append(f"share: of the {_plural(shown, 'person', 'people')} of known age and sex")
    if population is None:
        table["population"] = math.nan
        notes.append(NO_POPULATION)
    else:
        table = table.merge(_population_table(population), on=["age_band", "sex"], how="left")
        gaps = table[table["population"].isna() | (table["population"] <= 0)]
        if len(gaps):
            notes.append(f"no population for {len(gaps)} of the {len(table)} bands by sex "
                         f"(e.g. {gaps['sex'].iloc[0]} {gaps['age_band'].iloc[0]}): "
                         "no rate there")
    table["population"] = table["population"].astype("float64")
    table["rate_per_1000"] = [
        math.nan if (r := rate_per_1000(c, None if math.isnan(p) else p)) is None else r
        for c, p in zip(table["count"], table["population"], strict=True)]
    table = table[list(PYRAMID_COLUMNS)].astype({"age_band": "object", "sex": "object",
                                                 "rate_per_1000": "float64"})
    table.attrs["notes"] = notes
    table.attrs["people"] = len(people)
    table.attrs["shown"] = shown
    table.attrs["left_out"] = len(people) - shown
    return table


@dataclass(frozen=True)
class PopulationBands:
    """Population by band and sex (``sex, age_band, population``), or None with the reason."""

    table: pd.DataFrame | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def population_bands(con: duckdb.DuckDBPyConnection, area_type: str,
                     codes: str | Iterable[str], year: int) -> PopulationBands:
    """The population of the areas ``codes`` (summed) in ``year`` by 5-year band and sex.

    Reads the store's ``population`` table. Per area and sex it uses single years of age
    (``0``…``89``, ``90+``) put into bands, or else bands already in :data:`BANDS`; an area
    without a full set for both sexes makes the total short, so then there is no table. When
    the areas have only ``persons`` rows there is no split by sex: no table either, and the
    note says so (pyramids then show counts and shares only).
    """
    wanted = [codes] if isinstance(codes, str) else [str(c) for c in codes]
    if not wanted:
        raise InputError("population_bands: no area codes given. Fix: pass one or more codes.")
    rows = con.execute(
        "SELECT area_code, sex, age_band, population FROM population "
        "WHERE area_type = $type AND year = $year AND area_code IN (SELECT unnest($codes))",
        {"type": area_type, "year": int(year), "codes": wanted}).df()
    where = f"{area_type} {year}" + (f" ({wanted[0]})" if len(wanted) == 1 else
                                     f" ({len(wanted)} areas)")
    if rows.empty:
        return PopulationBands(None, (f"no population loaded for {where}: "
                                      "counts and shares only",))
    split = rows[rows["sex"].isin(SEXES)]
    if split.empty:
        return PopulationBands(None, (
            f"the population loaded for {where} has no split by sex (persons only): "
            "no rates by age and sex, counts and shares only",))
    parts = []
    short = []
    for code in wanted:
        for sex in SEXES:
            own = split[(split["area_code"] == code) & (split["sex"] == sex)]
            single = own[own["age_band"].isin(list(_SINGLE_YEARS))]
            banded = own[own["age_band"].isin(BANDS)]
            if len(single) == len(_SINGLE_YEARS):
                parts.append(single.assign(age_band=single["age_band"].map(_SINGLE_YEARS)))
            elif len(banded) == len(BANDS):
                parts.append(banded)
            else:
                short.append(f"{code} {sex}")
    if short:
        return PopulationBands(None, (
            f"the population loaded for {where} lacks ages by sex for {len(short)} area(s) "
            f"and sex(es) (e.g. {short[0]}): no rates by age and sex, counts and shares only",))
    total = (pd.concat(parts).groupby(["sex", "age_band"], as_index=False)["population"].sum())
    table = _grid()[["sex", "age_band"]].merge(total, on=["sex", "age_band"], how="left")
    table["population"] = table["population"].astype("float64")
    return PopulationBands(table, (f"population: {where}, by 5-year band and sex",))


def compare(a: pd.DataFrame, b: pd.DataFrame, *,
            names: tuple[str, str] = ("area", "comparison")) -> pd.DataFrame:
    """Two pyramids side by side: ``age_band, sex``, then ``count, share, rate_per_1000`` of
    each with the suffix ``_<name>``, and ``share_difference`` (a's share minus b's, as a
    fraction). Shares compare areas of different size; counts do not.
    """
    if names[0] == names[1]:
        raise InputError(f"compare: the two names are the same ({names[0]!r}). "
                         "Fix: name them apart, e.g. ('Cambridge', 'Cambridgeshire').")
    values = ["count", "share", "rate_per_1000"]
    for frame, name in zip((a, b), names, strict=True):
        missing = [c for c in ("age_band", "sex", *values) if c not in frame.columns]
        if missing:
            raise InputError(f"compare: {name} lacks column(s) {', '.join(missing)}. "
                             "Fix: pass tables made by pyramid().")
    left = a[["age_band", "sex", *values]].rename(columns={v: f"{v}_{names[0]}" for v in values})
    right = b[["age_band", "sex", *values]].rename(columns={v: f"{v}_{names[1]}"
                                                           for v in values})
    table = _grid().merge(left, on=["age_band", "sex"], how="left").merge(
        right, on=["age_band", "sex"], how="left")
    table["share_difference"] = table[f"share_{names[0]}"] - table[f"share_{names[1]}"]
    table.attrs["notes"] = [*(f"{names[0]}: {n}" for n in a.attrs.get("notes", [])),
                            *(f"{names[1]}: {n}" for n in b.attrs.get("notes", []))]
    table.attrs["names"] = names
    return table


def record_people(store: Any, dataset: str, *, within: Any = None, period: Any = None,
                  categories: Iterable[str] | None = None,
                  police_uk: Iterable[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Victim and offender ages and sexes of a loaded partner data set (a police extract):
    all its records (in ``period``, of ``categories``, or of Home Office offence codes that
    police.uk publishes under the crime types ``police_uk``) and those inside ``within`` (an
    Area: district, CSP or PFA, matched by the records' district). Feed each to
    :func:`people`."""
    known = [r[0] for r in store.con.execute("SELECT dataset FROM datasets").fetchall()]
    if dataset not in known:
        raise InputError(f"data set {dataset!r} is not loaded. Loaded: "
                         f"{', '.join(known) or 'none'} (load one with 'commsafe load').")
    conds = ["dataset = ?"]
    params: list[object] = [dataset]
    if period is not None:
        conds.append("month BETWEEN ? AND ?")
        params += [period.start, period.end]
    cats = list(categories or [])
    if cats:
        conds.append("list_contains(?, category)")
        params.append(cats)
    if police_uk is not None:
        conds.append("list_contains(?, offence_code)")
        params.append(offence_codes_for(store, dataset, police_uk))
    rows = store.con.execute(
        "SELECT victim_age, victim_sex, offender_age, offender_sex, district_code, "
        "ward_code, lsoa_code, "
        "TRY_CAST(json_extract(attributes, '$.victim_age_from') AS INTEGER) AS victim_from, "
        "TRY_CAST(json_extract(attributes, '$.victim_age_to') AS INTEGER) AS victim_to, "
        "TRY_CAST(json_extract(attributes, '$.offender_age_from') AS INTEGER) "
        "AS offender_from, "
        "TRY_CAST(json_extract(attributes, '$.offender_age_to') AS INTEGER) AS offender_to "
        "FROM records WHERE " + " AND ".join(conds), params).df()
    if rows.empty:
        raise InputError(f"data set {dataset!r} has no records for this selection: nothing "
                         "to draw. Check the period and categories.")
    if within is None:
        return rows, rows
    from commsafe.reference.areas import districts_within

    return rows, rows[rows["district_code"].isin(districts_within(store.con, within))]


def people(frame: pd.DataFrame, who: str) -> pd.DataFrame:
    """``age``, ``sex`` of the ``who`` ("victim" or "offender") of :func:`record_people` rows.
    An age given as a declared band counts when the band lies within one 5-year band of the
    pyramid (or is 90+); a wider band is an unknown age."""
    first, last = frame[f"{who}_from"], frame[f"{who}_to"]
    fits = first.notna() & ((first // 5 == last // 5) | (first >= 90))
    age = frame[f"{who}_age"].astype("Float64").where(
        frame[f"{who}_age"].notna(), first.where(fits).astype("Float64"))
    return pd.DataFrame({"age": age.astype(float), "sex": frame[f"{who}_sex"]})


def offence_codes_for(store: Any, dataset: str, police_uk: Iterable[str]) -> list[str]:
    """The offence codes written in ``dataset`` whose Home Office offence police.uk publishes
    under one of the crime types ``police_uk`` (codes as the data set writes them)."""
    from commsafe.hierarchy import find_group, group_for_offence_code

    wanted = set(police_uk)
    found = []
    for (code,) in store.con.execute(
            "SELECT DISTINCT offence_code FROM records WHERE dataset = ? AND offence_code IS "
            "NOT NULL", [dataset]).fetchall():
        group = group_for_offence_code(str(code))
        while group is not None and group.police_uk is None and group.parent:
            group = find_group(group.parent)
        if group is not None and group.police_uk in wanted:
            found.append(str(code))
    return sorted(found)
