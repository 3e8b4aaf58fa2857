"""Vulnerable locations: z-scores, the weighted composite and top-decile flags, by hand."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from statistics import mean, pstdev

import pandas as pd
import pytest

from commsafe import periods
from commsafe.errors import InputError
from commsafe.measures.areas import area_names
from commsafe.reference.areas import find_area
from commsafe.spatial.vulnerable import layers_from_store, vulnerable_locations
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest

V, ASB, N = "Violence and sexual offences", "ASB", "Needle finds"
AREAS = ("a", "b", "c", "d", "e", "f")


def layers() -> dict[str, pd.Series]:
    return {
        V: pd.Series({"a": 9, "b": 7, "c": 5, "d": 3, "e": 1}),
        ASB: pd.Series({"a": 2, "b": 8, "c": 4, "d": 6}),  # e and f: none listed → 0
        N: pd.Series({"b": 10, "f": 3}),
    }


def hand_z(values: dict[str, float]) -> dict[str, float]:
    m, sd = mean(values.values()), pstdev(values.values())
    return {k: (v - m) / sd for k, v in values.items()}


def filled(series: pd.Series) -> dict[str, float]:
    return {a: float(series.get(a, 0)) for a in AREAS}


def test_composite_equals_a_hand_computation() -> None:
    frame = vulnerable_locations(layers(), names={"a": "Abbey", "b": "Market"})
    z = {name: hand_z(filled(s)) for name, s in layers().items()}
    expected = {a: (z[V][a] + z[ASB][a] + z[N][a]) / 3 for a in AREAS}
    rows = frame.set_index("area_code")
    assert set(rows.index) == set(AREAS)  # the union of the layers' areas
    for a in AREAS:
        assert rows.loc[a, "composite"] == pytest.approx(expected[a])
        assert rows.loc[a, f"{V} score"] == pytest.approx(z[V][a])
    assert rows.loc["f", f"{V} count"] == 0 and rows.loc["e", f"{ASB} count"] == 0
    assert rows.loc["a", "area_name"] == "Abbey" and rows.loc["c", "area_name"] is None
    order = sorted(AREAS, key=lambda a: -expected[a])
    assert list(frame["area_code"]) == order
    assert list(frame["rank"]) == [1, 2, 3, 4, 5, 6]
    assert list(frame.columns) == [
        "area_code", "area_name", f"{V} count", f"{V} score", f"{ASB} count", f"{ASB} score",
        f"{N} count", f"{N} score", "composite", "rank", "top_decile_layers", "flag"]
    notes = " | ".join(frame.attrs["notes"])
    assert "equal weights" in notes and "z-score across the 6 areas" in notes


def test_flags_areas_high_on_two_layers() -> None:
    frame = vulnerable_locations(layers()).set_index("area_code")
    # 6 areas: the top decile is the single highest area of each layer
    # violence: a (9); ASB: b (8); needles: b (10)
    assert frame["top_decile_layers"].to_dict() == {"a": 1, "b": 2, "c": 0, "d": 0, "e": 0,
                                                    "f": 0}
    assert frame.index[frame["flag"]].tolist() == ["b"]
    one = vulnerable_locations(layers(), min_layers=1).set_index("area_code")
    assert sorted(one.index[one["flag"]]) == ["a", "b"]


def test_weights_and_ties_at_the_decile() -> None:
    weights = {V: 2.0, ASB: 1.0, N: 1.0}
    frame = vulnerable_locations(layers(), weights=weights).set_index("area_code")
    z = {name: hand_z(filled(s)) for name, s in layers().items()}
    for a in AREAS:
        assert frame.loc[a, "composite"] == pytest.approx(
            (2 * z[V][a] + z[ASB][a] + z[N][a]) / 4)
    assert "weights Violence and sexual offences 2, ASB 1, Needle finds 1" in " ".join(
        frame.attrs["notes"])
    tied = vulnerable_locations({"x": pd.Series({"a": 5, "b": 5, "c": 1})}, min_layers=1)
    assert sorted(tied.loc[tied["flag"], "area_code"]) == ["a", "b"]
    assert list(tied["rank"]) == [1, 1, 3]
    flat = vulnerable_locations({"x": pd.Series({"a": 2, "b": 2}), "y": pd.Series({"a": 1})})
    assert flat.set_index("area_code").loc["b", "x score"] == 0.0
    assert any("x: the same in every area" in n for n in flat.attrs["notes"])


def test_rates_per_1000_before_standardising() -> None:
    population = {"a": 1000, "b": 2000, "c": 500, "d": 1000, "e": 1000}  # f: none
    frame = vulnerable_locations(layers(), population=population).set_index("area_code")
    rates = {name: {a: filled(s)[a] * 1000 / population[a] for a in population}
             for name, s in layers().items()}
    z = {name: hand_z(r) for name, r in rates.items()}
    for a in population:
        assert frame.loc[a, f"{V} rate_per_1000"] == pytest.approx(rates[V][a])
        assert frame.loc[a, "composite"] == pytest.approx(
            (z[V][a] + z[ASB][a] + z[N][a]) / 3)
    # no population: no rate, no score, ranked last
    assert math.isnan(frame.loc["f", "composite"]) and pd.isna(frame.loc["f", "rank"])
    assert frame.index[-1] == "f"
    # rates: violence c (10 per 1,000), ASB c (8), needles b (5): c is flagged
    assert frame.index[frame["flag"]].tolist() == ["c"]
    assert any("no population for 1 area(s) (f)" in n for n in frame.attrs["notes"])


def test_bad_layers_and_weights() -> None:
    with pytest.raises(InputError, match="layers is empty"):
        vulnerable_locations({})
    with pytest.raises(InputError, match="no weight for 'ASB'"):
        vulnerable_locations(layers(), weights={V: 1, N: 1})
    with pytest.raises(InputError, match="no layer called 'Drugs'"):
        vulnerable_locations(layers(), weights={V: 1, N: 1, ASB: 1, "Drugs": 1})
    with pytest.raises(InputError, match="≥ 0"):
        vulnerable_locations({"x": pd.Series({"a": -1})})
    with pytest.raises(InputError, match="listed twice"):
        vulnerable_locations({"x": pd.Series([1, 2], index=["a", "a"])})
    with pytest.raises(InputError, match="every weight is 0"):
        vulnerable_locations({"x": pd.Series({"a": 1})}, weights={"x": 0})


# --------------------------------------------------------------------------- from the store

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Store]:
    """Wards North (LSOA A), South (B) and Quiet (C) in Testshire CSP."""
    st = open_store(tmp_path / "s.duckdb")
    lsoas = {"E01000001": "E05000001", "E01000002": "E05000002", "E01000003": "E05000003"}
    st.con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2021, 0)", [
        *[("lsoa21", code, code) for code in lsoas],
        ("ward", "E05000001", "North"), ("ward", "E05000002", "South"),
        ("ward", "E05000003", "Quiet"), ("district", "E07000001", "Testshire"),
        ("csp", "E22000001", "Testshire CSP")])
    links = [("lsoa21", code, "ward", ward) for code, ward in lsoas.items()]
    links += [("lsoa21", code, "district", "E07000001") for code in lsoas]
    links.append(("district", "E07000001", "csp", "E22000001"))
    st.con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    rows = ([("E01000001", "Violence and sexual offences")] * 6
            + [("E01000002", "Violence and sexual offences")] * 2
            + [("E01000001", "Anti-social behaviour")] * 4
            + [("E01000002", "Anti-social behaviour")] * 1
            + [("E01000003", "Burglary")] * 3)
    body = "".join(f"{'' if c.startswith('Anti') else f'id{i}'},2024-03,T,T,0.1,52.1,"
                   f"On or near X,{code},n,{c},,\n" for i, (code, c) in enumerate(rows))
    (tmp_path / "2024-03-testforce-street.csv").write_text(HEAD + body, encoding="utf-8")
    assert ingest(st, [tmp_path / "2024-03-testforce-street.csv"]).ok
    yield st
    st.close()


def test_layers_from_the_store(small: Store) -> None:
    spec: dict[str, dict[str, object]] = {
        V: {"categories": ["Violence and sexual offences"]}, ASB: {"asb_only": True}}
    csp = find_area(small.con, "Testshire CSP")
    got = layers_from_store(small, "ward", periods.parse_period("calendar_year", "2024"), spec,
                            within=csp)
    assert got[V].to_dict() == {"E05000001": 6, "E05000002": 2, "E05000003": 0}
    assert got[ASB].to_dict() == {"E05000001": 4, "E05000002": 1, "E05000003": 0}
    frame = vulnerable_locations(got, names=area_names(small, "ward"))
    assert list(frame["area_name"]) == ["North", "South", "Quiet"]
    # 3 areas: the top decile is the highest one; North tops both layers
    assert frame["flag"].tolist() == [True, False, False]
    with pytest.raises(InputError, match="unknown setting"):
        layers_from_store(small, "ward", periods.parse_period("calendar_year", "2024"),
                          {"x": {"category": ["Drugs"]}})
