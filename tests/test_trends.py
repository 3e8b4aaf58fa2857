"""Trends: monthly counts, yearly average monthly counts, rolling comparisons and their sentences.

The hand-made store (``trend_store``) holds one force, ``testforce``, from 2022-11 to 2024-12
with **no file for 2024-11**. Every month has:

- Burglary: 10 a month up to 2023-10, 12 a month from 2023-11, and 23 in 2024-12;
- Drugs: 1 a month, except 0 in 2024-03 (the month has other rows, so it is covered);
- Anti-social behaviour: 2 a month (never counted as crime unless asked);
- 2024-02 also has one "Bob's crime" (a name with a quote, kept as published).

So (hand-checked): the 12 months to 2024-10 hold 12 × 12 = 144 burglaries against 12 × 10 = 120
in the 12 before (+24, +20%); calendar 2024 has 11 months of data, 10 × 12 + 23 = 143
burglaries, 13.0 a month (143 / 12 = 11.9 would wrongly count November as 0); calendar 2023
has 10 × 10 + 2 × 12 = 124.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import binomtest

from commsafe.errors import InputError, QueryError
from commsafe.findings import indefinite_article, rolling_sentence, yearly_average_sentence
from commsafe.measures import trends
from commsafe.measures.significance import change_test
from commsafe.measures.trends import (
    MONTHLY_COLUMNS,
    RATE_COLUMNS,
    YEARLY_COLUMNS,
    RollingComparison,
    count_and_rate_by_year,
    monthly_counts,
    rolling_comparison,
    yearly_average_monthly,
)
from commsafe.periods import Period, add_months, month_label, month_range
from commsafe.store import Store, open_store
from commsafe.store.ingest import ingest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CAMBS_2024 = SHARED_DATA / "police-uk" / "cambridgeshire-2024"

HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
          "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]

MISSING = "2024-11"


def write_month(folder: Path, force: str, month: str, types: Counter[str]) -> None:
    """One police.uk street file for ``force`` and ``month`` with ``types`` rows of each type."""
    reported = f"{force.title()} Police"
    path = folder / month / f"{month}-{force}-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        n = 0
        for crime_type, count in types.items():
            for _ in range(count):
                n += 1
                asb = crime_type == "Anti-social behaviour"
                out.writerow([
                    "" if asb else f"{force}-{month}-{n:04d}", month, reported, reported,
                    "0.1218", "52.2053", "On or near Test Street", "E01017968",
                    "Cambridge 007A", crime_type,
                    "" if asb else "Investigation complete; no suspect identified", "",
                ])


def burglaries(month: str) -> int:
    if month == "2024-12":
        return 23
    return 10 if month <= "2023-10" else 12


def build_trend_folder(folder: Path) -> None:
    for m in month_range("2022-11", "2024-12"):
        month = month_label(m)
        if month == MISSING:
            continue
        types = Counter({"Burglary": burglaries(month), "Drugs": 0 if month == "2024-03" else 1,
                         "Anti-social behaviour": 2})
        if month == "2024-02":
            types["Bob's crime"] = 1
        write_month(folder, "testforce", month, +types)


def load(store: Store, folder: Path) -> None:
    result = ingest(store, [folder], resolve=False)
    assert result.ok, result.failures


@pytest.fixture(scope="module")
def trend_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("trends")
    build_trend_folder(root / "data")
    st = open_store(root / "store.duckdb")
    load(st, root / "data")
    try:
        yield st
    finally:
        st.close()


def as_dict(frame: pd.DataFrame) -> dict[str, int]:
    return {month_label(m): int(c) for m, c in zip(frame["month"], frame["count"], strict=True)}


def monthly_frame(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"month": [date.fromisoformat(f"{m}-01") for m in counts],
                         "count": list(counts.values())})


def two_windows(end: str, before: int, after: int) -> pd.DataFrame:
    """24 months ending ``end``: ``before`` in the first month, ``after`` in the 13th."""
    months = month_range(add_months(end, -23), end)
    counts = [0] * 24
    counts[0], counts[12] = before, after
    return pd.DataFrame({"month": months, "count": counts})


# --------------------------------------------------------------------------- monthly counts


def test_module_exports_what_it_documents() -> None:
    assert all(hasattr(trends, name) for name in trends.__all__)
    assert {"monthly_counts", "yearly_average_monthly", "rolling_comparison",
            "count_and_rate_by_year", "RollingComparison"} <= set(trends.__all__)


def test_monthly_counts_contract(trend_store: Store) -> None:
    frame = monthly_counts(trend_store, categories=["Burglary"])
    assert tuple(frame.columns) == MONTHLY_COLUMNS
    assert str(frame["count"].dtype) == "int64"
    assert all(type(m) is date and m.day == 1 for m in frame["month"])
    assert list(frame["month"]) == sorted(frame["month"])


def test_monthly_counts_hand_checked(trend_store: Store) -> None:
    counts = as_dict(monthly_counts(trend_store, categories=["Burglary"]))
    expected = {month_label(m): burglaries(month_label(m))
                for m in month_range("2022-11", "2024-12") if month_label(m) != MISSING}
    assert counts == expected
    assert len(counts) == 25  # 26 months, one without a file


def test_month_without_matching_rows_is_zero_but_month_without_data_is_absent(
        trend_store: Store) -> None:
    counts = as_dict(monthly_counts(trend_store, categories=["Drugs"]))
    assert counts["2024-03"] == 0
    assert counts["2024-02"] == 1
    assert MISSING not in counts


def test_asb_kept_apart_unless_asked(trend_store: Store) -> None:
    crime = as_dict(monthly_counts(trend_store))
    with_asb = as_dict(monthly_counts(trend_store, include_asb=True))
    asb = as_dict(monthly_counts(trend_store, asb_only=True))
    assert crime["2023-01"] == 10 + 1
    assert with_asb["2023-01"] == 10 + 1 + 2
    assert set(asb.values()) == {2}
    assert as_dict(monthly_counts(trend_store, categories=["anti-social behaviour"],
                                  include_asb=True))["2023-05"] == 2


def test_category_with_a_quote_is_quoted_safely(trend_store: Store) -> None:
    counts = as_dict(monthly_counts(trend_store, categories=["Bob's crime"]))
    assert counts["2024-02"] == 1
    assert sum(counts.values()) == 1
    # several categories add up; old names map to current ones
    both = as_dict(monthly_counts(trend_store, categories=["Burglary", "drugs"]))
    assert both["2023-01"] == 11


def test_where_and_categories_combine(trend_store: Store) -> None:
    counts = as_dict(monthly_counts(trend_store, where="force = 'testforce'",
                                    categories=["Burglary"]))
    assert counts["2023-01"] == 10
    assert monthly_counts(trend_store, where="force = 'nowhere'").empty


def test_start_and_end_bound_the_months(trend_store: Store) -> None:
    frame = monthly_counts(trend_store, categories=["Burglary"], start="2024-09",
                           end="2025-06")
    assert as_dict(frame) == {"2024-09": 12, "2024-10": 12, "2024-12": 23}
    assert not any("start" in n for n in frame.attrs["notes"])
    default = monthly_counts(trend_store, categories=["Burglary"])
    assert "start 2022-11: the first month with data" in default.attrs["notes"]
    assert "end 2024-12: the last month with data" in default.attrs["notes"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"categories": ["Burglry"]}, InputError, "'Burglry' is not a police.uk crime type"),
        ({"categories": "Burglary"}, InputError, "single string"),
        ({"categories": []}, InputError, "categories is empty"),
        ({"categories": ["Anti-social behaviour"]}, InputError, "include_asb=True"),
        ({"categories": ["Drugs"], "asb_only": True}, InputError, "asb_only"),
        ({"include_asb": True, "asb_only": True}, InputError, "contradict"),
        ({"start": "2024-05", "end": "2024-01"}, InputError, "is before start"),
        ({"where": "no_such_column = 1"}, QueryError, "cannot run"),
        ({"categories": ["x') OR TRUE OR ('"]}, InputError, "is not a police.uk crime type"),
    ],
)
def test_bad_arguments_say_what_and_how(trend_store: Store, kwargs: dict[str, object],
                                        error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        monthly_counts(trend_store, **kwargs)  # type: ignore[arg-type]


def test_month_missing_for_one_force_of_several_is_left_out(tmp_path: Path) -> None:
    build_trend_folder(tmp_path / "data")
    write_month(tmp_path / "data", "otherforce", "2024-01", Counter({"Burglary": 5}))
    with open_store(tmp_path / "store.duckdb") as st:
        load(st, tmp_path / "data")
        both = monthly_counts(st, categories=["Burglary"])
        assert as_dict(both) == {"2024-01": 12 + 5}
        assert both.attrs["notes"] == [
            "start 2024-01: the first month with data",
            "end 2024-01: the last month with data",
            "November 2022 to December 2023, February to October 2024 and December 2024 "
            "left out: no data from otherforce",
        ]
        one = monthly_counts(st, where="force = 'testforce'", categories=["Burglary"])
        assert len(one) == 25


# --------------------------------------------------------------------------- yearly averages


def test_yearly_average_contract(trend_store: Store) -> None:
    yearly = yearly_average_monthly(monthly_counts(trend_store, categories=["Burglary"]))
    assert tuple(yearly.columns) == YEARLY_COLUMNS
    assert list(yearly["period"]) == ["2022/23", "2023/24", "2024/25"]
    assert str(yearly["total"].dtype) == "int64"
    assert str(yearly["complete"].dtype) == "bool"


def test_year_with_a_missing_month_is_averaged_over_the_months_with_data(
        trend_store: Store) -> None:
    monthly = monthly_counts(trend_store, categories=["Burglary"])
    yearly = yearly_average_monthly(monthly, "calendar_year").set_index("period")
    y2024 = yearly.loc["2024"]
    assert y2024["months_with_data"] == 11
    assert y2024["total"] == 143
    assert y2024["average_monthly"] == pytest.approx(13.0)
    assert not y2024["complete"]
    y2023 = yearly.loc["2023"]
    assert (y2023["months_with_data"], y2023["total"], bool(y2023["complete"])) == (12, 124, True)
    assert y2023["average_monthly"] == pytest.approx(124 / 12)
    assert yearly.loc["2022"]["start"] == date(2022, 1, 1)
    assert yearly.loc["2022"]["end"] == date(2022, 12, 1)


def test_financial_years_by_default(trend_store: Store) -> None:
    yearly = yearly_average_monthly(monthly_counts(trend_store, categories=["Burglary"]))
    row = yearly.set_index("period").loc["2023/24"]
    # April–October 2023 at 10, November 2023–March 2024 at 12
    assert (row["months_with_data"], row["total"]) == (12, 7 * 10 + 5 * 12)


def test_yearly_average_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="year_kind 'rolling_12'"):
        yearly_average_monthly(monthly_frame({"2024-01": 1}), "rolling_12")
    with pytest.raises(InputError, match="lacks column"):
        yearly_average_monthly(pd.DataFrame({"month": [date(2024, 1, 1)]}))
    with pytest.raises(InputError, match="2024-01 twice"):
        yearly_average_monthly(pd.DataFrame({"month": [date(2024, 1, 1)] * 2, "count": [1, 2]}))


# --------------------------------------------------------------------------- rolling comparison


def test_rolling_comparison_hand_checked(trend_store: Store) -> None:
    r = rolling_comparison(monthly_counts(trend_store, categories=["Burglary"]), "2024-10")
    assert r.complete
    assert r.current == Period("rolling_12", "12 months to 2024-10", date(2023, 11, 1),
                               date(2024, 10, 1))
    assert r.previous == Period("rolling_12", "12 months to 2023-10", date(2022, 11, 1),
                                date(2023, 10, 1))
    assert (r.current_count, r.previous_count, r.change) == (144, 120, 24)
    assert r.pct_change == pytest.approx(20.0)
    # the real significance module, checked against scipy directly
    assert r.p_value == change_test(120, 144).p_value
    assert r.p_value == pytest.approx(binomtest(144, 264, 0.5).pvalue)
    assert r.significant is (r.p_value < 0.05)
    assert r.words == change_test(120, 144).words
    assert r.missing == ()


def test_rolling_comparison_with_a_missing_month_is_incomplete(trend_store: Store) -> None:
    r = rolling_comparison(monthly_counts(trend_store, categories=["Burglary"]), "2024-12")
    assert not r.complete
    assert r.missing == (date(2024, 11, 1),)
    assert r.current_count is None
    assert r.previous_count == 124  # the 12 months to 2023-12 are whole
    assert (r.change, r.pct_change, r.p_value, r.significant) == (None, None, None, None)
    assert r.words == "no comparison: there is no data for November 2024"


def test_rolling_comparison_known_answer() -> None:
    r = rolling_comparison(two_windows("2017-02", 1741, 1880), "2017-02")
    assert (r.current_count, r.previous_count, r.change) == (1880, 1741, 139)
    assert r.pct_change == pytest.approx(7.9839, abs=1e-4)
    assert r.p_value == pytest.approx(0.0218, abs=1e-4)
    assert r.significant is True


def test_rolling_comparison_previous_zero_has_no_percentage() -> None:
    r = rolling_comparison(two_windows("2024-12", 0, 12), "2024-12")
    assert r.pct_change is None
    assert r.change == 12


# --------------------------------------------------------------------------- count and rate


def test_count_and_rate_by_year(trend_store: Store) -> None:
    table = count_and_rate_by_year(trend_store, {2023: 1000.0, 2024: 2000.0},
                                   categories=["Burglary"])
    assert tuple(table.columns) == RATE_COLUMNS
    rows = table.set_index("year")
    assert (rows.loc[2023, "count"], rows.loc[2023, "rate_per_1000"]) == (124, 124.0)
    assert rows.loc[2024, "rate_per_1000"] == pytest.approx(71.5)
    assert not rows.loc[2024, "complete"]
    assert math.isnan(rows.loc[2022, "rate_per_1000"])  # no population: not available, not 0
    monthly = monthly_counts(trend_store, categories=["Burglary"])
    same = count_and_rate_by_year(monthly, {2023: 1000.0, 2024: 2000.0})
    pd.testing.assert_frame_equal(same, table)


def test_count_and_rate_rejects_bad_population() -> None:
    with pytest.raises(InputError, match="must be positive"):
        count_and_rate_by_year(monthly_frame({"2024-01": 3}), {2024: 0})
    with pytest.raises(InputError, match="needs a store or a monthly_counts"):
        count_and_rate_by_year([1, 2], {2024: 1.0})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sentences


def test_house_sentence_known_answer() -> None:
    r = rolling_comparison(two_windows("2017-02", 1741, 1880), "2017-02")
    assert rolling_sentence(r) == (
        "Between March 2016 and February 2017 there were 1,880 incidents, an 8% increase on "
        "the previous 12 months (1,741); the change is statistically significant (p = 0.02)."
    )


def test_sentence_decrease_not_significant() -> None:
    r = rolling_comparison(two_windows("2024-03", 1000, 950), "2024-03")
    assert r.pct_change == pytest.approx(-5.0)
    assert r.p_value is not None
    p = f"{r.p_value:.2f}"
    assert rolling_sentence(r, "crimes") == (
        "Between April 2023 and March 2024 there were 950 crimes, a 5% decrease on the previous "
        f"12 months (1,000); the change is within what chance alone would produce (p = {p})."
    )


def test_sentence_no_change() -> None:
    r = rolling_comparison(two_windows("2024-03", 40, 40), "2024-03")
    assert rolling_sentence(r) == (
        "Between April 2023 and March 2024 there were 40 incidents, the same as the previous "
        "12 months."
    )


def test_sentence_previous_zero() -> None:
    r = rolling_comparison(two_windows("2024-03", 0, 12), "2024-03")
    assert rolling_sentence(r, "needle finds") == (
        "Between April 2023 and March 2024 there were 12 needle finds, up from none in the "
        "previous 12 months; the change is statistically significant (p < 0.001)."
    )


def test_sentence_one_and_none() -> None:
    r = rolling_comparison(two_windows("2024-03", 3, 1), "2024-03")
    assert rolling_sentence(r, "robberies", singular="robbery").startswith(
        "Between April 2023 and March 2024 there was 1 robbery, a 67% decrease")
    r0 = rolling_comparison(two_windows("2024-03", 0, 0), "2024-03")
    assert rolling_sentence(r0) == (
        "Between April 2023 and March 2024 there were no incidents, the same as the previous "
        "12 months."
    )


def test_sentence_rounds_half_away_and_uses_the_right_article() -> None:
    # 200 → 221 is +10.5%: half away from zero gives 11% ("an 11%"), Python's round gives 10
    r = rolling_comparison(two_windows("2024-03", 200, 221), "2024-03")
    assert "an 11% increase on the previous 12 months (200)" in rolling_sentence(r)
    # 1,000 → 1,003 is +0.3%: not "a 0% increase"
    r = rolling_comparison(two_windows("2024-03", 1000, 1003), "2024-03")
    assert "a less than 1% increase" in rolling_sentence(r)
    assert [indefinite_article(t) for t in ("8", "11", "18", "80", "800", "1,100", "5",
                                            "18,000", "118")] == [
        "an", "an", "an", "an", "an", "a", "a", "an", "a"]


def test_sentence_incomplete_says_which_months_are_missing() -> None:
    counts = {month_label(m): 10 for m in month_range("2024-01", "2024-12")}
    r = rolling_comparison(monthly_frame(counts), "2024-12")
    assert rolling_sentence(r) == (
        "Between January 2024 and December 2024 there were 120 incidents; this cannot be "
        "compared with the previous 12 months as there is no data for January to December "
        "2023."
    )
    del counts["2024-06"]
    r = rolling_comparison(monthly_frame(counts), "2024-12")
    assert rolling_sentence(r) == (
        "The incidents of the 12 months from January 2024 to December 2024 cannot be counted "
        "or compared with the previous 12 months: there is no data for January to December "
        "2023 and June 2024."
    )


def test_yearly_average_sentences(trend_store: Store) -> None:
    yearly = yearly_average_monthly(monthly_counts(trend_store, categories=["Burglary"]),
                                    "calendar_year").set_index("period", drop=False)
    assert yearly_average_sentence(yearly.loc["2023"], "burglaries") == (
        "In 2023 there were 124 burglaries, an average of 10.3 a month."
    )
    assert yearly_average_sentence(yearly.loc["2024"], "burglaries") == (
        "In 2024 there were 143 burglaries in the 11 months with data, an average of 13.0 a "
        "month (the other months have no data and are not counted as zero)."
    )


def test_rolling_comparison_is_a_plain_record() -> None:
    r = rolling_comparison(two_windows("2024-03", 5, 6), "2024-03")
    assert isinstance(r, RollingComparison)
    assert r.end_month == date(2024, 3, 1)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def cambs_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    if not CAMBS_2024.is_dir():
        pytest.skip(f"{CAMBS_2024} is not present: the real-data trend test needs "
                    "../shared/data beside the checkout")
    st = open_store(tmp_path_factory.mktemp("cambs") / "store.duckdb")
    load(st, CAMBS_2024)
    try:
        yield st
    finally:
        st.close()


def recount_vso(folder: Path) -> dict[str, int]:
    """Violence and sexual offences per month, counted from the raw CSVs with the csv module."""
    counts: Counter[str] = Counter()
    for f in sorted(folder.rglob("*-street.csv")):
        with f.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                if row["Crime type"] == "Violence and sexual offences":
                    counts[row["Month"]] += 1
    return dict(counts)


def test_real_cambridgeshire_2024_violence(cambs_store: Store) -> None:
    monthly = monthly_counts(cambs_store, categories=["Violence and sexual offences"])
    expected = recount_vso(CAMBS_2024)
    assert len(expected) == 12
    assert as_dict(monthly) == expected
    # there is no 2023 data, so the rolling comparison ending 2024-12 is incomplete and says so
    r = rolling_comparison(monthly, "2024-12")
    assert not r.complete
    assert r.current_count == sum(expected.values())
    assert r.previous_count is None
    assert r.missing == tuple(month_range("2023-01", "2023-12"))
    assert r.words == "no comparison: there is no data for January to December 2023"
    assert rolling_sentence(r, "violence and sexual offences") == (
        f"Between January 2024 and December 2024 there were "
        f"{sum(expected.values()):,} violence and sexual offences; this cannot be compared "
        "with the previous 12 months as there is no data for January to December 2023."
    )
