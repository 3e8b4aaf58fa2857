"""Age and sex pyramids: bands, counts, shares, rates, population from the store, the chart."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest

from commsafe.errors import InputError
from commsafe.outputs.charts import DPI, FIGSIZE
from commsafe.outputs.pyramid_charts import pyramid_chart
from commsafe.profiles.pyramids import (
    BANDS,
    NO_POPULATION,
    PYRAMID_COLUMNS,
    age_band,
    compare,
    population_bands,
    pyramid,
)
from commsafe.reference.population import insert_population
from commsafe.store import open_store

TITLE = "Victims of violence by age and sex, Testshire, 2024"
SOURCE = "Source: Testshire Constabulary crime extract; commsafe"


def ten_people() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [4, 5, 89, 90, 101, 0, 17.9, 34, 34, 30],
        "sex": ["M", "f", "Male", "FEMALE", "female", "m", "F", "m", "F", "M"],
    })


def cell(table: pd.DataFrame, band: str, sex: str, column: str = "count") -> float:
    rows = table[(table["age_band"] == band) & (table["sex"] == sex)]
    assert len(rows) == 1
    return float(rows[column].iloc[0])


def test_bands_scheme() -> None:
    assert len(BANDS) == 19
    assert BANDS[:3] == ("0-4", "5-9", "10-14")
    assert BANDS[-2:] == ("85-89", "90+")


@pytest.mark.parametrize(("age", "band"), [
    (0, "0-4"), (4, "0-4"), (4.99, "0-4"), (5, "5-9"), (9, "5-9"), (10.0, "10-14"),
    (84, "80-84"), (85, "85-89"), (89, "85-89"), (89.5, "85-89"), (90, "90+"), (120, "90+"),
])
def test_age_band_boundaries(age: float, band: str) -> None:
    assert age_band(age) == band


@pytest.mark.parametrize("age", [-1, -0.5, 120.5, 121, 200])
def test_age_band_out_of_range(age: float) -> None:
    with pytest.raises(InputError, match="out of range"):
        age_band(age)


@pytest.mark.parametrize("age", [math.nan, "34", None, True])
def test_age_band_not_a_number(age: object) -> None:
    with pytest.raises(InputError, match="not a number"):
        age_band(age)


def test_pyramid_counts_and_shares_exactly() -> None:
    table = pyramid(ten_people())
    assert list(table.columns) == list(PYRAMID_COLUMNS)
    assert len(table) == 2 * len(BANDS)
    assert list(table["age_band"][::2]) == list(BANDS)
    assert list(table["sex"][:2]) == ["male", "female"]
    assert int(table["count"].sum()) == 10
    expected = {("0-4", "male"): 2, ("5-9", "female"): 1, ("85-89", "male"): 1,
                ("90+", "female"): 2, ("15-19", "female"): 1, ("30-34", "male"): 2,
                ("30-34", "female"): 1}
    for (band, sex), count in expected.items():
        assert cell(table, band, sex) == count
        assert cell(table, band, sex, "share") == pytest.approx(count / 10)
    assert cell(table, "30-34", "female") == 1  # the other 34 is male
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["rate_per_1000"].isna().all()
    assert table["population"].isna().all()
    assert NO_POPULATION in table.attrs["notes"]
    assert table.attrs["shown"] == 10 and table.attrs["left_out"] == 0


def test_pyramid_accepts_bands_already_made() -> None:
    people = pd.DataFrame({"age_band": ["0-4", "90+", " 90+", None],
                           "sex": ["m", "f", "f", "m"]})
    table = pyramid(people)
    assert cell(table, "0-4", "male") == 1
    assert cell(table, "90+", "female") == 2
    assert table.attrs["left_out"] == 1
    with pytest.raises(InputError, match="not a 5-year band"):
        pyramid(pd.DataFrame({"age_band": ["0-15"], "sex": ["m"]}))


def test_missing_age_and_sex_are_noted_not_drawn() -> None:
    people = pd.concat([ten_people(), pd.DataFrame({
        "age": [None, 40, 41, None, ""], "sex": ["m", None, "unknown", "x", "f"]})],
        ignore_index=True)
    table = pyramid(people)
    assert int(table["count"].sum()) == 10
    assert cell(table, "0-4", "male", "share") == pytest.approx(0.2)  # of the 10 known
    notes = " | ".join(table.attrs["notes"])
    assert "3 people with unknown sex" in notes
    assert "3 people with unknown age" in notes
    assert "1 of them with neither age nor sex" in notes
    assert "of the 10 people of known age and sex" in notes
    assert table.attrs["people"] == 15 and table.attrs["left_out"] == 5


def test_out_of_range_age_in_people_is_an_error() -> None:
    people = pd.DataFrame({"age": [30, 130], "sex": ["m", "f"]})
    with pytest.raises(InputError, match=r"out of range.*130"):
        pyramid(people)
    with pytest.raises(InputError, match="'sex' and 'age'"):
        pyramid(pd.DataFrame({"age": [30]}))


def test_rates_with_a_hand_made_population() -> None:
    population = pd.DataFrame({"sex": ["male", "F", "female"],
                               "age_band": ["0-4", "90+", "30-34"],
                               "population": [500.0, 40.0, 0.0]})
    table = pyramid(ten_people(), population=population)
    assert cell(table, "0-4", "male", "rate_per_1000") == pytest.approx(2 * 1000 / 500)
    assert cell(table, "90+", "female", "rate_per_1000") == pytest.approx(2 * 1000 / 40)
    assert cell(table, "90+", "female", "population") == 40
    assert math.isnan(cell(table, "30-34", "female", "rate_per_1000"))  # population 0
    assert math.isnan(cell(table, "5-9", "female", "rate_per_1000"))  # none given
    assert NO_POPULATION not in table.attrs["notes"]
    assert any("no population for 36 of the 38" in n for n in table.attrs["notes"])


def _population_row(con: object, code: str, sex: str, band: str, start: int | None,
                    stop: int | None, people: float) -> None:
    insert_population(con,  # type: ignore[arg-type]
                      [("lad", code, 2024, sex, band, start, stop, people, "mid2024", 1)])


def test_population_bands_from_single_years(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as st:
        for code, scale in (("E1", 1.0), ("E2", 2.0)):
            for sex, base in (("male", 10.0), ("female", 20.0)):
                for age in range(90):
                    _population_row(st.con, code, sex, str(age), age, age, (base + age) * scale)
                _population_row(st.con, code, sex, "90+", 90, None, 5.0 * scale)
            _population_row(st.con, code, "persons", "all", 0, None, 99999.0)
        # another area and year, not asked for
        _population_row(st.con, "E3", "male", "0", 0, 0, 1e6)
        result = population_bands(st.con, "lad", ["E1", "E2"], 2024)
        assert result.table is not None
        table = result.table
        assert list(table.columns) == ["sex", "age_band", "population"]
        assert len(table) == 38
        male_0_4 = table[(table["sex"] == "male") & (table["age_band"] == "0-4")]
        assert float(male_0_4["population"].iloc[0]) == pytest.approx(
            sum(10.0 + a for a in range(5)) * 3)
        female_85 = table[(table["sex"] == "female") & (table["age_band"] == "85-89")]
        assert float(female_85["population"].iloc[0]) == pytest.approx(
            sum(20.0 + a for a in range(85, 90)) * 3)
        old = table[(table["sex"] == "female") & (table["age_band"] == "90+")]
        assert float(old["population"].iloc[0]) == 15.0
        # it feeds a pyramid's rates
        people = pd.DataFrame({"age": [1, 2, 95], "sex": ["m", "m", "f"]})
        rates = pyramid(people, population=table)
        assert cell(rates, "0-4", "male", "rate_per_1000") == pytest.approx(2000 / 180)
        assert cell(rates, "90+", "female", "rate_per_1000") == pytest.approx(1000 / 15)
        # one code as a string; a code with only part of the ages gives no table
        assert population_bands(st.con, "lad", "E1", 2024).table is not None
        short = population_bands(st.con, "lad", ["E1", "E3"], 2024)
        assert short.table is None
        assert "E3 male" in short.notes[0]


def test_population_bands_persons_only_gives_none_with_a_note(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as st:
        _population_row(st.con, "E1", "persons", "all", 0, None, 1000.0)
        for age in range(90):
            _population_row(st.con, "E1", "persons", str(age), age, age, 10.0)
        result = population_bands(st.con, "lad", ["E1"], 2024)
        assert result.table is None
        assert "no split by sex" in result.notes[0]
        missing = population_bands(st.con, "lad", ["E1"], 2019)
        assert missing.table is None
        assert "no population loaded" in missing.notes[0]
        with pytest.raises(InputError, match="no area codes"):
            population_bands(st.con, "lad", [], 2024)


def test_compare_side_by_side() -> None:
    area = pyramid(ten_people())
    force = pyramid(pd.concat([ten_people()] * 3 + [pd.DataFrame(
        {"age": [50] * 10, "sex": ["f"] * 10})], ignore_index=True))
    table = compare(area, force, names=("Cambridge", "force"))
    assert len(table) == 38
    assert cell(table, "0-4", "male", "count_Cambridge") == 2
    assert cell(table, "0-4", "male", "count_force") == 6
    assert cell(table, "0-4", "male", "share_difference") == pytest.approx(0.2 - 6 / 40)
    assert any(n.startswith("force: ") for n in table.attrs["notes"])
    with pytest.raises(InputError, match="same"):
        compare(area, force, names=("x", "x"))


def test_chart_written_with_title_and_bands(tmp_path: Path) -> None:
    victims = pyramid(ten_people())
    offenders = pyramid(pd.DataFrame({"age": [20, 21, 40], "sex": ["m", "m", "f"]}))
    png, svg = pyramid_chart(victims, offenders, value="share", comparison=victims,
                             comparison_label="Testshire", title=TITLE, source=SOURCE,
                             out_stem=tmp_path / "p")
    height, width = mpimg.imread(png).shape[:2]
    assert (width, height) == (round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI))
    text = svg.read_text(encoding="utf-8")
    for label in (TITLE, SOURCE, "Victims", "Offenders", "Testshire", *BANDS):
        assert label in text
    one = pyramid_chart(victims, title=TITLE, source=SOURCE, out_stem=tmp_path / "c")
    assert one[0].exists() and one[1].exists()


def test_chart_svg_is_byte_reproducible(tmp_path: Path) -> None:
    victims = pyramid(ten_people())
    a = pyramid_chart(victims, title=TITLE, source=SOURCE, out_stem=tmp_path / "a" / "p")
    b = pyramid_chart(victims, title=TITLE, source=SOURCE, out_stem=tmp_path / "b" / "p")
    assert a[1].read_bytes() == b[1].read_bytes()
    other = pyramid(pd.concat([ten_people(), ten_people().head(1)], ignore_index=True))
    c = pyramid_chart(other, title=TITLE, source=SOURCE, out_stem=tmp_path / "c" / "p")
    assert c[1].read_bytes() != a[1].read_bytes()


def test_chart_refuses_rates_it_does_not_have(tmp_path: Path) -> None:
    victims = pyramid(ten_people())
    with pytest.raises(InputError, match="population by age and sex"):
        pyramid_chart(victims, value="rate_per_1000", title=TITLE, source=SOURCE,
                      out_stem=tmp_path / "r")
    with pytest.raises(InputError, match="not one of"):
        pyramid_chart(victims, value="mean", title=TITLE,  # type: ignore[arg-type]
                      source=SOURCE, out_stem=tmp_path / "r")
