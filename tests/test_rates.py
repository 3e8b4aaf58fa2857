"""Rates per 1,000 by area: hand-checked geography, and Cambridge's wards on real data."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from commsafe import periods
from commsafe.cli import main
from commsafe.measures.intervals import poisson_ci
from commsafe.measures.rates import RATE_COLUMNS, rates_table
from commsafe.reference.areas import area_population, find_area
from commsafe.reference.population import insert_population
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Store]:
    """Two wards of one district/CSP: W1 = LSOAs A (1,000) + B (1,500); W2 = C (no pop)."""
    st = open_store(tmp_path / "s.duckdb")
    con = st.con
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2021, 0)", [
        ("lsoa21", "E01000001", "A"), ("lsoa21", "E01000002", "B"),
        ("lsoa21", "E01000003", "C"), ("ward", "E05000001", "North"),
        ("ward", "E05000002", "South"), ("ward", "E05000003", "Empty"),
        ("district", "E07000001", "Testshire"), ("csp", "E22000001", "Testshire CSP")])
    links = [("lsoa21", "E01000001", "ward", "E05000001"),
             ("lsoa21", "E01000002", "ward", "E05000001"),
             ("lsoa21", "E01000003", "ward", "E05000002"),
             ("district", "E07000001", "csp", "E22000001")]
    links += [("lsoa21", c, "district", "E07000001")
              for c in ("E01000001", "E01000002", "E01000003")]
    con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    insert_population(con, [("lsoa21", c, 2021, "persons", "all", 0, None, p, "census2021", 0)
                    for c, p in [("E01000001", 1000), ("E01000002", 1500)]])
    rows = ([("E01000001", "Burglary")] * 20 + [("E01000002", "Burglary")] * 5
            + [("E01000003", "Drugs")] * 3 + [("E01000001", "Anti-social behaviour")] * 7)
    body = "".join(f"{'' if cat.startswith('Anti') else f'id{i}'},2024-05,T,T,0.1,52.1,"
                   f"On or near X,{code},n,{cat},,\n" for i, (code, cat) in enumerate(rows))
    (tmp_path / "2024-05-testforce-street.csv").write_text(HEAD + body, encoding="utf-8")
    ingest(st, [tmp_path / "2024-05-testforce-street.csv"])
    yield st
    st.close()


def test_rates_by_ward_known_answers(small: Store) -> None:
    within = find_area(small.con, "Testshire CSP")
    frame = rates_table(small, "ward", period=periods.parse_period("calendar_year", "2024"),
                        within=within)
    assert tuple(frame.columns) == RATE_COLUMNS
    rows = {r["area_code"]: r for r in frame.to_dict("records")}
    north, south = rows["E05000001"], rows["E05000002"]
    assert (north["count"], north["population"]) == (25, 2500)
    assert north["rate_per_1000"] == pytest.approx(10.0)
    low, high = poisson_ci(25)
    assert (north["rate_ci_low"], north["rate_ci_high"]) == pytest.approx(
        (low / 2.5, high / 2.5))
    # no population: counted, no rate, never a division by zero
    assert south["count"] == 3
    assert pd.isna(south["population"]) and pd.isna(south["rate_per_1000"])
    assert north["share"] == pytest.approx(25 / 28) and north["rank"] == 1
    assert "E05000003" not in rows  # a ward with no LSOA in the CSP is not inside it
    notes = " ".join(frame.attrs["notes"])
    assert "nearest year loaded, 2021" in notes and "no population for 1 area" in notes


def test_no_population_reads_so_in_every_format(small: Store, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    small.close()
    store = str(tmp_path / "s.duckdb")
    for fmt in ("csv", "md"):
        capsys.readouterr()
        assert main(["table", "rates", "--by", "ward", "--period", "2024", "--format", fmt,
                     "--store", store]) == 0
        south = next(line for line in capsys.readouterr().out.splitlines() if "South" in line)
        assert "no population" in south


def test_asb_only_and_categories(small: Store) -> None:
    period = periods.parse_period("quarter", "2024 Q2")
    asb = rates_table(small, "ward", period=period, asb_only=True)
    assert asb.set_index("area_code").loc["E05000001", "count"] == 7
    drugs = rates_table(small, "district", period=period, categories=["drugs"])
    assert drugs.set_index("area_code").loc["E07000001", "count"] == 3


def test_harm_beside_counts_and_rates(small: Store, tmp_path: Path) -> None:
    from commsafe.measures.harm import load_weights

    w = tmp_path / "w.csv"
    w.write_text("category,weight\nBurglary,250\n", encoding="utf-8")
    frame = rates_table(small, "ward", period=periods.parse_period("calendar_year", "2024"),
                        harm=load_weights(w))
    north = frame.set_index("area_code").loc["E05000001"]
    assert north["harm"] == 25 * 250 and north["harm_per_1000"] == pytest.approx(2500.0)
    assert list(frame.columns[-2:]) == ["harm", "harm_per_1000"]
    assert any("Drugs" in n for n in frame.attrs["notes"])


def test_area_population_of_a_csp_sums_its_lsoas(small: Store) -> None:
    pop = area_population(small.con, "csp", 2021)
    assert pop.get("E22000001") == 2500 and pop.note is None


@pytest.fixture(scope="module")
def cambridge(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    geo = shared_data / "geography"
    path = tmp_path_factory.mktemp("cam") / "s.duckdb"
    refs = [geo / "lookup_lsoa21_ward24_ltla24.csv", geo / "lookup_ltla24_csp24_pfa24.csv",
            shared_data / "population" / "census2021_lsoa21_usual_residents.csv"]
    assert main(["reference", "load", *map(str, refs), "--store", str(path), "--quiet"]) == 0
    assert main(["ingest", str(shared_data / "police-uk" / "cambridgeshire-2024"),
                 "--store", str(path), "--quiet"]) == 0
    return path


def test_cambridge_wards_2024_against_a_recount(shared_data: Path, cambridge: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    geo = shared_data / "geography"
    with (geo / "lookup_lsoa21_ward24_ltla24.csv").open(newline="", encoding="utf-8") as fh:
        lookup = list(csv.DictReader(fh))
    ward_of = {r["lsoa21_code"]: r["ward24_code"] for r in lookup
               if r["ltla24_code"] == "E07000008"}
    with (shared_data / "population" / "census2021_lsoa21_usual_residents.csv").open(
            newline="", encoding="utf-8") as fh:
        residents = {r["lsoa21_code"]: int(r["total_residents"]) for r in csv.DictReader(fh)}
    expected_pop: Counter[str] = Counter()
    for lsoa, ward in ward_of.items():
        expected_pop[ward] += residents[lsoa]
    expected: Counter[str] = Counter()
    for f in sorted((shared_data / "police-uk" / "cambridgeshire-2024").rglob("*street.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["Crime type"] != "Anti-social behaviour" and r["LSOA code"] in ward_of:
                    expected[ward_of[r["LSOA code"]]] += 1
    capsys.readouterr()
    assert main(["table", "rates", "--by", "ward", "--area", "Cambridge", "--period", "2024",
                 "--format", "csv", "--store", str(cambridge)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 14 == len(expected_pop)
    assert {r["area_code"]: int(r["count"]) for r in rows} == dict(expected)
    assert {r["area_code"]: int(float(r["population"])) for r in rows} == dict(expected_pop)
    assert sum(expected_pop.values()) == 145_670  # Cambridge, Census 2021
    top = rows[0]
    assert top["area_name"] == "Market" and top["rank"] == "1"
    assert float(top["rate_per_1000"]) == pytest.approx(
        1000 * expected["E05013057"] / expected_pop["E05013057"], abs=0.05)


def test_table_areas_modes_through_the_cli(small: Store, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    small.close()
    store = str(tmp_path / "s.duckdb")
    capsys.readouterr()
    assert main(["table", "areas", "--by", "ward", "--period", "2024", "--format", "csv",
                 "--store", store]) == 0
    out = capsys.readouterr()
    header = out.out.splitlines()[0]
    assert header == ",".join(RATE_COLUMNS)
    assert "All crimes in 2024 have a location" in out.err  # the data-quality note
    assert main(["table", "areas", "--by", "ward", "--years", "2023:2024", "--store",
                 store]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "The wards with the highest annual average instances of crimes were North" in text
    assert main(["table", "areas", "--by", "ward", "--store", store]) == 2
    assert "exactly one of --period" in capsys.readouterr().err


def test_map_rates_writes_a_choropleth(small: Store, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import shapely

    boxes = {"E05000001": (0.0, 52.0, 0.1, 52.1), "E05000002": (0.1, 52.0, 0.2, 52.1)}
    small.con.executemany(
        "INSERT INTO boundaries VALUES ('ward', ?, NULL, 2024, ?, ?, ?, ?, ?, 0)",
        [(c, shapely.to_wkb(shapely.box(*b)), *b) for c, b in boxes.items()])
    small.close()
    out_dir = tmp_path / "maps"
    capsys.readouterr()
    assert main(["map", "rates", "--by", "ward", "--period", "2024", "--out", str(out_dir),
                 "--store", str(tmp_path / "s.duckdb")]) == 0
    assert (out_dir / "map_ward_rate_per_1000.png").stat().st_size > 10_000
    svg = (out_dir / "map_ward_rate_per_1000.svg").read_text(encoding="utf-8")
    assert "No population" in svg and "per 1,000" in svg
    table = (out_dir / "map_ward_rate_per_1000.csv").read_text(encoding="utf-8")
    assert table.splitlines()[0] == ",".join(RATE_COLUMNS)
