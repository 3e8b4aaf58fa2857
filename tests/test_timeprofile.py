"""When: month-of-year and season profiles, the refusal of hours, and the profile charts."""

from __future__ import annotations

import csv
import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from commsafe import periods
from commsafe.cli import main
from commsafe.errors import InputError
from commsafe.measures.timeprofile import (
    MONTH_COLUMNS,
    NO_TIMES_MESSAGE,
    SEASON_COLUMNS,
    time_profile,
)
from commsafe.outputs.charts import DPI, FIGSIZE
from commsafe.outputs.profile_charts import day_hour_heatmap, month_profile_chart
from commsafe.reference.areas import find_area
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n")
A, B, C, D = "E01000001", "E01000002", "E01000003", "E01000004"
SVG_NS = "{http://www.w3.org/2000/svg}"
TITLE = "Crimes by month of the year, Testshire CSP, 2022 and 2024"
SOURCE = "Source: police.uk street-level data; commsafe"

# (force, month) -> [(lsoa, category, how many)]
EVENTS = {
    ("testforce", "2022-01"): [(A, "Burglary", 6), (C, "Burglary", 2),
                               (A, "Anti-social behaviour", 3)],
    ("testforce", "2024-01"): [(A, "Burglary", 5), (B, "Burglary", 2), (C, "Burglary", 3),
                               (A, "Anti-social behaviour", 2)],
    ("testforce", "2024-07"): [(A, "Drugs", 3), (C, "Drugs", 1), (C, "Burglary", 4)],
    ("testforce", "2024-12"): [(A, "Burglary", 2)],
    # a neighbouring force: its own LSOA D and one stray event in C
    ("otherforce", "2024-01"): [(D, "Burglary", 5), (C, "Burglary", 1)],
}


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Store]:
    """LSOAs A, B, C in Testshire (district and CSP); D in Otherdale."""
    st = open_store(tmp_path / "s.duckdb")
    st.con.executemany("INSERT INTO areas VALUES (?, ?, ?, 2021, 0)", [
        ("lsoa21", A, "A"), ("lsoa21", B, "B"), ("lsoa21", C, "C"), ("lsoa21", D, "D"),
        ("district", "E07000001", "Testshire"), ("district", "E07000002", "Otherdale"),
        ("csp", "E22000001", "Testshire CSP"), ("csp", "E22000002", "Otherdale CSP")])
    links = [("lsoa21", code, "district", "E07000001") for code in (A, B, C)]
    links += [("lsoa21", D, "district", "E07000002"),
              ("district", "E07000001", "csp", "E22000001"),
              ("district", "E07000002", "csp", "E22000002")]
    st.con.executemany("INSERT INTO area_links VALUES (?, ?, ?, ?, NULL, 2024, 0)", links)
    folder = tmp_path / "csv"
    folder.mkdir()
    serial = 0
    for (force, month), rows in EVENTS.items():
        lines = []
        for lsoa, category, n in rows:
            for _ in range(n):
                serial += 1
                crime_id = "" if category.startswith("Anti") else f"id{serial}"
                lines.append(f"{crime_id},{month},{force},{force},0.1,52.1,On or near X,{lsoa},"
                             f"n,{category},,\n")
        (folder / f"{month}-{force}-street.csv").write_text(HEAD + "".join(lines),
                                                            encoding="utf-8")
    assert ingest(st, [folder]).ok
    yield st
    st.close()


def year(label: str) -> periods.Period:
    return periods.parse_period("calendar_year", label)


def test_month_of_year_known_answers(small: Store) -> None:
    cam = find_area(small.con, "Testshire CSP")
    frame = time_profile(small, period=[year("2022"), year("2024")], within=cam)
    assert tuple(frame.columns) == MONTH_COLUMNS
    assert list(frame["month"]) == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                    "Sep", "Oct", "Nov", "Dec"]
    rows = frame.set_index("month")
    # January: 6 + 2 (2022) and 5 + 2 + 3 + otherforce's stray 1 (2024), over 2 years
    assert (rows.loc["Jan", "count"], rows.loc["Jan", "years_with_data"]) == (19, 2)
    assert rows.loc["Jan", "average_per_year"] == 9.5
    assert (rows.loc["Jul", "count"], rows.loc["Jul", "average_per_year"]) == (8, 8.0)
    assert (rows.loc["Dec", "count"], rows.loc["Dec", "years_with_data"]) == (2, 1)
    # no data (not zero) for March in either year
    assert rows.loc["Mar", "years_with_data"] == 0 and math.isnan(
        rows.loc["Mar", "average_per_year"])
    notes = " | ".join(frame.attrs["notes"])
    assert "February to December 2022" in notes and "left out (not counted as zero)" in notes
    assert frame.attrs["period"] == "2022, 2024"


def test_months_missing_for_a_force_in_scope_are_left_out(small: Store) -> None:
    # without an area both forces are in scope, and only January 2024 has data from both
    frame = time_profile(small, period=year("2024")).set_index("month")
    assert (frame.loc["Jan", "count"], frame.loc["Jan", "years_with_data"]) == (16, 1)
    assert frame.loc["Jul", "years_with_data"] == 0 and frame.loc["Jul", "count"] == 0
    asb = time_profile(small, period=year("2024"), asb_only=True).set_index("month")
    assert asb.loc["Jan", "count"] == 2


def test_season_known_answers(small: Store) -> None:
    cam = find_area(small.con, "Testshire CSP")
    frame = time_profile(small, period=[year("2022"), year("2024")], within=cam, by="season")
    assert tuple(frame.columns) == SEASON_COLUMNS
    assert list(frame["season"]) == ["Winter", "Spring", "Summer", "Autumn"]
    rows = frame.set_index("season")
    # Winter = Jan 2022 (8) + Jan 2024 (11) + Dec 2024 (2) over 3 months with data
    assert (rows.loc["Winter", "count"], rows.loc["Winter", "months_with_data"]) == (21, 3)
    assert rows.loc["Winter", "average_per_month"] == 7.0
    assert (rows.loc["Summer", "count"], rows.loc["Summer", "average_per_month"]) == (8, 8.0)
    assert rows.loc["Spring", "months_with_data"] == 0
    assert math.isnan(rows.loc["Spring", "average_per_month"])


@pytest.mark.parametrize("by", ["day_of_week", "hour", "day_hour"])
def test_hours_and_days_are_refused_for_police_uk(small: Store, by: str) -> None:
    with pytest.raises(InputError) as err:
        time_profile(small, period=year("2024"), by=by)
    assert str(err.value) == NO_TIMES_MESSAGE
    assert str(err.value).startswith("police.uk data has the month of each event only: day of "
                                     "week and hour profiles need a local police extract with "
                                     "dates and times (see the partner data issue)")


def test_bad_profile_and_selection(small: Store) -> None:
    with pytest.raises(InputError, match="choose from month_of_year"):
        time_profile(small, period=year("2024"), by="week")
    with pytest.raises(InputError, match="contradict"):
        time_profile(small, period=year("2024"), include_asb=True, asb_only=True)
    with pytest.raises(InputError, match="period is empty"):
        time_profile(small, period=[])


# --------------------------------------------------------------------------- charts


def svg_text(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def test_month_profile_chart_is_written(small: Store, tmp_path: Path) -> None:
    cam = find_area(small.con, "Testshire CSP")
    frame = time_profile(small, period=[year("2022"), year("2024")], within=cam)
    paths = month_profile_chart(frame, title=TITLE, source=SOURCE,
                                out_stem=tmp_path / "out" / "months")
    assert paths == [tmp_path / "out" / "months.png", tmp_path / "out" / "months.svg"]
    image = mpimg.imread(paths[0])
    assert image.shape[:2] == (round(FIGSIZE[1] * DPI), round(FIGSIZE[0] * DPI))
    texts = svg_text(paths[1])
    assert TITLE in texts and SOURCE in texts
    assert "Average per year" in texts  # January has two years: bars are averages
    assert "No data" in texts  # months without data are shaded, not drawn as 0
    assert all(m in texts for m in ("Jan", "Jun", "Dec"))
    again = month_profile_chart(frame, title=TITLE, source=SOURCE,
                                out_stem=tmp_path / "again" / "months")
    assert again[1].read_bytes() == paths[1].read_bytes()
    one_year = time_profile(small, period=year("2024"), within=cam)
    single = month_profile_chart(one_year, title=TITLE, source=SOURCE,
                                 out_stem=tmp_path / "single")
    assert "Count" in svg_text(single[1])


def test_month_profile_chart_refuses_nothing_to_draw(tmp_path: Path) -> None:
    empty = pd.DataFrame({"month_number": range(1, 13), "count": 0, "years_with_data": 0,
                          "average_per_year": float("nan")})
    with pytest.raises(InputError, match="no month has data"):
        month_profile_chart(empty, title=TITLE, source=SOURCE, out_stem=tmp_path / "x")
    with pytest.raises(InputError, match="lacks column"):
        month_profile_chart(pd.DataFrame({"count": [1]}), title=TITLE, source=SOURCE,
                            out_stem=tmp_path / "x")


def test_day_hour_heatmap_from_a_hand_made_matrix(tmp_path: Path) -> None:
    matrix = np.arange(7 * 24, dtype=float).reshape(7, 24)
    matrix[0, 3] = np.nan  # Monday 03:00: no data
    title = "Violence by day and hour (hand-made)"
    paths = day_hour_heatmap(matrix, title=title, source=SOURCE, out_stem=tmp_path / "heat")
    assert mpimg.imread(paths[0]).shape[:2] == (round(FIGSIZE[1] * DPI),
                                                round(FIGSIZE[0] * DPI))
    texts = svg_text(paths[1])
    assert title in texts and "No data" in texts
    assert "Highest: Sunday 23:00 (167)" in texts
    assert "Mon" in texts and "Sun" in texts and "23" in texts
    frame = pd.DataFrame(matrix)
    again = day_hour_heatmap(frame, title=title, source=SOURCE, out_stem=tmp_path / "heat2")
    assert again[1].read_bytes() == paths[1].read_bytes()
    with pytest.raises(InputError, match="7 rows"):
        day_hour_heatmap(np.zeros((24, 7)), title=title, source=SOURCE, out_stem=tmp_path / "y")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def cambridge(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    geo = shared_data / "geography"
    path = tmp_path_factory.mktemp("cam") / "s.duckdb"
    refs = [geo / "lookup_lsoa21_ward24_ltla24.csv", geo / "lookup_ltla24_csp24_pfa24.csv",
            shared_data / "population" / "census2021_lsoa21_usual_residents.csv"]
    assert main(["reference", "load", *map(str, refs), "--store", str(path), "--quiet"]) == 0
    with open_store(path) as st:
        assert ingest(st, [shared_data / "police-uk" / "cambridgeshire-2024"]).ok
    return path


def test_cambridge_month_profile_against_a_recount(shared_data: Path, cambridge: Path,
                                                   tmp_path: Path) -> None:
    with (shared_data / "geography" / "lookup_lsoa21_ward24_ltla24.csv").open(
            newline="", encoding="utf-8") as fh:
        cambridge_lsoas = {r["lsoa21_code"] for r in csv.DictReader(fh)
                           if r["ltla24_code"] == "E07000008"}
    expected: Counter[int] = Counter()
    for f in sorted((shared_data / "police-uk" / "cambridgeshire-2024").rglob("*street.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["Crime type"] != "Anti-social behaviour" and (
                        r["LSOA code"] in cambridge_lsoas):
                    expected[int(r["Month"][5:7])] += 1
    with open_store(cambridge, read_only=True) as st:
        cam = find_area(st.con, "Cambridge")
        frame = time_profile(st, period=year("2024"), within=cam)
    assert dict(zip(frame["month_number"], frame["count"], strict=True)) == dict(expected)
    assert list(frame["years_with_data"]) == [1] * 12
    assert list(frame["average_per_year"]) == [float(expected[m]) for m in range(1, 13)]
    assert frame.attrs["notes"] == []
    paths = month_profile_chart(frame, title="Crimes by month, Cambridge, 2024",
                                source=SOURCE, out_stem=tmp_path / "cam")
    assert "Crimes by month, Cambridge, 2024" in svg_text(paths[1])
