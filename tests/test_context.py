"""The countywide view: funnel limits and classes (known answers), over-dispersion, and the
table and funnel chart for Newcastle upon Tyne among the CSPs of Northumbria on real data."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, poisson

from commsafe import periods, taxonomy
from commsafe.errors import InputError
from commsafe.measures.context import (
    ALL_CATEGORIES,
    CONTEXT_COLUMNS,
    FUNNEL_CLASSES,
    above_limit,
    context_table,
    estimate_overdispersion,
    funnel_class,
    funnel_limits,
)
from commsafe.outputs.charts import funnel_chart
from commsafe.reference.loader import load_reference
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest


def _smoothed(p: float, expected: float) -> float:
    """Spiegelhalter's interpolated Poisson quantile, by hand."""
    r = float(poisson.ppf(p, expected))
    f_r, f_before = poisson.cdf(r, expected), poisson.cdf(r - 1, expected)
    return r - (f_r - p) / (f_r - f_before)


@pytest.mark.parametrize("population", [5000.0, 123_456.0])
def test_poisson_limits_are_the_exact_quantiles(population: float) -> None:
    rate = 10.0
    expected = rate * population / 1000
    lim = funnel_limits(rate, population)
    for name, (lo, hi) in {"95": (0.025, 0.975), "998": (0.001, 0.999)}.items():
        for side, p in (("lower", lo), ("upper", hi)):
            got = float(lim[f"{side}_{name}"])
            assert got == pytest.approx(_smoothed(p, expected) / population * 1000, rel=1e-12)
            # between the quantile and the whole count below it
            r = float(poisson.ppf(p, expected))
            assert (r - 1) / population * 1000 <= got <= r / population * 1000
    assert lim["target"] == rate and lim["overdispersion"] is None


def test_poisson_limits_known_values_at_50_expected() -> None:
    # E = 50: the 2.5%, 97.5%, 0.1% and 99.9% Poisson quantiles are 37, 64, 30 and 73
    assert [poisson.ppf(p, 50) for p in (0.025, 0.975, 0.001, 0.999)] == [37, 64, 30, 73]
    lim = funnel_limits(10.0, 5000)
    assert 36 / 5 < float(lim["lower_95"]) <= 37 / 5
    assert 63 / 5 < float(lim["upper_95"]) <= 64 / 5
    assert 29 / 5 < float(lim["lower_998"]) <= 30 / 5
    assert 72 / 5 < float(lim["upper_998"]) <= 73 / 5


def test_limits_vectorised_and_narrow_with_population() -> None:
    pops = np.array([1000.0, 10_000.0, 100_000.0, 0.0])
    lim = funnel_limits(20.0, pops)
    assert lim["upper_95"].shape == (4,)
    width = lim["upper_998"] - lim["lower_998"]
    assert width[0] > width[1] > width[2]
    assert np.isnan(lim["upper_95"][3])
    assert np.all(lim["lower_998"][:3] <= lim["lower_95"][:3])
    assert np.all(lim["upper_95"][:3] <= lim["upper_998"][:3])


def test_overdispersed_limits_are_normal_and_widened() -> None:
    rate, pop, phi = 10.0, 5000.0, 4.0
    se = math.sqrt(rate * pop / 1000) / pop * 1000
    lim = funnel_limits(rate, pop, overdispersion=phi)
    assert float(lim["upper_95"]) == pytest.approx(rate + norm.ppf(0.975) * 2 * se)
    assert float(lim["lower_95"]) == pytest.approx(rate - norm.ppf(0.975) * 2 * se)
    assert float(lim["upper_998"]) == pytest.approx(rate + norm.ppf(0.999) * 2 * se)
    assert float(lim["upper_998"]) == pytest.approx(rate + 3.090232 * 2 * se, rel=1e-6)
    # a tiny area: the lower limit stops at 0
    assert float(funnel_limits(rate, 10, overdispersion=phi)["lower_998"]) == 0.0
    # φ ≤ 1: Poisson limits
    assert funnel_limits(rate, pop, overdispersion=0.8)["upper_95"] == pytest.approx(
        funnel_limits(rate, pop)["upper_95"])


def test_bad_limits_input() -> None:
    with pytest.raises(InputError):
        funnel_limits(-1.0, 100)
    with pytest.raises(InputError):
        funnel_limits(1.0, 100, overdispersion=0)
    with pytest.raises(InputError):
        funnel_class(3, 0, 1.0)


@pytest.mark.parametrize(("count", "expected"), [
    (25, "below 99.8%"), (30, "below 95%"), (36, "below 95%"), (37, "within"), (50, "within"),
    (63, "within"), (64, "above 95%"), (72, "above 95%"), (73, "above 99.8%"),
    (80, "above 99.8%"),
])
def test_funnel_classes_at_50_expected(count: int, expected: str) -> None:
    # limits (as counts) 36.x, 63.x (95%) and 29.x, 72.x (99.8%): strictly beyond is outside
    assert funnel_class(count, 5000, 10.0) == expected
    assert expected in FUNNEL_CLASSES


def test_funnel_class_with_overdispersion_is_wider() -> None:
    assert funnel_class(80, 5000, 10.0) == "above 99.8%"
    # with φ = 4: 95% limit 10 + 1.96 × 2 × 1.414 = 15.54, 99.8% 18.74 → 80/5 = 16
    assert funnel_class(80, 5000, 10.0, phi=4.0) == "above 95%"
    assert funnel_class(50, 5000, 10.0, phi=4.0) == "within"


def test_overdispersion_hand_made() -> None:
    # E = 12.5 each: z² sum = (0.25 + 20.25 + 6.25 + 56.25) / 12.5 = 6.64, φ = 6.64 / 3
    phi = estimate_overdispersion([12, 8, 10, 20], [1000, 1000, 1000, 1000], 12.5)
    assert phi == pytest.approx(6.64 / 3)
    # exactly at the expected counts: no dispersion at all
    assert estimate_overdispersion([10, 20, 30], [1000, 2000, 3000], 10.0) == 0.0
    # an area without population is left out
    assert estimate_overdispersion([12, 8, 10, 20, 99], [1000, 1000, 1000, 1000, np.nan],
                                   12.5) == pytest.approx(6.64 / 3)
    # winsorised at 25%/75%: z clipped at its quartiles, so smaller
    assert estimate_overdispersion([12, 8, 10, 20], [1000] * 4, 12.5, winsorise=0.25) < phi
    with pytest.raises(InputError):
        estimate_overdispersion([1], [1000], 1.0)


def test_above_limit_on_a_hand_frame() -> None:
    frame = pd.DataFrame({
        "level": ["pfa", "csp", "csp", "pfa", "csp", "csp", "pfa", "csp"],
        "area_code": ["P", "A", "B", "P", "A", "B", "P", "A"],
        "area_name": ["Force", "Alpha", "Beta", "Force", "Alpha", "Beta", "Force", "Alpha"],
        "category": ["All crime"] * 3 + ["Burglary"] * 3 + ["Drugs"] * 2,
        "funnel": ["", "above 99.8%", "below 95%", "", "above 95%", "within", "",
                   "above 99.8%"],
    })
    assert above_limit(frame, area_code="A") == ["All crime", "Drugs"]
    assert above_limit(frame, "above 95%", area_code="alpha") == ["All crime", "Burglary",
                                                                   "Drugs"]
    assert above_limit(frame, "below 95%", area_code="B") == ["All crime"]
    with pytest.raises(InputError):
        above_limit(frame, "above 90%", area_code="A")
    with pytest.raises(InputError):
        above_limit(frame, area_code="P")


# --- real data: Northumbria 2020-05 … 2023-02 -------------------------------------------

FOLDER = "police-uk/northumbria-2020-23"
REFERENCE = ("geography/lookup_lsoa21_ward24_ltla24.csv",
             "geography/lookup_ltla24_csp24_pfa24.csv",
             "geography/lookup_lsoa11_lsoa21_ltla22.csv",
             "population/census2021_lsoa21_usual_residents.csv")
CSPS = {"Newcastle upon Tyne", "Gateshead", "North Tyneside", "South Tyneside", "Sunderland",
        "Northumberland"}
YEAR = periods.month_range(date(2022, 3, 1), date(2023, 2, 1))


@pytest.fixture(scope="module")
def northumbria(shared_data: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    st = open_store(tmp_path_factory.mktemp("context") / "store.duckdb")
    load_reference(st, [shared_data / r for r in REFERENCE])
    result = ingest(st, [shared_data / FOLDER])
    assert not result.failures
    yield st
    st.close()


@pytest.fixture(scope="module")
def table(northumbria: Store) -> tuple[pd.DataFrame, list[str]]:
    return context_table(northumbria, "Newcastle upon Tyne", period_months=YEAR,
                         categories=ALL_CATEGORIES)


def test_real_rows_per_category(table: tuple[pd.DataFrame, list[str]]) -> None:
    frame, _ = table
    assert list(frame.columns) == list(CONTEXT_COLUMNS)
    assert set(frame["category"]) == {"All crime", taxonomy.ASB, *taxonomy.CRIME_TYPES}
    for _, rows in frame.groupby("category"):
        assert (rows["level"] == "csp").sum() == 6
        assert (rows["level"] == "pfa").sum() == 1
        csp = rows[rows["level"] == "csp"]
        assert set(csp["area_name"]) == CSPS
        assert sorted(csp["rank"]) == list(range(1, 7))  # no ties on real data
        assert set(csp["funnel"]) <= set(FUNNEL_CLASSES)
        assert rows.loc[rows["level"] == "pfa", "funnel"].tolist() == [""]
        assert csp["residents"].sum() == pytest.approx(
            rows.loc[rows["level"] == "pfa", "residents"].iloc[0])
    assert set(frame["period"]) == {"March 2022 to February 2023"}


def test_real_counts_add_up(northumbria: Store, table: tuple[pd.DataFrame, list[str]]) -> None:
    frame, notes = table
    force_all = frame[(frame["level"] == "pfa") & (frame["category"] == "All crime")]
    csp_all = frame[(frame["level"] == "csp") & (frame["category"] == "All crime")]
    # the force area's count is its CSPs' counts (they tile it)
    assert int(csp_all["count"].sum()) == int(force_all["count"].iloc[0])
    # everything the force recorded = its CSPs' counts + events outside all of them
    codes = list(csp_all["area_code"])
    row = northumbria.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE csp_code IS NULL OR NOT "
        "list_contains(?, csp_code)) FROM events WHERE force = 'northumbria' AND NOT is_asb "
        "AND list_contains(?, month)", [codes, YEAR]).fetchone()
    assert row is not None
    recorded, outside = row
    assert int(csp_all["count"].sum()) == recorded - outside
    assert outside > 0
    assert any("in none of the CSPs of Northumbria" in n for n in notes)
    # categories add up to all crime for every CSP
    crimes = frame[frame["category"].isin(taxonomy.CRIME_TYPES)]
    by_csp = crimes[crimes["level"] == "csp"].groupby("area_code")["count"].sum()
    assert by_csp.to_dict() == dict(zip(csp_all["area_code"], csp_all["count"], strict=True))


def test_real_count_matches_the_raw_files(shared_data: Path, northumbria: Store) -> None:
    months = periods.month_range(date(2022, 3, 1), date(2022, 12, 1))
    frame, _ = context_table(northumbria, "E22000245", period_months=months,
                             categories=["All crime", "Burglary"])
    raw = {"All crime": 0, "Burglary": 0}
    for m in months:
        label = periods.month_label(m)
        f = shared_data / FOLDER / label / f"{label}-northumbria-street.csv"
        with f.open(newline="", encoding="utf-8-sig") as h:
            for r in csv.DictReader(h):
                if r["LSOA name"].startswith("Newcastle upon Tyne "):
                    if r["Crime type"] != taxonomy.ASB:
                        raw["All crime"] += 1
                    if r["Crime type"] == "Burglary":
                        raw["Burglary"] += 1
    mine = frame[frame["area_name"] == "Newcastle upon Tyne"].set_index("category")["count"]
    assert mine.to_dict() == raw
    assert raw["All crime"] > 20_000


def test_real_funnel_classes_and_notes(table: tuple[pd.DataFrame, list[str]]) -> None:
    frame, notes = table
    assert any("population for 2022 is not loaded" in n for n in notes)
    used = frame.attrs["overdispersion"]
    for (pfa, category), phi in used.items():
        assert pfa == "E23000007" and phi > 1.5
        assert sum(f"{category} {phi:.1f}" in n and "widened by √φ" in n for n in notes) == 1
    # six CSPs far apart: every category is over-dispersed, and with the widened limits
    # Newcastle upon Tyne is above no 99.8% limit (it is above all Poisson ones but one)
    assert set(c for _, c in used) == set(ALL_CATEGORIES)
    assert above_limit(frame, area_code="Newcastle upon Tyne") == []
    force = frame[frame["level"] == "pfa"].set_index("category")["rate_per_1000"]
    mine = frame[frame["area_name"] == "Newcastle upon Tyne"]
    poisson_only = {r.category: funnel_class(r.count, r.residents, force[r.category])
                    for r in mine.itertuples()}
    assert poisson_only.pop("Other crime") == "below 95%"
    assert set(poisson_only.values()) == {"above 99.8%"}


def test_real_funnel_chart(table: tuple[pd.DataFrame, list[str]], tmp_path: Path) -> None:
    frame, _ = table
    paths = funnel_chart(frame, category="All crime", highlight="Newcastle upon Tyne",
                         title="All crime per 1,000 residents: CSPs of Northumbria",
                         source="Source: police.uk street-level crime data; commsafe",
                         out_stem=tmp_path / "funnel")
    assert [p.name for p in paths] == ["funnel.png", "funnel.svg"]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    assert "Newcastle upon Tyne" in paths[1].read_text(encoding="utf-8")
    with pytest.raises(InputError):
        funnel_chart(frame, category="All crime", highlight="Durham", title="x", source="s",
                     out_stem=tmp_path / "bad")


def test_unknown_category(northumbria: Store) -> None:
    with pytest.raises(InputError):
        context_table(northumbria, "Newcastle upon Tyne", period_months=YEAR,
                      categories=["Burglry"])
