"""Where: annual averages, changes, top locations and data quality, with hand-checked answers."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import binomtest

from commsafe import periods
from commsafe.cli import main
from commsafe.errors import InputError, QueryError
from commsafe.findings import quality_sentence, top_areas_sentence
from commsafe.measures.areas import (
    ANNUAL_COLUMNS,
    CHANGE_COLUMNS,
    LOCATION_COLUMNS,
    annual_average_by_area,
    change_by_area,
    count_by_area,
    data_quality,
    forces_covering,
    months_with_data,
    top_locations,
)
from commsafe.reference.areas import find_area
from commsafe.reference.population import insert_population
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")
A, B, C, D = "E01000001", "E01000002", "E01000003", "E01000004"
NORTH, SOUTH, EMPTY, FARAWAY = "E05000001", "E05000002", "E05000003", "E05000004"
NOWHERE = "E01999999"  # an LSOA code no loaded lookup knows: the event stays unresolved
NO_LOC = None

# (force, month) -> [(lsoa or NO_LOC, category, how many, location)]
EVENTS: dict[tuple[str, str], list[tuple[str | None, str, int, str]]] = {
    ("testforce", "2022-01"): [
        (A, "Burglary", 6, "On or near Market Street"),
        (C, "Burglary", 2, "On or near Mill Road"),
        (A, "Anti-social behaviour", 3, "On or near Market Street"),
        (NO_LOC, "Anti-social behaviour", 1, ""),
        (NO_LOC, "Burglary", 1, ""),
    ],
    ("testforce", "2024-01"): [
        (A, "Burglary", 5, "On or near Market Street"),
        (B, "Burglary", 2, "On or near Park Lane"),
        (C, "Burglary", 3, "On or near Mill Road"),
        (A, "Anti-social behaviour", 2, "On or near Market Street"),
        (NO_LOC, "Burglary", 2, ""),
        (NO_LOC, "Anti-social behaviour", 1, ""),
    ],
    ("testforce", "2024-07"): [
        (A, "Drugs", 3, "On or near Station Road"),
        (C, "Drugs", 1, "On or near Mill Road"),
        (C, "Burglary", 4, "On or near Station Road"),
        (NOWHERE, "Burglary", 1, "On or near Nowhere"),
    ],
    # a neighbouring force: its own area D, one stray event in C, three without location
    ("otherforce", "2024-01"): [
        (D, "Burglary", 5, "On or near Station Road"),
        (C, "Burglary", 1, "On or near Mill Road"),
        (NO_LOC, "Burglary", 3, ""),
    ],
}


def write_street_files(folder: Path, events: dict[tuple[str, str], list[tuple[
        str | None, str, int, str]]]) -> None:
    """police.uk street CSVs named like ``2024-01-testforce-street.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    serial = 0
    for (force, month), rows in events.items():
        lines = []
        for lsoa, category, n, location in rows:
            for _ in range(n):
                serial += 1
                crime_id = "" if category == "Anti-social behaviour" else f"id{serial}"
                where = (",,No Location,," if lsoa is None
                         else f"0.1,52.1,{location},{lsoa},name")
                lines.append(f"{crime_id},{month},{force},{force},{where},{category},,\n")
        (folder / f"{month}-{force}-street.csv").write_text(HEAD + "".join(lines),
                                                            encoding="utf-8")


def add_reference(st: Store) -> None:
    """LSOAs A, B in ward North; C in South; D in Faraway (another district); Empty has none."""
    con = st.con
    con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2021, 0)", [
        ("lsoa21", A, "A"), ("lsoa21", B, "B"), ("lsoa21", C, "C"), ("lsoa21", D, "D"),
        ("ward", NORTH, "North"), ("ward", SOUTH, "South"), ("ward", EMPTY, "Empty"),
        ("ward", FARAWAY, "Faraway"),
        ("district", "E07000001", "Testshire"), ("district", "E07000002", "Otherdale"),
        ("csp", "E22000001", "Testshire CSP"), ("csp", "E22000002", "Otherdale CSP")])
    links = [("lsoa21", A, "ward", NORTH), ("lsoa21", B, "ward", NORTH),
             ("lsoa21", C, "ward", SOUTH), ("lsoa21", D, "ward", FARAWAY),
             ("lsoa21", A, "district", "E07000001"), ("lsoa21", B, "district", "E07000001"),
             ("lsoa21", C, "district", "E07000001"), ("lsoa21", D, "district", "E07000002"),
             ("district", "E07000001", "csp", "E22000001"),
             ("district", "E07000002", "csp", "E22000002")]
    con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    insert_population(con, [("lsoa21", c, 2021, "persons", "all", 0, None, p, "census2021", 0)
                    for c, p in [(A, 1000), (B, 1500), (C, 500), (D, 800)]])


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Store]:
    st = open_store(tmp_path / "s.duckdb")
    add_reference(st)
    write_street_files(tmp_path / "csv", EVENTS)
    result = ingest(st, [tmp_path / "csv"])
    assert result.ok and result.totals()["rows_rejected"] == 0
    yield st
    st.close()


def year(label: str) -> periods.Period:
    return periods.parse_period("calendar_year", label)


def quarter(label: str) -> periods.Period:
    return periods.parse_period("quarter", label)


def test_the_store_is_as_designed(small: Store) -> None:
    assert small.con.execute("SELECT count(*) FROM events").fetchone() == (46,)
    assert small.con.execute(
        "SELECT count(*) FROM events WHERE resolution = 'unresolved' AND longitude IS NOT NULL"
    ).fetchone() == (1,)
    cam = find_area(small.con, "Testshire CSP")
    # the stray otherforce event in C does not make otherforce cover the CSP
    assert forces_covering(small, cam) == ["testforce"]
    assert forces_covering(small) == ["otherforce", "testforce"]
    months = {periods.month_label(m) for m in months_with_data(small, within=cam)}
    assert months == {"2022-01", "2024-01", "2024-07"}
    assert {periods.month_label(m) for m in months_with_data(small)} == {"2024-01"}


def test_annual_average_known_answers(small: Store) -> None:
    frame = annual_average_by_area(small, "ward", years=[year("2022"), year("2023"),
                                                          year("2024")])
    assert tuple(frame.columns) == ANNUAL_COLUMNS
    got = {r["area_code"]: (r["area_name"], r["years_with_data"], r["total"],
                            r["annual_average"], r["rank"]) for r in frame.to_dict("records")}
    # North: 6 (2022) + 5 + 2 + 3 (2024) over testforce's 2 years with data (2023 has none)
    assert got[NORTH] == ("North", 2, 16, 8.0, 1)
    # South: 2 (2022) + 3 + 1 (otherforce's stray) + 1 + 4 (2024)
    assert got[SOUTH] == ("South", 2, 11, 5.5, 2)
    # Faraway's force, otherforce, published 2024 only: one year, not three
    assert got[FARAWAY] == ("Faraway", 1, 5, 5.0, 3)
    # no events: judged by the forces in scope, which both have only 2024-01
    assert got[EMPTY] == ("Empty", 1, 0, 0.0, 4)
    assert list(frame["area_code"]) == [NORTH, SOUTH, FARAWAY, EMPTY]
    notes = " | ".join(frame.attrs["notes"])
    assert "no data in the store for 2023: not available" in notes
    assert f"no data for 2022 for 2 area(s) ({EMPTY}, {FARAWAY})" in notes
    assert "2022 is a part year for testforce (1 of 12 months" in notes
    assert "7 event(s) of this selection could not be placed in a ward" in notes
    assert frame.attrs["level"] == "ward"


def test_annual_average_within_an_area_asb_and_not_available(small: Store) -> None:
    cam = find_area(small.con, "Testshire CSP")
    asb = annual_average_by_area(small, "ward", years=[year("2022"), year("2024")],
                                 within=cam, asb_only=True)
    assert list(zip(asb["area_name"], asb["total"], asb["annual_average"], strict=True)) == [
        ("North", 5, 2.5), ("South", 0, 0.0)]
    # a year no force of an area published: not available (NaN, no rank), never zero
    only_2022 = annual_average_by_area(small, "ward", years=[year("2022")]).set_index(
        "area_code")
    assert only_2022.loc[NORTH, "annual_average"] == 6.0
    assert only_2022.loc[FARAWAY, "years_with_data"] == 0
    assert math.isnan(only_2022.loc[FARAWAY, "annual_average"])
    assert pd.isna(only_2022.loc[FARAWAY, "rank"])


def test_equal_averages_share_a_rank(small: Store) -> None:
    frame = annual_average_by_area(small, "ward", years=[year("2024")],
                                   categories=["Burglary"], where="force = 'testforce'")
    got = dict(zip(frame["area_code"], zip(frame["total"], frame["rank"], strict=True),
                   strict=True))
    # testforce's burglaries in 2024: North 5 + 2, South 3 + 4
    assert got[NORTH] == (7, 1) and got[SOUTH] == (7, 1) and got[FARAWAY][1] == 3


def test_change_by_area_known_answers(small: Store) -> None:
    frame = change_by_area(small, "ward", before=year("2022"), after=quarter("2024 Q1"))
    assert tuple(frame.columns) == CHANGE_COLUMNS
    assert list(frame["area_code"]) == [FARAWAY, SOUTH, NORTH, EMPTY]  # by change
    rows = frame.set_index("area_code")
    assert (rows.loc[NORTH, "count_before"], rows.loc[NORTH, "count_after"]) == (6, 7)
    assert rows.loc[NORTH, "pct_change"] == pytest.approx(100 / 6)
    # a year (12 months) against a quarter (3): after ~ Binomial(13, 3/15) under no change
    assert rows.loc[NORTH, "p_value"] == pytest.approx(binomtest(7, 13, 3 / 15).pvalue)
    assert binomtest(7, 13, 3 / 15).pvalue < 0.05 and rows.loc[NORTH, "significant"]
    # a base below 5 has no % change ("No calc")
    assert rows.loc[SOUTH, "pct_change"] is None and rows.loc[SOUTH, "change"] == 2
    assert rows.loc[FARAWAY, "pct_change"] is None and rows.loc[FARAWAY, "change"] == 5
    assert rows.loc[EMPTY, "p_value"] == 1.0 and not rows.loc[EMPTY, "significant"]
    notes = " | ".join(frame.attrs["notes"])
    assert "2022 has 12 months and 2024 Q1 3" in notes
    assert "2024 Q1: no data for February to March 2024" in notes

    equal = change_by_area(small, "ward", before=quarter("2024 Q1"),
                           after=quarter("2024 Q3")).set_index("area_code")
    assert (equal.loc[NORTH, "count_before"], equal.loc[NORTH, "count_after"]) == (7, 3)
    assert equal.loc[NORTH, "pct_change"] == pytest.approx(-400 / 7)
    assert equal.loc[NORTH, "p_value"] == pytest.approx(binomtest(3, 10, 0.5).pvalue)
    lower = change_by_area(small, "ward", before=quarter("2024 Q1"),
                           after=quarter("2024 Q3"), min_base=8).set_index("area_code")
    assert lower.loc[NORTH, "pct_change"] is None


def test_top_locations_known_answers(small: Store) -> None:
    cam = find_area(small.con, "Testshire CSP")
    frame = top_locations(small, period=year("2024"), within=cam, n=2)
    assert tuple(frame.columns) == LOCATION_COLUMNS
    # Station Road 3 + 4; Market Street 5; Mill Road 3 + 1 + 1 (tied with the 2nd: kept)
    assert list(frame["location"]) == ["On or near Station Road", "On or near Market Street",
                                       "On or near Mill Road"]
    assert list(frame["count"]) == [7, 5, 5]
    assert list(frame["rank"]) == [1, 2, 2]
    assert list(frame["share"]) == pytest.approx([7 / 19, 5 / 19, 5 / 19])
    notes = " | ".join(frame.attrs["notes"])
    assert "3 locations shown" in notes and "On or near Station Road" in notes
    assert "of the 19 events of this selection with a location" in notes
    asb = top_locations(small, period=year("2022"), asb_only=True)
    # the ASB row with no location is never a location
    assert list(zip(asb["location"], asb["count"], asb["share"], strict=True)) == [
        ("On or near Market Street", 3, 1.0)]


def test_data_quality_known_answers(small: Store) -> None:
    note = data_quality(small, period=year("2024"))
    # crimes in 2024: testforce 12 + 9, otherforce 9; 2 + 3 without location; 1 unresolved
    assert (note.total, note.no_location, note.unresolved) == (30, 5, 1)
    assert note.share_no_location == pytest.approx(5 / 30)
    assert note.share_unresolved == pytest.approx(1 / 30)
    assert note.text == ("17% of crimes in 2024 (5 of 30) have no location and are not shown. "
                         "A further 3% (1) have a location that the loaded reference data "
                         "places in no area.")
    cam = find_area(small.con, "Testshire CSP")
    inside = data_quality(small, period=year("2024"), within=cam)
    # the force covering Testshire: testforce's 21 crimes, 2 without location
    assert inside.forces == ("testforce",)
    assert (inside.total, inside.no_location, inside.unresolved) == (21, 2, 1)
    assert inside.text.startswith("10% of crimes in 2024 in the force covering Testshire CSP "
                                  "(2 of 21) have no location and are not shown.")
    asb = data_quality(small, period=year("2022"), asb_only=True)
    assert asb.text == "25% of ASB incidents in 2022 (1 of 4) have no location and are not shown."


def test_sentences_for_quality_edge_cases() -> None:
    assert quality_sentence(total=0, no_location=0, unresolved=0, subject="crimes",
                            period=year("2024")) == (
        "There are no crimes in 2024 to check for locations.")
    assert quality_sentence(total=10, no_location=0, unresolved=0, subject="crimes",
                            period=periods.rolling_12("2024-03"), scope="Cambridge",
                            forces=2) == (
        "All crimes in April 2023 to March 2024 in the forces covering Cambridge "
        "have a location.")


def test_count_by_area_lists_every_area(small: Store) -> None:
    s = count_by_area(small, "ward", period=year("2024"), categories=["Drugs"])
    assert s.to_dict() == {NORTH: 3, SOUTH: 1, EMPTY: 0, FARAWAY: 0}
    assert s.attrs["unplaced"] == 0


def test_bad_selections_are_explained(small: Store) -> None:
    with pytest.raises(InputError, match="--by 'street'"):
        annual_average_by_area(small, "street", years=[year("2024")])
    with pytest.raises(InputError, match="overlap"):
        annual_average_by_area(small, "ward", years=[year("2024"), quarter("2024 Q1")])
    with pytest.raises(InputError, match="contradict"):
        top_locations(small, period=year("2024"), include_asb=True, asb_only=True)
    with pytest.raises(InputError, match=r"not a police\.uk crime type"):
        change_by_area(small, "ward", before=year("2022"), after=year("2024"),
                       categories=["Needles"])
    with pytest.raises(QueryError, match="cannot run"):
        data_quality(small, period=year("2024"), where="no_such_column = 1")
    with pytest.raises(InputError, match="min_base"):
        change_by_area(small, "ward", before=year("2022"), after=year("2024"), min_base=0)


# --------------------------------------------------------------------------- the sentence


def needle_frame() -> pd.DataFrame:
    frame = pd.DataFrame({
        "area_code": ["E05013057", "E05013059", "E05013049", "E05013061", "E05013050",
                      "E05013051"],
        "area_name": ["Market", "Petersfield", "Castle", "Romsey", "Abbey", "Arbury"],
        "years_with_data": [5] * 6,
        "total": [60, 45, 30, 20, 10, 0],
        "annual_average": [12.0, 9.0, 6.0, 4.0, 2.0, 0.0],
        "rank": [1, 2, 3, 4, 5, 6],
    })
    frame.attrs["level"] = "ward"
    return frame


def test_top_areas_sentence_known_answer() -> None:
    assert top_areas_sentence(needle_frame()) == (
        "The wards with the highest annual average instances of needle finds were Market, "
        "Petersfield, Castle and Romsey.")
    assert top_areas_sentence(needle_frame(), n=1, level="lsoa") == (
        "The LSOA with the highest annual average instances of needle finds was Market.")
    assert top_areas_sentence(needle_frame(), n=9, subject="burglaries", quantity="") == (
        "The wards with the highest annual average of burglaries were Market, Petersfield, "
        "Castle, Romsey and Abbey.")  # Arbury had none: never among the highest


def test_top_areas_sentence_says_so_when_areas_tie_at_the_cut_off() -> None:
    frame = needle_frame()
    frame.loc[4, "annual_average"] = 4.0  # Abbey ties with Romsey in 4th place
    assert top_areas_sentence(frame) == (
        "The wards with the highest annual average instances of needle finds were Market, "
        "Petersfield and Castle, followed by Abbey and Romsey, tied on an annual average "
        "of 4.0.")
    frame["annual_average"] = [3.0] * 5 + [0.0]
    assert top_areas_sentence(frame, n=2) == (
        "5 wards tied for the highest annual average instances of needle finds, with an "
        "annual average of 3.0: Abbey, Castle, Market, Petersfield and Romsey.")
    frame["annual_average"] = 0.0
    assert top_areas_sentence(frame) == "None of the wards had any needle finds."
    with pytest.raises(InputError, match="level"):
        top_areas_sentence(pd.DataFrame({"area_name": ["x"], "annual_average": [1.0]}))


def test_sentence_from_a_measured_frame(small: Store) -> None:
    frame = annual_average_by_area(small, "ward", years=[year("2022"), year("2024")])
    assert top_areas_sentence(frame, subject="crimes", n=2) == (
        "The wards with the highest annual average instances of crimes were North and South.")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def cambridge(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    geo = shared_data / "geography"
    path = tmp_path_factory.mktemp("cam") / "s.duckdb"
    refs = [geo / "lookup_lsoa21_ward24_ltla24.csv", geo / "lookup_ltla24_csp24_pfa24.csv",
            shared_data / "population" / "census2021_lsoa21_usual_residents.csv"]
    assert main(["reference", "load", *map(str, refs), "--store", str(path), "--quiet"]) == 0
    st = open_store(path)
    ingest(st, [shared_data / "police-uk" / "cambridgeshire-2024"])
    yield st
    st.close()


def _street_rows(shared_data: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for f in sorted((shared_data / "police-uk" / "cambridgeshire-2024").rglob("*street.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def test_cambridge_data_quality_against_a_recount(shared_data: Path, cambridge: Store) -> None:
    rows = _street_rows(shared_data)
    crimes = [r for r in rows if r["Crime type"] != "Anti-social behaviour"]
    no_location = sum(1 for r in crimes if not r["Longitude"])
    cam = find_area(cambridge.con, "Cambridge")
    note = data_quality(cambridge, period=year("2024"), within=cam)
    assert note.forces == ("cambridgeshire",)
    assert (note.total, note.no_location) == (len(crimes), no_location)
    assert note.share_no_location == pytest.approx(no_location / len(crimes))
    assert "in the force covering Cambridge" in note.text
    asb = [r for r in rows if r["Crime type"] == "Anti-social behaviour"]
    whole = data_quality(cambridge, period=year("2024"), asb_only=True)
    assert whole.share_no_location == pytest.approx(
        sum(1 for r in asb if not r["Longitude"]) / len(asb))


def test_cambridge_annual_average_by_ward_against_a_recount(shared_data: Path,
                                                            cambridge: Store) -> None:
    with (shared_data / "geography" / "lookup_lsoa21_ward24_ltla24.csv").open(
            newline="", encoding="utf-8") as fh:
        ward_of = {r["lsoa21_code"]: r["ward24_name"] for r in csv.DictReader(fh)
                   if r["ltla24_code"] == "E07000008"}
    expected: dict[str, int] = dict.fromkeys(ward_of.values(), 0)
    for r in _street_rows(shared_data):
        if r["Crime type"] == "Anti-social behaviour" and r["LSOA code"] in ward_of:
            expected[ward_of[r["LSOA code"]]] += 1
    cam = find_area(cambridge.con, "Cambridge")
    frame = annual_average_by_area(cambridge, "ward", years=[year("2023"), year("2024")],
                                   within=cam, asb_only=True)
    assert dict(zip(frame["area_name"], frame["total"], strict=True)) == expected
    assert set(frame["years_with_data"]) == {1}  # 2023 is not in the store: not available
    top = sorted(expected, key=lambda w: -expected[w])[:4]
    sentence = top_areas_sentence(frame, subject="ASB incidents", quantity="")
    assert sentence == ("The wards with the highest annual average of ASB incidents were "
                        f"{top[0]}, {top[1]}, {top[2]} and {top[3]}.")
